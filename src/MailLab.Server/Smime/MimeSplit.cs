using MimeKit;

namespace MailLab.Server.Smime;

/// <summary>
/// The octets S/MIME signs, cut from the message as received. A multipart/signed signature covers the
/// first part exactly as sent (RFC 1847 §2.1, RFC 8551 §3.1.1), so it is taken from the raw octets
/// rather than from a parsed-and-rewritten MIME tree, which could change a single octet.
/// </summary>
internal static class MimeSplit
{
    private static readonly ParserOptions Options = new() { MaxMimeDepth = 16 };

    /// <summary>The header section and where the body starts (after the empty line).</summary>
    public static (HeaderList Headers, int BodyStart) Headers(byte[] message)
    {
        int end = message.AsSpan().IndexOf("\r\n\r\n"u8);
        int bodyStart = end < 0 ? message.Length : end + 4;
        using var stream = new MemoryStream(message, 0, bodyStart, writable: false);
        return (HeaderList.Load(Options, stream), bodyStart);
    }

    /// <summary>
    /// The two body parts of multipart/signed: the signed content (from after the first delimiter line to
    /// before the CRLF of the second, RFC 2046 §5.1.1: that CRLF belongs to the delimiter) and the signature part.
    /// </summary>
    public static (byte[] Content, byte[] Signature)? SignedParts(byte[] message, int bodyStart, string? boundary)
    {
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70) return null; // RFC 2046 §5.1.1: at most 70 characters
        byte[] delimiter = System.Text.Encoding.ASCII.GetBytes("--" + boundary);
        var starts = new List<(int Line, int After)>();
        int pos = bodyStart;
        while (starts.Count < 3 && pos < message.Length)
        {
            int i = message.AsSpan(pos).IndexOf(delimiter);
            if (i < 0) break;
            i += pos;
            bool lineStart = i == bodyStart || (i >= 2 && message[i - 2] == '\r' && message[i - 1] == '\n');
            int lineEnd = message.AsSpan(i).IndexOf("\r\n"u8);
            int after = lineEnd < 0 ? message.Length : i + lineEnd + 2;
            if (lineStart) starts.Add((i, after));
            pos = after;
        }
        if (starts.Count < 3) return null;
        byte[] content = message[starts[0].After..Math.Max(starts[0].After, starts[1].Line - 2)];
        byte[] signature = message[starts[1].After..Math.Max(starts[1].After, starts[2].Line - 2)];
        return (content, signature);
    }

    /// <summary>The decoded body of the MIME entity in <paramref name="entity"/> (headers and body; base64 usually).</summary>
    public static byte[] Decode(byte[] entity)
    {
        using var stream = new MemoryStream(entity, writable: false);
        var parsed = MimeEntity.Load(Options, stream);
        if (parsed is not MimePart part || part.Content is null) throw new FormatException("the S/MIME part has no content");
        using var decoded = new MemoryStream();
        part.Content.DecodeTo(decoded);
        return decoded.ToArray();
    }

    /// <summary>Bare LF line ends made CRLF (S/MIME's canonical form, RFC 8551 §3.1.1); CRLF stays.</summary>
    public static byte[] Crlf(byte[] text)
    {
        int bare = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) bare++;
        }
        if (bare == 0) return text;
        var result = new byte[text.Length + bare];
        int o = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) result[o++] = (byte)'\r';
            result[o++] = text[i];
        }
        return result;
    }
}
