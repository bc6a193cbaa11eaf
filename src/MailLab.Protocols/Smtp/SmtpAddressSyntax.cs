using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailLab.Protocols.Smtp;

/// <summary>
/// The RFC 5321 §4.1.2 grammar for paths, mailboxes, domains and address literals, with the
/// RFC 6531 §3.3 extension that lets UTF-8 appear in local-parts and domains.
/// </summary>
public static class SmtpAddressSyntax
{
    /// <summary>True for a Domain: dot-separated labels of letters, digits and inner hyphens.</summary>
    public static bool IsDomain(string s)
    {
        if (s.Length == 0)
            return false;
        foreach (string label in s.Split('.'))
        {
            if (!IsLabel(label))
                return false;
        }
        return true;
    }

    /// <summary>True for an address literal: [IPv4], [IPv6:...] or [tag:content] (RFC 5321 §4.1.3).</summary>
    public static bool IsAddressLiteral(string s)
    {
        if (s.Length < 3 || s[0] != '[' || s[^1] != ']')
            return false;
        string inner = s[1..^1];
        if (IsIPv4(inner))
            return true;
        int colon = inner.IndexOf(':');
        if (colon <= 0)
            return false;
        string tag = inner[..colon];
        string content = inner[(colon + 1)..];
        if (tag.Equals("IPv6", StringComparison.OrdinalIgnoreCase))
            return IsIPv6(content);
        // General-address-literal: Standardized-tag ":" 1*dcontent, dcontent = %d33-90 / %d94-126.
        return IsLdhStr(tag) && content.Length > 0 && content.All(c => c is >= '!' and <= 'Z' or >= '^' and <= '~');
    }

    /// <summary>True when the string has a character outside ASCII (RFC 6531 needs SMTPUTF8 then).</summary>
    public static bool HasNonAscii(string s) => s.Any(c => c > 0x7F);

    /// <summary>
    /// Parses a mailbox (Local-part "@" ( Domain / address-literal )) starting at <paramref name="pos"/>,
    /// stopping at the first character that cannot continue it. Returns an error text or null.
    /// </summary>
    public static string? ParseMailbox(string text, ref int pos, SmtpLimits limits, out string mailbox)
    {
        mailbox = string.Empty;
        int start = pos;
        string? error = text.Length > pos && text[pos] == '"'
            ? ParseQuotedString(text, ref pos)
            : ParseDotString(text, ref pos);
        if (error is not null)
            return error;
        string local = text[start..pos];
        if (Encoding.UTF8.GetByteCount(local) > limits.MaxLocalPart)
            return $"local-part longer than {limits.MaxLocalPart} octets (RFC 5321 §4.5.3.1.1)";
        if (pos >= text.Length || text[pos] != '@')
            return "missing @domain (RFC 5321 §4.1.2)";
        pos++;

        int domainStart = pos;
        if (pos < text.Length && text[pos] == '[')
        {
            int close = text.IndexOf(']', pos);
            if (close < 0)
                return "unterminated address literal";
            pos = close + 1;
            if (!IsAddressLiteral(text[domainStart..pos]))
                return "bad address literal (RFC 5321 §4.1.3)";
        }
        else
        {
            while (pos < text.Length && IsDomainChar(text[pos]))
                pos++;
            if (!IsDomain(text[domainStart..pos]))
                return "bad domain (RFC 5321 §4.1.2)";
        }
        if (Encoding.UTF8.GetByteCount(text.AsSpan(domainStart, pos - domainStart)) > limits.MaxDomain)
            return $"domain longer than {limits.MaxDomain} octets (RFC 5321 §4.5.3.1.2)";
        mailbox = text[start..pos];
        return null;
    }

