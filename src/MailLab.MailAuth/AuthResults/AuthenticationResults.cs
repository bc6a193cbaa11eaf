using System.Text;
using MailLab.MailAuth.Dmarc;
using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.AuthResults;

/// <summary>
/// The one place that renders an Authentication-Results field (RFC 8601) from SPF, DKIM and DMARC
/// values. Every property value is a token or a quoted-string and every comment is escaped
/// (RFC 8601 §2.2, RFC 2045 §5.1), so a crafted domain or address cannot add a clause of its own.
/// </summary>
public static class AuthenticationResults
{
    /// <summary>The field value (without "Authentication-Results: "), folded one result per line.</summary>
    /// <param name="authservId">The receiving host (RFC 8601 §2.5: the site's primary host name).</param>
    /// <param name="spf">SPF result and the identity DMARC used (MAIL FROM, or HELO for the null sender).</param>
    /// <param name="mailFrom">The envelope sender as given, for smtp.mailfrom.</param>
    /// <param name="dkim">One entry per DKIM signature; empty renders dkim=none.</param>
    /// <param name="dmarc">The DMARC result, when it was evaluated.</param>
    public static string Render(string authservId, SpfResult? spf, string mailFrom, IReadOnlyList<DmarcDkimInput> dkim, DmarcResult? dmarc)
    {
        var parts = new List<string>();
        if (spf is not null)
        {
            var sb = new StringBuilder("spf=").Append(spf.Keyword);
            if (spf.Problem is not null) sb.Append(' ').Append(Comment(spf.Problem));
            // RFC 8601 §2.7.2: smtp.mailfrom, or smtp.helo when the check used HELO (null sender).
            if (spf.Identity == "helo") sb.Append(" smtp.helo=").Append(Value(spf.Helo));
            else sb.Append(" smtp.mailfrom=").Append(Value(string.IsNullOrEmpty(mailFrom) ? spf.Domain : mailFrom));
            parts.Add(sb.ToString());
        }
        if (dkim.Count == 0) parts.Add("dkim=none");
        foreach (var sig in dkim)
        {
            var sb = new StringBuilder("dkim=").Append(sig.Result.Keyword());
            if (sig.Domain.Length > 0) sb.Append(" header.d=").Append(Value(sig.Domain));
            if (sig.Selector is not null) sb.Append(" header.s=").Append(Value(sig.Selector));
            parts.Add(sb.ToString());
        }
        if (dmarc is not null)
        {
            var sb = new StringBuilder("dmarc=").Append(dmarc.Keyword);
            if (dmarc.Policy is { } p)
            {
                sb.Append(' ').Append(Comment($"{dmarc.PolicyTag}={p.Keyword()} dis={dmarc.Disposition.Keyword()} {dmarc.Mode.Keyword()}"));
            }
            if (dmarc.Author.Problem is not null) sb.Append(" reason=").Append(Value(dmarc.Author.ProblemKeyword + ": " + dmarc.Author.Reason));
            if (dmarc.Author.Domain is { } d) sb.Append(" header.from=").Append(Value(d));
            parts.Add(sb.ToString());
        }
        return Value(authservId) + ";\r\n\t" + string.Join(";\r\n\t", parts);
    }

    /// <summary>
    /// A property value: as is when it is an RFC 2045 token (domain names and plain addresses are),
    /// else a quoted-string with '"' and '\' escaped. Control characters (CR, LF, NUL ...) are dropped,
    /// so a value can never end the field or start another.
    /// </summary>
    public static string Value(string raw)
    {
        var clean = new string(raw.Where(c => c >= ' ' && c != '\x7f').ToArray());
        if (clean.Length > 0 && clean.All(IsTokenOrAt)) return clean;
        return "\"" + clean.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    /// <summary>A comment (RFC 5322 §3.2.2): parentheses and backslashes quoted, control characters dropped.</summary>
    public static string Comment(string raw)
    {
        var clean = new string(raw.Where(c => c >= ' ' && c != '\x7f').ToArray());
        return "(" + clean.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)") + ")";
    }

    /// <summary>
    /// The authserv-id of an Authentication-Results field value (RFC 8601 §2.2: the first token,
    /// after comments and white space), or null when there is none.
    /// </summary>
    public static string? AuthservId(string fieldValue)
    {
        var s = fieldValue.AsSpan();
        int i = 0;
        while (i < s.Length)
        {
            if (char.IsWhiteSpace(s[i])) { i++; continue; }
            if (s[i] != '(') break;
            int depth = 0;
            for (; i < s.Length; i++)
            {
                if (s[i] == '\\') { i++; continue; }
                if (s[i] == '(') depth++;
                else if (s[i] == ')' && --depth == 0) { i++; break; }
            }
        }
        if (i < s.Length && s[i] == '"')
        {
            var end = s[(i + 1)..].IndexOf('"');
            return end < 0 ? null : s.Slice(i + 1, end).ToString();
        }
        int start = i;
        while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] is not (';' or '(')) i++;
        return i > start ? s[start..i].ToString() : null;
    }

    // RFC 2045 §5.1 token characters, plus '@' (RFC 8601 §2.2 pvalue allows local-part "@" domain).
    private static bool IsTokenOrAt(char c) => c is > ' ' and < '\x7f' && !"()<>,;:\\\"/[]?=".Contains(c);
}
