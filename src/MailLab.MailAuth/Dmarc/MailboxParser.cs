using System.Text;

namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// Parses a From field value as exactly one RFC 5322 §3.4 mailbox (name-addr or addr-spec), refusing
/// the forms where a mail client and a DMARC check could see different domains.
/// </summary>
internal static class MailboxParser
{
    public static AuthorDomain Parse(string value)
    {
        if (value.Contains('\0')) return Fail(FromProblem.Syntax, "NUL in the From field", value);
        // Split at top-level commas and find top-level ':' (group) and angle brackets.
        var elements = new List<StringBuilder> { new() };
        int depth = 0, angles = 0;
        bool quoted = false, inAngle = false, group = false, angleComment = false;
        for (int i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var cur = elements[^1];
            if (quoted)
            {
                cur.Append(c);
                if (c == '\\' && i + 1 < value.Length) cur.Append(value[++i]);
                else if (c == '"') quoted = false;
                continue;
            }
            if (depth > 0)
            {
                if (c == '\\' && i + 1 < value.Length) i++;
                else if (c == '(') depth++;
                else if (c == ')') depth--;
                continue; // comments are dropped (RFC 5322 §3.2.2)
            }
            switch (c)
            {
                case '"': quoted = true; cur.Append(c); break;
                case '(': depth = 1; angleComment |= inAngle; cur.Append(' '); break;
                case '<': angles++; inAngle = true; cur.Append(c); break;
                case '>': inAngle = false; cur.Append(c); break;
                case ',' when !inAngle: elements.Add(new StringBuilder()); break;
                case ':' when !inAngle: group = true; cur.Append(c); break;
                case ';' when !inAngle: group = true; cur.Append(c); break;
                default: cur.Append(c); break;
            }
        }
        if (quoted || depth > 0 || inAngle) return Fail(FromProblem.Syntax, "unterminated quoted string, comment or angle address", value);
        var parts = elements.Select(e => e.ToString().Trim()).ToList();
        if (parts.Count(p => p.Length > 0) > 1)
            return Fail(FromProblem.SeveralAddresses, $"From holds {parts.Count(p => p.Length > 0)} addresses (RFC 7489 §6.6.1)", value);
        if (angleComment) return Fail(FromProblem.Syntax, "comment inside the angle address: parsers disagree on what it hides", value);
        if (group) return Fail(FromProblem.Group, "group syntax in From (RFC 5322 §3.6.2: From is a mailbox-list)", value);
        if (parts.Count > 1) return Fail(FromProblem.Syntax, "empty element in the From address list", value);
        if (angles > 1) return Fail(FromProblem.SeveralAddresses, "two angle addresses in one mailbox", value);
        var element = parts[0];
        if (element.Length == 0) return Fail(FromProblem.NoDomain, "From is empty", value);

        string addr;
        string? display = null;
        if (angles == 1)
        {
            var open = IndexOutsideQuotes(element, '<');
            var close = element.IndexOf('>', open);
            if (close < 0 || element[(close + 1)..].Trim().Length > 0)
                return Fail(FromProblem.Syntax, "text after the angle address", value);
            display = element[..open].Trim();
            addr = element[(open + 1)..close].Trim();
        }
        else
        {
            addr = element;
        }
        if (addr.Length == 0) return Fail(FromProblem.NoDomain, "empty address <>", value);
        if (addr.Contains("=?", StringComparison.Ordinal)) return Fail(FromProblem.EncodedAddress, "encoded-word in the address (RFC 2047 §5)", value);
        if (addr.StartsWith('@')) return Fail(FromProblem.SourceRoute, "obsolete source route (RFC 5322 §4.4)", value);
        var at = LastIndexOutsideQuotes(addr, '@');
        if (at < 0) return Fail(FromProblem.NoDomain, $"address '{FromExtractor.Clip(addr)}' has no domain", value);
        var local = addr[..at];
        var domain = addr[(at + 1)..];
        if (local.Length == 0 || IndexOutsideQuotes(local, '@') >= 0)
            return Fail(FromProblem.Syntax, $"'{FromExtractor.Clip(addr)}' is not one addr-spec", value);
        if (!local.StartsWith('"') && local.Any(ch => ch is ' ' or '\t' or '<' or '>' or '[' or ']' or '\\' or '"'))
            return Fail(FromProblem.Syntax, $"'{FromExtractor.Clip(local)}' is not a dot-atom local part (RFC 5322 §3.4.1)", value);
        if (domain.StartsWith('[')) return Fail(FromProblem.DomainLiteral, $"domain literal {FromExtractor.Clip(domain)} has no DMARC policy", value);
        if (!IsHostName(domain)) return Fail(FromProblem.BadDomain, $"'{FromExtractor.Clip(domain)}' is not a DNS host name", value);
        var result = new AuthorDomain(local + "@" + domain.ToLowerInvariant(), domain.TrimEnd('.').ToLowerInvariant(), null, null, value);
        // Display-name spoofing does not change which domain DMARC checks, but the explanation says so.
        if (display is not null && display.Contains('@') && !display.Contains("@" + result.Domain, StringComparison.OrdinalIgnoreCase))
            result = result with { Note = $"the display name {FromExtractor.Clip(display)} shows another address than {result.Domain}" };
        return result;
    }

    private static bool IsHostName(string d)
    {
        d = d.EndsWith('.') ? d[..^1] : d;
        if (d.Length == 0 || d.Length > 253) return false;
        foreach (var label in d.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-')) return false;
            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        }
        return true;
    }

    private static int IndexOutsideQuotes(string s, char wanted)
    {
        bool q = false;
        for (int i = 0; i < s.Length; i++)
        {
            if (q && s[i] == '\\') { i++; continue; }
            if (s[i] == '"') q = !q;
            else if (!q && s[i] == wanted) return i;
        }
        return -1;
    }

    private static int LastIndexOutsideQuotes(string s, char wanted)
    {
        bool q = false;
        int last = -1;
        for (int i = 0; i < s.Length; i++)
        {
            if (q && s[i] == '\\') { i++; continue; }
            if (s[i] == '"') q = !q;
            else if (!q && s[i] == wanted) last = i;
        }
        return last;
    }

    private static AuthorDomain Fail(FromProblem p, string reason, string value) => AuthorDomain.Fail(p, reason, value);
}
