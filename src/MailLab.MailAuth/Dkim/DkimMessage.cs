namespace MailLab.MailAuth.Dkim;

/// <summary>One header field as received: its name and the raw field (Latin-1, folding and final CRLF kept).</summary>
public sealed record DkimHeaderField(string Name, string Raw)
{
    /// <summary>The value: everything after the colon, final CRLF removed (folding kept).</summary>
    public string Value
    {
        get
        {
            var (start, end) = ValueBounds();
            return Raw[start..end];
        }
    }

    /// <summary>Where <see cref="Value"/> lies in <see cref="Raw"/> (empty at 0 when there is no colon).</summary>
    internal (int Start, int End) ValueBounds()
    {
        int colon = Raw.IndexOf(':');
        if (colon < 0) return (0, 0);
        int end = Raw.Length - (colon + 1) >= 2 && Raw.EndsWith("\r\n", StringComparison.Ordinal) ? Raw.Length - 2 : Raw.Length;
        return (colon + 1, end);
    }
}

/// <summary>
/// A message split for DKIM: header fields in order and where the body starts (after the first empty
/// line, RFC 5322 §2.1). Works on CRLF messages as they travel in SMTP; no MIME parsing is needed.
/// </summary>
public sealed class DkimMessage
{
    private DkimMessage(IReadOnlyList<DkimHeaderField> headers, ReadOnlyMemory<byte> body)
    {
        Headers = headers;
        Body = body;
    }

    /// <summary>The header fields, top first.</summary>
    public IReadOnlyList<DkimHeaderField> Headers { get; }

    /// <summary>The body octets (after the empty line); empty when there is none.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Splits <paramref name="message"/> (CRLF line ends) into header fields and body.</summary>
    public static DkimMessage Parse(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        var headers = new List<DkimHeaderField>();
        int i = 0;
        int fieldStart = -1;
        while (i < span.Length)
        {
            int nl = span[i..].IndexOf("\r\n"u8);
            int lineEnd = nl < 0 ? span.Length : i + nl + 2;
            bool empty = nl == 0;
            bool continuation = !empty && span[i] is (byte)' ' or (byte)'\t';
            if (!continuation && fieldStart >= 0)
            {
                headers.Add(Field(span[fieldStart..i]));
                fieldStart = -1;
            }
            if (empty)
            {
                return new DkimMessage(headers, message[lineEnd..]);
            }
            if (!continuation) fieldStart = i;
            i = lineEnd;
        }
        if (fieldStart >= 0) headers.Add(Field(span[fieldStart..]));
        return new DkimMessage(headers, ReadOnlyMemory<byte>.Empty);
    }

    private static DkimHeaderField Field(ReadOnlySpan<byte> raw)
    {
        string text = DkimCanonicalizer.Octets.GetString(raw);
        int colon = text.IndexOf(':');
        var name = (colon < 0 ? text.AsSpan().TrimEnd("\r\n") : text.AsSpan(0, colon)).TrimEnd(" \t");
        return new DkimHeaderField(CommonName(name) ?? new string(name), text);
    }

    // Names met in nearly every message, shared instead of a new string per field and message.
    private static readonly string[] Common =
    [
        "From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        "DKIM-Signature", "Received", "Return-Path", "Reply-To", "In-Reply-To", "References",
    ];

    private static string? CommonName(ReadOnlySpan<char> name)
    {
        foreach (string c in Common)
        {
            if (name.SequenceEqual(c)) return c;
        }
        return null;
    }

    /// <summary>Converts bare LF line ends to CRLF (message files on disk often use LF; SMTP and DKIM use CRLF).</summary>
    public static byte[] ToCrlf(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length + data.Length / 20);
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) output.Add((byte)'\r');
            output.Add(data[i]);
        }
        return [.. output];
    }
}
