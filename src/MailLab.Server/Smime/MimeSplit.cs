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

    /// <summary>The header section's end (where the body starts, after the empty line) of an entity starting at <paramref name="start"/>.</summary>
    public static int BodyStart(byte[] entity, int start = 0)
    {
        if (entity.AsSpan(start).StartsWith("\r\n"u8)) return start + 2; // no header fields at all
        int end = entity.AsSpan(start).IndexOf("\r\n\r\n"u8);
        return end < 0 ? entity.Length : start + end + 4;
    }

    /// <summary>
    /// The unfolded value of the first header field <paramref name="name"/> in entity[start..bodyStart], or null.
    /// A scan of the head instead of a MIME parse: the verifier looks at two fields and must stay cheap.
    /// </summary>
    public static string? Field(byte[] entity, int start, int bodyStart, string name)
    {
        var head = entity.AsSpan(start, bodyStart - start);
        for (int line = 0; line < head.Length;)
        {
            int next = head[line..].IndexOf("\r\n"u8);
            next = next < 0 ? head.Length : line + next + 2;
            int colon = head[line..next].IndexOf((byte)':');
            if (colon == name.Length && System.Text.Ascii.EqualsIgnoreCase(head.Slice(line, colon), name))
            {
                int stop = next;
                // Folded continuation lines start with a space or a tab (RFC 5322 §2.2.3).
                while (stop < head.Length && head[stop] is (byte)' ' or (byte)'\t')
                {
                    int more = head[stop..].IndexOf("\r\n"u8);
                    stop = more < 0 ? head.Length : stop + more + 2;
                }
                return System.Text.Encoding.Latin1.GetString(head[(line + colon + 1)..stop]).Replace("\r\n", "").Trim();
            }
            line = next;
        }
        return null;
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

    /// <summary>
    /// The decoded body of the MIME entity in <paramref name="entity"/> (headers and body): base64 decoded
    /// directly (what S/MIME uses, RFC 8551 §3.1.2), other encodings through MimeKit.
    /// </summary>
    public static byte[] Decode(byte[] entity)
    {
        int body = BodyStart(entity);
        var encoding = Field(entity, 0, body, "Content-Transfer-Encoding")?.ToLowerInvariant();
        if (encoding == "base64")
        {
            // Convert skips the white space (CR, LF) between base64 lines.
            return Convert.FromBase64String(System.Text.Encoding.Latin1.GetString(entity, body, entity.Length - body));
        }
        if (encoding is null or "binary" or "7bit" or "8bit") return entity[body..];
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
