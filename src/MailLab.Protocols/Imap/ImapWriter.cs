using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailLab.Protocols.Imap;

/// <summary>
/// Writes server responses into a buffer (no I/O): atoms, numbers, strings as quoted or literal
/// as their content requires (RFC 3501 §4.3: CR, LF, NUL, 8-bit or long text goes as a literal),
/// NIL, and literal headers for octets the caller copies itself.
/// </summary>
public sealed class ImapWriter(IBufferWriter<byte> output)
{
    /// <summary>Longest string written quoted; longer ones become literals.</summary>
    public const int MaxQuoted = 1024;

    /// <summary>Raw ASCII text (the caller guarantees it is valid protocol text).</summary>
    public ImapWriter Raw(string text)
    {
        Encoding.ASCII.GetBytes(text, output);
        return this;
    }

    /// <summary>Raw octets.</summary>
    public ImapWriter Raw(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        return this;
    }

    /// <summary>A number.</summary>
    public ImapWriter Number(long n)
    {
        Span<byte> digits = stackalloc byte[20];
        n.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        output.Write(digits[..written]);
        return this;
    }

    /// <summary>CRLF.</summary>
    public ImapWriter Crlf() => Raw("\r\n"u8);

    /// <summary>A string, or NIL when null.</summary>
    public ImapWriter NString(string? text) => text is null ? Raw("NIL"u8) : String(text);

    /// <summary>An astring (RFC 3501 §9): bare when every character is an ATOM-CHAR, else a string. Used for mailbox names.</summary>
    public ImapWriter AString(string text)
    {
        if (text.Length > 0 && !text.Equals("NIL", StringComparison.OrdinalIgnoreCase)
            && text.All(c => c < 0x7F && (ImapParser.IsAtomChar((byte)c) || c == ']')))
        {
            return Raw(text);
        }
        return String(text);
    }

    /// <summary>A string: quoted when safe, else a literal of its UTF-8 octets.</summary>
    public ImapWriter String(string text)
    {
        if (CanQuote(text))
        {
            output.Write("\""u8);
            foreach (var c in text)
            {
                if (c is '"' or '\\')
                {
                    output.Write("\\"u8);
                }
                var b = output.GetSpan(1);
                b[0] = (byte)c;
                output.Advance(1);
            }
            output.Write("\""u8);
            return this;
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        return LiteralHeader(bytes.Length).Raw(bytes);
    }

    /// <summary>A literal of the given octets.</summary>
    public ImapWriter Literal(ReadOnlySpan<byte> bytes) => LiteralHeader(bytes.Length).Raw(bytes);

    /// <summary><c>{n}</c> CRLF: the caller writes exactly n octets next.</summary>
    public ImapWriter LiteralHeader(long length) => Raw("{"u8).Number(length).Raw("}\r\n"u8);

    /// <summary>A parenthesised list of strings (NIL when empty and <paramref name="nilWhenEmpty"/>).</summary>
    public ImapWriter StringList(IReadOnlyList<string> items, bool nilWhenEmpty = false)
    {
        if (items.Count == 0 && nilWhenEmpty)
        {
            return Raw("NIL"u8);
        }
        Raw("("u8);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) Raw(" "u8);
            String(items[i]);
        }
        return Raw(")"u8);
    }

    /// <summary>True when the text may be sent as a quoted string (7-bit, no CR/LF/NUL, not too long).</summary>
    public static bool CanQuote(string text)
    {
        if (text.Length > MaxQuoted)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (c is '\r' or '\n' or '\0' || c > 0x7E)
            {
                return false;
            }
        }
        return true;
    }
}
