namespace MailLab.Protocols.Smtp;

/// <summary>
/// ESMTP parameters on MAIL and RCPT (RFC 5321 §4.1.2 Mail-parameters): splits them and checks
/// the ones we know: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954 §5),
/// RET/ENVID/NOTIFY/ORCPT (RFC 3461), REQUIRETLS (RFC 8689).
/// </summary>
public static class SmtpParameters
{
    private static readonly string[] MailKeys = ["SIZE", "BODY", "SMTPUTF8", "AUTH", "RET", "ENVID", "REQUIRETLS"];
    private static readonly string[] RcptKeys = ["NOTIFY", "ORCPT"];

    /// <summary>
    /// Parses "KEY[=value] ..." for MAIL (<paramref name="isMail"/>) or RCPT. Returns the error reply
    /// or null. Keys come back upper-case; BODY, RET and NOTIFY values too.
    /// </summary>
    public static SmtpReply? Parse(string text, bool isMail, out IReadOnlyDictionary<string, string?> parameters)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        parameters = result;
        foreach (string item in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = item.IndexOf('=');
            string key = (eq < 0 ? item : item[..eq]).ToUpperInvariant();
            string? value = eq < 0 ? null : item[(eq + 1)..];

            // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 / %d62-126),
            // UTF-8 allowed by RFC 6531 §3.3.
            if (!IsKeyword(key) || (value is not null && (value.Length == 0 || value.Any(c => c is < '!' or '=' or '\x7F'))))
                return SmtpReply.SyntaxError($"Bad parameter syntax: {Printable(item)}");
            if (!(isMail ? MailKeys : RcptKeys).Contains(key))
            {
                // RFC 5321 §4.1.1.11: a parameter we do not know gets 555.
                return SmtpReply.ParameterNotRecognized($"Unsupported {(isMail ? "MAIL" : "RCPT")} parameter: {key}");
            }
            if (result.ContainsKey(key))
                return SmtpReply.SyntaxError($"Duplicate parameter: {key}");

            SmtpReply? error = Check(key, ref value);
            if (error is not null)
                return error;
            result[key] = value;
        }
        return null;
    }

    // The client's text goes back in the reply: a CR or LF would inject reply lines (SmtpReply refuses
    // them) and other controls reach terminals, so each control shows as '?', and at most 64 characters.
    private static string Printable(string item)
    {
        var shown = string.Create(Math.Min(item.Length, 64), item, (span, s) =>
        {
            for (int i = 0; i < span.Length; i++)
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
        });
        return item.Length > 64 ? shown + "..." : shown;
    }

    private static SmtpReply? Check(string key, ref string? value)
    {
        switch (key)
        {
            case "SIZE":
                // RFC 1870 §3: size-value ::= 1*20DIGIT. Longer all-digit values (leading zeros, or just huge)
                // are taken as numbers too, so that they meet the size check (552) instead of slipping past it.
                return value is { Length: >= 1 } && value.All(char.IsAsciiDigit)
                    ? null
                    : SmtpReply.SyntaxError("Bad SIZE parameter: SIZE=<octets> (RFC 1870)");

            case "BODY":
                value = value?.ToUpperInvariant();
                if (value == "BINARYMIME")
                    return SmtpReply.ParameterNotRecognized("BODY=BINARYMIME not supported (no CHUNKING, RFC 3030)");
                return value is "7BIT" or "8BITMIME"
                    ? null
                    : SmtpReply.SyntaxError("Bad BODY parameter: BODY=7BIT or BODY=8BITMIME (RFC 6152)");

            case "REQUIRETLS":
                // RFC 8689 §4.1: the parameter has no value.
                return value is null ? null : SmtpReply.SyntaxError("REQUIRETLS takes no value (RFC 8689 §4.1)");

            case "SMTPUTF8":
                // RFC 6531 §3.4: the parameter has no value.
                return value is null ? null : SmtpReply.SyntaxError("SMTPUTF8 takes no value (RFC 6531 §3.4)");

            case "AUTH":
                // RFC 4954 §5: AUTH=<> or AUTH=xtext(addr-spec).
                return value is not null && (value == "<>" || IsXtext(value))
                    ? null
                    : SmtpReply.SyntaxError("Bad AUTH parameter: AUTH=<> or AUTH=xtext (RFC 4954 §5)");

            case "RET":
                value = value?.ToUpperInvariant();
                return value is "FULL" or "HDRS" ? null : SmtpReply.SyntaxError("Bad RET parameter: RET=FULL or RET=HDRS (RFC 3461 §4.3)");

            case "ENVID":
                return value is { Length: <= 100 } && IsXtext(value)
                    ? null
                    : SmtpReply.SyntaxError("Bad ENVID parameter: xtext of at most 100 characters (RFC 3461 §4.4)");

            case "NOTIFY":
                value = value?.ToUpperInvariant();
                return IsNotify(value) ? null : SmtpReply.SyntaxError("Bad NOTIFY parameter: NEVER or SUCCESS,FAILURE,DELAY (RFC 3461 §4.1)");

            case "ORCPT":
                // RFC 3461 §4.2: addr-type ";" xtext; RFC 6533 adds UTF-8 forms, so only the shape is checked.
                int semi = value?.IndexOf(';') ?? -1;
                return semi > 0 && semi < value!.Length - 1 && IsKeyword(value[..semi])
                    ? null
                    : SmtpReply.SyntaxError("Bad ORCPT parameter: ORCPT=addr-type;address (RFC 3461 §4.2)");

            default:
                return null;
        }
    }

    /// <summary>
    /// The value of an all-digit SIZE parameter, <see cref="long.MaxValue"/> when it is larger: a value of
    /// 2^63 or more must still compare as "over the limit" (RFC 1870 §6.1), never overflow or be skipped.
    /// </summary>
    public static long SaturatedSize(string digits)
    {
        long value = 0;
        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c)) throw new ArgumentException("SIZE must be digits only", nameof(digits));
            int d = c - '0';
            if (value > (long.MaxValue - d) / 10) return long.MaxValue;
            value = value * 10 + d;
        }
        return value;
    }

    private static bool IsKeyword(string s) =>
        s.Length > 0 && char.IsAsciiLetterOrDigit(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    // RFC 3461 §4: xtext = *( xchar / hexchar ); xchar is "!".."~" except "+" and "="; hexchar = "+" 2HEX (upper).
    private static bool IsXtext(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '+')
            {
                if (i + 2 >= s.Length || !IsUpperHex(s[i + 1]) || !IsUpperHex(s[i + 2]))
                    return false;
                i += 2;
            }
            else if (c is < '!' or > '~' or '=')
            {
                return false;
            }
        }
        return true;

        static bool IsUpperHex(char c) => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F';
    }

    private static bool IsNotify(string? value)
    {
        if (value is null)
            return false;
        if (value == "NEVER")
            return true;
        string[] parts = value.Split(',');
        return parts.All(p => p is "SUCCESS" or "FAILURE" or "DELAY") && parts.Distinct().Count() == parts.Length;
    }
}
