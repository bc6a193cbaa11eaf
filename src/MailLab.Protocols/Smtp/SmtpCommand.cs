namespace MailLab.Protocols.Smtp;

/// <summary>SMTP command verbs (RFC 5321 §4.1.1 and the extensions we implement).</summary>
public enum SmtpVerb
{
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
    Help,
    Vrfy,
    Expn,
    StartTls,
    Auth,
    Bdat,
    Unknown,
}

/// <summary>A parsed SMTP command: the verb, the raw line, and the parts that verb has.</summary>
public sealed record SmtpCommand(SmtpVerb Verb, string Raw)
{
    private static readonly IReadOnlyDictionary<string, string?> NoParameters =
        new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>HELO/EHLO: the domain or address literal ("[127.0.0.1]", "[IPv6:::1]").</summary>
    public string? Domain { get; init; }

    /// <summary>
    /// MAIL: the reverse-path mailbox, "" for the null path &lt;&gt;. RCPT: the forward-path mailbox,
    /// "Postmaster" for &lt;Postmaster&gt; (RFC 5321 §4.1.1.3). Without angle brackets and source route.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>The path contains non-ASCII characters (needs SMTPUTF8, RFC 6531 §3.4).</summary>
    public bool PathIsUtf8 { get; init; }

    /// <summary>MAIL/RCPT ESMTP parameters; keys upper-case, value null for a keyword without "=".</summary>
    public IReadOnlyDictionary<string, string?> Parameters { get; init; } = NoParameters;

    /// <summary>
    /// MAIL: the SIZE parameter's value (RFC 1870), saturated at <see cref="long.MaxValue"/> so that any
    /// all-digit value, however long, compares as a number; null without SIZE.
    /// </summary>
    public long? DeclaredSize { get; init; }

    /// <summary>AUTH: the SASL mechanism name, upper-case.</summary>
    public string? Mechanism { get; init; }

    /// <summary>AUTH: the initial response as sent; "=" means an empty response (RFC 4954 §4).</summary>
    public string? InitialResponse { get; init; }

    /// <summary>VRFY/EXPN/HELP/NOOP: the argument text, if any.</summary>
    public string? Argument { get; init; }
}

/// <summary>The result of parsing one command line: a command, or the error reply to send.</summary>
public sealed class SmtpParseResult
{
    private SmtpParseResult(SmtpVerb verb, SmtpCommand? command, SmtpReply? error)
    {
        Verb = verb;
        Command = command;
        Error = error;
    }

    /// <summary>The verb recognised on the line (also on errors), <see cref="SmtpVerb.Unknown"/> if none.</summary>
    public SmtpVerb Verb { get; }

    /// <summary>The command, when the line parsed.</summary>
    public SmtpCommand? Command { get; }

    /// <summary>The reply to send, when it did not.</summary>
    public SmtpReply? Error { get; }

    /// <summary>True when <see cref="Command"/> is set.</summary>
    public bool IsSuccess => Command is not null;

    /// <summary>A successful parse.</summary>
    public static SmtpParseResult Success(SmtpCommand command) => new(command.Verb, command, null);

    /// <summary>A failed parse.</summary>
    public static SmtpParseResult Failure(SmtpVerb verb, SmtpReply error) => new(verb, null, error);

    /// <inheritdoc/>
    public override string ToString() => Command?.ToString() ?? Error!.ToString();
}
