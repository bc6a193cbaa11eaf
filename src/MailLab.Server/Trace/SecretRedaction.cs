using MailLab.Protocols.Sasl;

namespace MailLab.Server.Trace;

/// <summary>The protocols whose client lines can carry credentials.</summary>
public enum SecretProtocol
{
    /// <summary>SMTP: <c>AUTH</c> (RFC 4954 §4).</summary>
    Smtp,
    /// <summary>IMAP: <c>LOGIN</c> and <c>AUTHENTICATE</c> (RFC 3501 §6.2.2, §6.2.3; SASL-IR, RFC 4959).</summary>
    Imap,
    /// <summary>POP3: <c>PASS</c>, <c>APOP</c> (RFC 1939 §7) and <c>AUTH</c> (RFC 5034).</summary>
    Pop3,
}

/// <summary>
/// Masks credentials in a client's line from its verb alone, before (and whatever) the protocol
/// parser makes of the rest: a line the parser refuses (extra arguments, a TAB, an unclosed quote,
/// a literal) is masked as surely as a well-formed one. What stays visible is what is safe and
/// cleanly recognisable: the verb, the IMAP tag, the SASL mechanism name, and the login name of
/// IMAP <c>LOGIN</c> / POP3 <c>APOP</c> when it is a plain token followed by more; everything
/// after it becomes <see cref="Tracer.Redacted"/>. A line that did not parse as a command and is
/// nothing but a base64 token (a SASL response sent where no challenge was pending) is masked whole.
/// </summary>
internal static class SecretRedaction
{
    // RFC 4422 §3.1 names that clients commonly send; others are shown only in upper case (base64 rarely is).
    private static readonly HashSet<string> Mechanisms = new(StringComparer.OrdinalIgnoreCase)
    {
        "PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "XOAUTH2", "OAUTHBEARER", "GSSAPI", "NTLM", "EXTERNAL",
        "ANONYMOUS", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
    };

    /// <summary>Shortest lone base64 token taken for a credential (PLAIN of the shortest name and password is longer).</summary>
    private const int MinBlob = 8;

    /// <summary>
    /// <paramref name="line"/> with any credential replaced by <see cref="Tracer.Redacted"/>; the
    /// line itself when it carries none. The verb (and mechanism) come out upper-case.
    /// </summary>
    /// <param name="protocol">Which verbs carry secrets.</param>
    /// <param name="line">The client's line as received.</param>
    /// <param name="unknown">The protocol's parser did not know the line's verb: a lone base64 token is then a credential.</param>
    public static string Redact(SecretProtocol protocol, string line, bool unknown = false)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (FindVerb(protocol, line) is not { } found)
        {
            return unknown && IsCredentialBlob(line.Trim()) ? Tracer.Redacted : line;
        }
        var (prefix, start, end, verb) = found;
        var shown = prefix + verb;
        int rest = start + verb.Length;
        if (rest == end)
        {
            // The verb stood alone as a token: a first argument may be shown if it is clean.
            var (argStart, argEnd) = Token(line, Skip(line, rest));
            var arg = line[argStart..argEnd];
            bool more = !IsBlank(line, Skip(line, argEnd));
            if (verb is "AUTH" or "AUTHENTICATE" && IsMechanism(arg))
            {
                shown += " " + arg.ToUpperInvariant();
                rest = argEnd;
            }
            else if (more && (verb == "APOP" && arg.Length > 0 || verb == "LOGIN" && IsImapName(line, argStart, ref argEnd)))
            {
                shown += " " + line[argStart..argEnd];
                rest = argEnd;
            }
        }
        // Nothing after what is shown: the line carries no secret and is kept as the client sent it.
        return IsBlank(line, rest) ? line : shown + " " + Tracer.Redacted;
    }

    /// <summary>
    /// Whether the line's verb is one that starts an authentication exchange (<c>AUTH</c>,
    /// <c>AUTHENTICATE</c>, <c>LOGIN</c>, <c>PASS</c>, <c>APOP</c>), however the rest is written.
    /// </summary>
    public static bool IsAuthenticationCommand(SecretProtocol protocol, string line) => FindVerb(protocol, line) is not null;

    // The verb and where it is; for IMAP after the tag, or first when a hand-typed line has no tag.
    private static (string? Prefix, int Start, int End, string Verb)? FindVerb(SecretProtocol protocol, string line)
    {
        var (start, end) = Token(line, Skip(line, 0));
        if (SecretVerb(protocol, line, start, end) is { } verb) return (null, start, end, verb);
        if (protocol != SecretProtocol.Imap) return null;
        var prefix = line[start..end] + " ";
        (start, end) = Token(line, Skip(line, end));
        return SecretVerb(protocol, line, start, end) is { } tagged ? (prefix, start, end, tagged) : null;
    }

    /// <summary>
    /// A base64 token long enough to be a SASL response (RFC 4954 §4, RFC 4616 §2); letters of one
    /// case only (a verb such as <c>STARTTLS</c>) are not taken for one.
    /// </summary>
    public static bool IsCredentialBlob(string? token) =>
        token is { Length: >= MinBlob } && SaslBase64.IsValid(token)
        && !token.All(char.IsAsciiLetterUpper) && !token.All(char.IsAsciiLetterLower);

    private static string? SecretVerb(SecretProtocol protocol, string line, int start, int end)
    {
        string[] verbs = protocol switch
        {
            SecretProtocol.Smtp => ["AUTH"],
            SecretProtocol.Imap => ["AUTHENTICATE", "LOGIN"],
            _ => ["PASS", "APOP", "AUTH"],
        };
        foreach (var verb in verbs)
        {
            // "AUTH", "AUTH:..." or "AUTH.", but not "AUTHX": the verb ends where letters and digits do.
            if (end - start >= verb.Length && string.Compare(line, start, verb, 0, verb.Length, StringComparison.OrdinalIgnoreCase) == 0
                && (end - start == verb.Length || !char.IsAsciiLetterOrDigit(line[start + verb.Length])))
            {
                return verb;
            }
        }
        return null;
    }

    // RFC 4422 §3.1: 1 to 20 of upper-case letters, digits, "-" and "_".
    private static bool IsMechanism(string s) =>
        s.Length is > 0 and <= 20 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
        && (Mechanisms.Contains(s) || !s.Any(char.IsAsciiLetterLower));

    // An IMAP atom, or a quoted string closed on this line (RFC 3501 §9 astring); never a literal.
    private static bool IsImapName(string line, int start, ref int end)
    {
        if (start >= line.Length) return false;
        if (line[start] != '"')
        {
            return line[start..end].All(c => c > ' ' && c < 0x7F && c is not ('(' or ')' or '{' or '%' or '*' or '"' or '\\'));
        }
        for (int i = start + 1; i < line.Length && line[i] is not ('\r' or '\n'); i++)
        {
            if (line[i] == '\\') { i++; continue; }
            if (line[i] == '"')
            {
                end = i + 1;
                return end < line.Length && IsSeparator(line[end]);
            }
        }
        return false;
    }

    private static bool IsSeparator(char c) => char.IsWhiteSpace(c) || char.IsControl(c);

    private static int Skip(string line, int pos)
    {
        while (pos < line.Length && IsSeparator(line[pos])) pos++;
        return pos;
    }

    private static (int Start, int End) Token(string line, int pos)
    {
        int end = pos;
        while (end < line.Length && !IsSeparator(line[end])) end++;
        return (pos, end);
    }

    private static bool IsBlank(string line, int pos) => Skip(line, pos) >= line.Length;
}
