using System.Text;

namespace MailLab.Protocols.Pop3;

/// <summary>The extended response codes a reply may carry (RFC 2449 §8, RFC 3206 §4).</summary>
public static class Pop3RespCode
{
    /// <summary>RFC 2449 §8.1.2: the maildrop is locked by another session.</summary>
    public const string InUse = "IN-USE";

    /// <summary>RFC 3206 §5: the credentials were not accepted (retrying with the same ones will not help).</summary>
    public const string Auth = "AUTH";

    /// <summary>RFC 3206 §4: a temporary system problem; try again later.</summary>
    public const string SysTemp = "SYS/TEMP";

    /// <summary>RFC 3206 §4: a permanent system problem; retrying will not help.</summary>
    public const string SysPerm = "SYS/PERM";
}

/// <summary>
/// A POP3 status line (RFC 1939 §3): "+OK" or "-ERR", an optional RFC 2449 response code in
/// brackets after -ERR, and text. Data: the session renders it, the trace logs it.
/// </summary>
public sealed record Pop3Reply
{
    /// <summary>Creates a reply; throws on CR or LF in the text (it would inject reply lines).</summary>
    public Pop3Reply(bool ok, string? code, string text)
    {
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0 || (code?.AsSpan().IndexOfAny("\r\n] ") ?? -1) >= 0)
            throw new ArgumentException("Reply text and codes must not contain CR or LF.", nameof(text));
        Ok = ok;
        Code = code;
        Text = text;
    }

    /// <summary>+OK (true) or -ERR (false).</summary>
    public bool Ok { get; }

    /// <summary>The response code without brackets (e.g. IN-USE), or null.</summary>
    public string? Code { get; }

    /// <summary>The human-readable text.</summary>
    public string Text { get; }

    /// <summary>"+OK" or "-ERR".</summary>
    public string Status => Ok ? "+OK" : "-ERR";

    /// <summary>A positive reply.</summary>
    public static Pop3Reply Positive(string text) => new(true, null, text);

    /// <summary>A negative reply, with a response code when one applies.</summary>
    public static Pop3Reply Negative(string text, string? code = null) => new(false, code, text);

    /// <summary>The status line with CRLF.</summary>
    public string Render()
    {
        var sb = new StringBuilder(Status);
        if (Code is not null) sb.Append(" [").Append(Code).Append(']');
        if (Text.Length > 0) sb.Append(' ').Append(Text);
        return sb.Append("\r\n").ToString();
    }
}

/// <summary>
/// The body of a multi-line reply made of text lines (CAPA, LIST, UIDL): each line dot-stuffed,
/// then the terminating "." line (RFC 1939 §3).
/// </summary>
public static class Pop3MultiLine
{
    /// <summary>The lines, CRLF-terminated and byte-stuffed, followed by ".\r\n".</summary>
    public static string Render(IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            if (line.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new ArgumentException("A line must not contain CR or LF.", nameof(lines));
            if (line.StartsWith('.')) sb.Append('.');
            sb.Append(line).Append("\r\n");
        }
        return sb.Append(".\r\n").ToString();
    }
}