    /// <summary>
    /// Parses a path "&lt;" [ A-d-l ":" ] Mailbox "&gt;" at <paramref name="pos"/> (RFC 5321 §4.1.2).
    /// The source route is checked and dropped (§4.1.1.3, Appendix C). Without angle brackets a bare
    /// mailbox is tolerated, as Postfix does by default. Returns an error text or null.
    /// </summary>
    public static string? ParsePath(string text, ref int pos, SmtpLimits limits, bool allowNull, bool allowPostmaster, out string mailbox)
    {
        mailbox = string.Empty;
        int start = pos;
        bool bracketed = pos < text.Length && text[pos] == '<';
        if (bracketed)
        {
            pos++;
            if (pos < text.Length && text[pos] == '>')
            {
                pos++;
                return allowNull ? null : "the null path <> is only allowed in MAIL FROM";
            }
            if (allowPostmaster && string.Compare(text, pos, "Postmaster>", 0, 11, StringComparison.OrdinalIgnoreCase) == 0)
            {
                // §4.1.1.3: <Postmaster> without a domain must be accepted, case-insensitively.
                pos += 11;
                mailbox = "Postmaster";
                return null;
            }
            if (pos < text.Length && text[pos] == '@')
            {
                string? routeError = SkipSourceRoute(text, ref pos);
                if (routeError is not null)
                    return routeError;
            }
        }
        else if (pos >= text.Length)
        {
            return "missing address";
        }

        string? error = ParseMailbox(text, ref pos, limits, out mailbox);
        if (error is not null)
            return error;
        if (bracketed)
        {
            if (pos >= text.Length || text[pos] != '>')
                return "missing closing >";
            pos++;
        }
        int pathOctets = Encoding.UTF8.GetByteCount(text.AsSpan(start, pos - start)) + (bracketed ? 0 : 2);
        if (pathOctets > limits.MaxPath)
            return $"path longer than {limits.MaxPath} octets (RFC 5321 §4.5.3.1.3)";
        return null;
    }

    // A-d-l = At-domain *( "," At-domain ) followed by ":"; At-domain = "@" Domain.
    private static string? SkipSourceRoute(string text, ref int pos)
    {
        while (true)
        {
            pos++; // the '@'
            int start = pos;
            while (pos < text.Length && IsDomainChar(text[pos]))
                pos++;
            if (!IsDomain(text[start..pos]))
                return "bad source route (RFC 5321 §4.1.2)";
            if (pos < text.Length && text[pos] == ':')
            {
                pos++;
                return null;
            }
            if (pos + 1 < text.Length && text[pos] == ',' && text[pos + 1] == '@')
            {
                pos++;
                continue;
            }
            return "bad source route (RFC 5321 §4.1.2)";
        }
    }

    // Dot-string = Atom *("." Atom).
    private static string? ParseDotString(string text, ref int pos)
    {
        while (true)
        {
            int atomStart = pos;
            while (pos < text.Length && IsAtext(text[pos]))
                pos++;
            if (pos == atomStart)
                return "bad local-part: empty atom or invalid character (RFC 5321 §4.1.2)";
            if (pos < text.Length && text[pos] == '.')
            {
                pos++;
                continue;
            }
            return null;
        }
    }

    // Quoted-string = DQUOTE *QcontentSMTP DQUOTE.
    private static string? ParseQuotedString(string text, ref int pos)
    {
        pos++;
        while (pos < text.Length)
        {
            char c = text[pos];
            if (c == '"')
            {
                pos++;
                return null;
            }
            if (c == '\\')
            {
                // quoted-pairSMTP = "\" %d32-126
                if (pos + 1 >= text.Length || text[pos + 1] is < ' ' or > '~')
                    return "bad quoted-pair in local-part";
                pos += 2;
                continue;
            }
            // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF-8 (RFC 6531 §3.3).
            if (c is < ' ' or '\x7F')
                return "control character in quoted local-part";
            pos++;
        }
        return "unterminated quoted local-part";
    }

    // atext (RFC 5322 §3.2.3) plus UTF8-non-ascii (RFC 6531 §3.3).
    private static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || c > 0x7F || "!#$%&'*+-/=?^_`{|}~".Contains(c);

    private static bool IsDomainChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' || c > 0x7F;

    // sub-domain = Let-dig [Ldh-str]; U-labels allowed (RFC 6531 §3.3); at most 63 octets (RFC 1035 §2.3.4).
    private static bool IsLabel(string label)
    {
        if (label.Length == 0 || label[0] == '-' || label[^1] == '-')
            return false;
        if (Encoding.UTF8.GetByteCount(label) > 63 && !HasNonAscii(label))
            return false;
        return label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || (c > 0x7F && !char.IsWhiteSpace(c) && !char.IsControl(c)));
    }

    private static bool IsLdhStr(string s) =>
        s.Length > 0 && char.IsAsciiLetterOrDigit(s[^1]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    // IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT representing 0-255.
    private static bool IsIPv4(string s)
    {
        string[] parts = s.Split('.');
        return parts.Length == 4 && parts.All(p =>
            p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }

    private static bool IsIPv6(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.') &&
        IPAddress.TryParse(s, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetworkV6;
}
