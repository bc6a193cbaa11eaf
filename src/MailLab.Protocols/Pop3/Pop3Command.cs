namespace MailLab.Protocols.Pop3;

/// <summary>The POP3 command keywords this server knows (RFC 1939 §4-§7, RFC 2449, RFC 2595, RFC 5034).</summary>
public enum Pop3Verb
{
    User,
    Pass,
    Apop,
    Auth,
    Stls,
    Capa,
    Quit,
    Stat,
    List,
    Retr,
    Dele,
    Noop,
    Rset,
    Top,
    Uidl,
}

/// <summary>
/// One parsed command line. Message numbers are already checked to be positive decimals;
/// whether such a message exists is the session's question.
/// </summary>
/// <param name="Verb">The keyword.</param>
/// <param name="Arguments">The space-separated arguments (for PASS: the whole rest of the line, spaces included).</param>
/// <param name="Number">The message number of LIST, UIDL, RETR, DELE and TOP, when given.</param>
/// <param name="Lines">TOP's second argument: body lines to send.</param>
public sealed record Pop3Command(Pop3Verb Verb, IReadOnlyList<string> Arguments, int? Number = null, int? Lines = null)
{
    /// <summary>The keyword as written on the wire, upper case.</summary>
    public string Keyword => Verb.ToString().ToUpperInvariant();

    /// <summary>The first argument, or null.</summary>
    public string? Argument => Arguments.Count > 0 ? Arguments[0] : null;
}

/// <summary>What <see cref="Pop3CommandParser.Parse"/> found: a command, or the text of the -ERR to send.</summary>
public sealed record Pop3ParseResult(Pop3Command? Command, string? Error, string? Keyword)
{
    /// <summary>A parsed command.</summary>
    public static Pop3ParseResult Ok(Pop3Command command) => new(command, null, command.Keyword);

    /// <summary>A refused line, with the keyword as the client wrote it (upper-cased) when there was one.</summary>
    public static Pop3ParseResult Fail(string error, string? keyword) => new(null, error, keyword);
}
