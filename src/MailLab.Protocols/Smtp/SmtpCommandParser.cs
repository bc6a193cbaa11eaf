namespace MailLab.Protocols.Smtp;

/// <summary>
/// Parses one SMTP command line (without CRLF) into an <see cref="SmtpCommand"/> or the error
/// reply for it (RFC 5321 §4.1.1, §4.2.4). Never throws on bad input.
/// </summary>
public static class SmtpCommandParser
{
    private static readonly Dictionary<string, SmtpVerb> Verbs = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HELO"] = SmtpVerb.Helo,
        ["EHLO"] = SmtpVerb.Ehlo,
        ["MAIL"] = SmtpVerb.Mail,
        ["RCPT"] = SmtpVerb.Rcpt,
        ["DATA"] = SmtpVerb.Data,
        ["RSET"] = SmtpVerb.Rset,
        ["NOOP"] = SmtpVerb.Noop,
        ["QUIT"] = SmtpVerb.Quit,
        ["HELP"] = SmtpVerb.Help,
        ["VRFY"] = SmtpVerb.Vrfy,
        ["EXPN"] = SmtpVerb.Expn,
        ["STARTTLS"] = SmtpVerb.StartTls,
        ["AUTH"] = SmtpVerb.Auth,
        ["BDAT"] = SmtpVerb.Bdat,
    };

    /// <summary>Parses with the default limits.</summary>
    public static SmtpParseResult Parse(string line) => Parse(line, SmtpLimits.Default);

    /// <summary>Parses with the given limits (local-part, domain and path lengths).</summary>
    public static SmtpParseResult Parse(string line, SmtpLimits limits)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(limits);

        // Tolerate trailing blanks, which hand-typed and some real clients send.
        string trimmed = line.TrimEnd(' ', '\t');
        int space = trimmed.IndexOf(' ');
        string verbText = space < 0 ? trimmed : trimmed[..space];
        string args = space < 0 ? string.Empty : trimmed[(space + 1)..].TrimStart(' ');

        if (!Verbs.TryGetValue(verbText, out SmtpVerb verb))
            return SmtpParseResult.Failure(SmtpVerb.Unknown, SmtpReply.CommandUnrecognized());

        var command = new SmtpCommand(verb, line);
        return verb switch
        {
            SmtpVerb.Helo or SmtpVerb.Ehlo => ParseHello(command, args),
            SmtpVerb.Mail => ParseMail(command, args, limits),
            SmtpVerb.Rcpt => ParseRcpt(command, args, limits),
            SmtpVerb.Data or SmtpVerb.Rset or SmtpVerb.Quit or SmtpVerb.StartTls => NoArguments(command, verbText, args),
            SmtpVerb.Noop or SmtpVerb.Help => SmtpParseResult.Success(command with { Argument = args.Length == 0 ? null : args }),
            SmtpVerb.Vrfy or SmtpVerb.Expn => args.Length == 0
                ? Syntax(verb, $"Syntax: {verbText.ToUpperInvariant()} address")
                : SmtpParseResult.Success(command with { Argument = args }),
            SmtpVerb.Auth => ParseAuth(command, args),
            // BDAT needs CHUNKING (RFC 3030), which we do not advertise, so it is unrecognised here.
            _ => SmtpParseResult.Failure(verb, SmtpReply.CommandUnrecognized("Error: command not recognized (CHUNKING is not offered)")),
        };
    }

    // RFC 5321 §4.1.1.1: "EHLO" SP ( Domain / address-literal ); HELO takes a Domain, but clients send literals too.
    private static SmtpParseResult ParseHello(SmtpCommand command, string args)
    {
        string name = command.Verb == SmtpVerb.Ehlo ? "EHLO" : "HELO";
        if (args.Length == 0 || args.Contains(' '))
            return Syntax(command.Verb, $"Syntax: {name} hostname");
        if (!SmtpAddressSyntax.IsDomain(args) && !SmtpAddressSyntax.IsAddressLiteral(args))
            return Syntax(command.Verb, $"{name} needs a domain name or an address literal like [192.0.2.1] (RFC 5321 §4.1.1.1)");
        return SmtpParseResult.Success(command with { Domain = args });
    }

    // RFC 5321 §4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters].
    private static SmtpParseResult ParseMail(SmtpCommand command, string args, SmtpLimits limits)
    {
        const string syntax = "Syntax: MAIL FROM:<address> [parameters]";
        if (!StartsWith(args, "FROM:"))
            return Syntax(SmtpVerb.Mail, syntax);
        return ParsePathAndParameters(command, args, 5, limits, isMail: true, syntax);
    }

    // RFC 5321 §4.1.1.3: "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters].
    private static SmtpParseResult ParseRcpt(SmtpCommand command, string args, SmtpLimits limits)
    {
        const string syntax = "Syntax: RCPT TO:<address> [parameters]";
        if (!StartsWith(args, "TO:"))
            return Syntax(SmtpVerb.Rcpt, syntax);
        return ParsePathAndParameters(command, args, 3, limits, isMail: false, syntax);
    }

    private static SmtpParseResult ParsePathAndParameters(SmtpCommand command, string args, int pos, SmtpLimits limits, bool isMail, string syntax)
    {
        // Tolerate "MAIL FROM: <a@b>": many clients put a space after the colon.
        while (pos < args.Length && args[pos] == ' ')
            pos++;
        if (pos >= args.Length)
            return Syntax(command.Verb, syntax);

        string? error = SmtpAddressSyntax.ParsePath(args, ref pos, limits, allowNull: isMail, allowPostmaster: !isMail, out string mailbox);
        if (error is not null)
        {
            // RFC 3463: X.1.7 bad sender mailbox syntax, X.1.3 bad destination mailbox syntax.
            return isMail
                ? SmtpParseResult.Failure(SmtpVerb.Mail, new SmtpReply(501, "5.1.7", $"Bad sender address syntax: {error}"))
                : SmtpParseResult.Failure(SmtpVerb.Rcpt, new SmtpReply(501, "5.1.3", $"Bad recipient address syntax: {error}"));
        }
        if (pos < args.Length && args[pos] != ' ')
            return Syntax(command.Verb, syntax);

        SmtpReply? paramError = SmtpParameters.Parse(args[pos..], isMail, out IReadOnlyDictionary<string, string?> parameters);
        if (paramError is not null)
            return SmtpParseResult.Failure(command.Verb, paramError);

        return SmtpParseResult.Success(command with
        {
            Path = mailbox,
            PathIsUtf8 = SmtpAddressSyntax.HasNonAscii(mailbox),
            Parameters = parameters,
            DeclaredSize = parameters.TryGetValue("SIZE", out var size) && size is not null ? SmtpParameters.SaturatedSize(size) : null,
        });
    }

    // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_").
    private static SmtpParseResult ParseAuth(SmtpCommand command, string args)
    {
        string[] parts = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2)
            return Syntax(SmtpVerb.Auth, "Syntax: AUTH mechanism [initial-response]");
        string mechanism = parts[0].ToUpperInvariant(); // RFC 4422 §3.1: names compare case-insensitively
        if (mechanism.Length > 20 || !mechanism.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
            return Syntax(SmtpVerb.Auth, "Bad SASL mechanism name (RFC 4422 §3.1)");
        string? initial = parts.Length == 2 ? parts[1] : null;
        if (initial is not null && !Sasl.SaslBase64.IsValid(initial))
        {
            // RFC 4954 §4: a response that is not base64 gets 501 5.5.2.
            return SmtpParseResult.Failure(SmtpVerb.Auth, new SmtpReply(501, "5.5.2", "Invalid base64 in initial response (RFC 4954 §4)"));
        }
        return SmtpParseResult.Success(command with { Mechanism = mechanism, InitialResponse = initial });
    }

    // RFC 5321 §4.1.1.4/5/10 and RFC 3207 §4: DATA, RSET, QUIT, STARTTLS take no arguments.
    private static SmtpParseResult NoArguments(SmtpCommand command, string verbText, string args) =>
        args.Length == 0
            ? SmtpParseResult.Success(command)
            : Syntax(command.Verb, $"Syntax: {verbText.ToUpperInvariant()} (no arguments)");

    private static SmtpParseResult Syntax(SmtpVerb verb, string text) => SmtpParseResult.Failure(verb, SmtpReply.SyntaxError(text));

    private static bool StartsWith(string s, string prefix) => s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
}
