using System.Text;

namespace MailLab.Protocols.Smtp;

/// <summary>
/// An SMTP reply (RFC 5321 §4.2) with an optional enhanced status code (RFC 3463, RFC 2034),
/// as data: the session renders it, checks return it, the trace logs it.
/// </summary>
public sealed class SmtpReply : IEquatable<SmtpReply>
{
    /// <summary>Creates a reply. Throws on a malformed code or a line containing CR or LF.</summary>
    public SmtpReply(int code, string? enhanced, IReadOnlyList<string> lines)
    {
        // RFC 5321 §4.2: first digit 2-5, second 0-5, third 0-9.
        if (code < 200 || code > 599 || code / 10 % 10 > 5)
            throw new ArgumentOutOfRangeException(nameof(code), code, "SMTP reply codes are 2yz-5yz with y 0-5.");
        if (enhanced is not null && !IsEnhancedCode(enhanced, code / 100))
            throw new ArgumentException($"'{enhanced}' is not an enhanced status code of class {code / 100} (RFC 3463 §2).", nameof(enhanced));
        ArgumentNullException.ThrowIfNull(lines);
        foreach (string line in lines)
        {
            // A CR or LF in reply text would let text inject extra reply lines.
            if (line is null || line.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new ArgumentException("Reply lines must not be null or contain CR or LF.", nameof(lines));
        }
        Code = code;
        Enhanced = enhanced;
        Lines = lines.Count == 0 ? [string.Empty] : lines.ToArray();
    }

    /// <summary>Creates a one-line reply.</summary>
    public SmtpReply(int code, string? enhanced, string text) : this(code, enhanced, [text]) { }

    /// <summary>Three-digit reply code.</summary>
    public int Code { get; }

    /// <summary>Enhanced status code such as "5.5.2", or null (e.g. for 334 and the greeting).</summary>
    public string? Enhanced { get; }

    /// <summary>Text lines, at least one.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>All lines joined with a space, for logs.</summary>
    public string Text => string.Join(" ", Lines);

    /// <summary>2yz: positive completion.</summary>
    public bool IsPositiveCompletion => Code / 100 == 2;

    /// <summary>3yz: positive intermediate (354 after DATA, 334 in AUTH).</summary>
    public bool IsPositiveIntermediate => Code / 100 == 3;

    /// <summary>2yz or 3yz.</summary>
    public bool IsPositive => Code < 400;

    /// <summary>4yz: transient failure, the client may retry.</summary>
    public bool IsTransientNegative => Code / 100 == 4;

    /// <summary>5yz: permanent failure.</summary>
    public bool IsPermanentNegative => Code / 100 == 5;

    /// <summary>4yz or 5yz.</summary>
    public bool IsNegative => Code >= 400;

    /// <summary>
    /// Wire form: "250-first\r\n250 last\r\n" (RFC 5321 §4.2.1), the enhanced code after the reply
    /// code on every line (RFC 2034 §3).
    /// </summary>
    public string Render()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines.Count; i++)
        {
            sb.Append(Code).Append(i == Lines.Count - 1 ? ' ' : '-');
            if (Enhanced is not null)
            {
                sb.Append(Enhanced);
                if (Lines[i].Length > 0) sb.Append(' ');
            }
            sb.Append(Lines[i]).Append("\r\n");
        }
        return sb.ToString();
    }

    /// <summary>The rendered reply without the final CRLF, for logs.</summary>
    public override string ToString() => Render().TrimEnd('\r', '\n');

    /// <inheritdoc/>
    public bool Equals(SmtpReply? other) =>
        other is not null && Code == other.Code && Enhanced == other.Enhanced && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SmtpReply);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Code, Enhanced, Lines[0]);

    // RFC 3463 §2: class "." subject "." detail; subject and detail 1-3 digits without leading zeros.
    private static bool IsEnhancedCode(string s, int replyClass)
    {
        string[] parts = s.Split('.');
        if (parts.Length != 3 || parts[0] != replyClass.ToString(System.Globalization.CultureInfo.InvariantCulture))
            return false;
        return IsNumber(parts[1]) && IsNumber(parts[2]);

        static bool IsNumber(string p) =>
            p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0');
    }

    // Common replies. Texts say why, so a student reading a transcript learns the rule.

    /// <summary>250 2.0.0 Ok.</summary>
    public static SmtpReply Ok(string text = "Ok") => new(250, "2.0.0", text);

    /// <summary>221 2.0.0 closing (RFC 5321 §4.1.1.10).</summary>
    public static SmtpReply Bye(string text = "Bye") => new(221, "2.0.0", text);

    /// <summary>354 after DATA (RFC 5321 §4.1.1.4); no enhanced code on 3yz intermediate replies.</summary>
    public static SmtpReply StartMailInput { get; } = new(354, null, "End data with <CR><LF>.<CR><LF>");

    /// <summary>500 5.5.2 unknown or garbled command (RFC 5321 §4.2.4).</summary>
    public static SmtpReply CommandUnrecognized(string text = "Error: command not recognized") => new(500, "5.5.2", text);

    /// <summary>500 5.5.2 command line over the limit (RFC 5321 §4.5.3.1.4, §4.5.3.1.10).</summary>
    public static SmtpReply LineTooLong { get; } = new(500, "5.5.2", "Error: line too long (RFC 5321 §4.5.3.1.4)");

    /// <summary>501 5.5.4 syntax error in arguments, e.g. "Syntax: MAIL FROM:&lt;address&gt;".</summary>
    public static SmtpReply SyntaxError(string text) => new(501, "5.5.4", text);

    /// <summary>503 5.5.1 bad sequence of commands (RFC 5321 §4.1.4).</summary>
    public static SmtpReply BadSequence(string text) => new(503, "5.5.1", text);

    /// <summary>555 5.5.4 MAIL/RCPT parameter not recognised or not implemented (RFC 5321 §4.1.1.11).</summary>
    public static SmtpReply ParameterNotRecognized(string text) => new(555, "5.5.4", text);

    /// <summary>552 5.3.4 message over the size limit (RFC 1870 §6, RFC 3463).</summary>
    public static SmtpReply MessageTooLarge { get; } = new(552, "5.3.4", "Error: message too large");

    /// <summary>550 5.6.0 bare CR or LF in DATA (SMTP smuggling defence; 5.6.0 is RFC 3463's "other media error").</summary>
    public static SmtpReply BareLineEndingRejected { get; } =
        new(550, "5.6.0", "Error: bare <CR> or <LF> in message, only <CR><LF> allowed (RFC 5321 §2.3.8)");

    /// <summary>500 5.5.2 a text line of the message over 1000 octets (RFC 5321 §4.5.3.1.6).</summary>
    public static SmtpReply TextLineTooLong { get; } =
        new(500, "5.5.2", "Error: message has a line over 1000 octets (RFC 5321 §4.5.3.1.6)");
}
