using System.Text;

namespace MailLab.MailAuth.Dkim;

/// <summary>The two canonicalization algorithms of RFC 6376 §3.4.</summary>
public enum DkimCanonicalization
{
    Simple,
    Relaxed,
}

/// <summary>
/// RFC 6376 §3.4 canonicalization of header fields and body, on raw octets. Header fields are handled
/// as Latin-1 strings so every octet (UTF-8 included) maps to one char and back unchanged.
/// </summary>
public static class DkimCanonicalizer
{
    /// <summary>Latin-1: one char per octet, so raw header bytes survive a round trip through string.</summary>
    public static readonly Encoding Octets = Encoding.Latin1;

    /// <summary>
    /// One header field as it enters the hash, including its final CRLF. <paramref name="raw"/> is the
    /// whole field as received (name, colon, value, folding, final CRLF).
    /// </summary>
    public static string Header(string raw, DkimCanonicalization c) =>
        c == DkimCanonicalization.Simple ? raw : RelaxedHeader(raw) + "\r\n";

    /// <summary>
    /// RFC 6376 §3.4.2: lower-case the name, unfold, reduce runs of WSP to one SP, drop WSP at the end of
    /// the value and around the colon. Returns the field without its final CRLF.
    /// </summary>
    public static string RelaxedHeader(string raw)
    {
        int colon = raw.IndexOf(':');
        string name = (colon < 0 ? raw : raw[..colon]).TrimEnd(' ', '\t').ToLowerInvariant();
        string value = colon < 0 ? "" : raw[(colon + 1)..];
        var sb = new StringBuilder(name.Length + value.Length + 1).Append(name).Append(':');
        bool space = false;
        foreach (char ch in value)
        {
            if (ch is '\r' or '\n') continue; // unfold: CRLF before WSP goes, the WSP stays (then collapses)
            if (ch is ' ' or '\t')
            {
                space = true;
                continue;
            }
            if (space && sb.Length > name.Length + 1) sb.Append(' '); // no WSP right after the colon
            space = false;
            sb.Append(ch);
        }
        return sb.ToString(); // trailing WSP was never written
    }

    /// <summary>The canonical body (RFC 6376 §3.4.3 simple, §3.4.4 relaxed) of <paramref name="body"/>.</summary>
    public static byte[] Body(ReadOnlySpan<byte> body, DkimCanonicalization c) =>
        c == DkimCanonicalization.Simple ? SimpleBody(body) : RelaxedBody(body);

    /// <summary>
    /// RFC 6376 §3.4.3: empty lines at the end are removed; a body that is empty or lacks a final CRLF
    /// gets one CRLF, so the simple canonical body is never empty.
    /// </summary>
    public static byte[] SimpleBody(ReadOnlySpan<byte> body)
    {
        var result = new byte[body.Length + 2];
        return result[..SimpleBody(body, result)];
    }

    /// <summary><see cref="SimpleBody(ReadOnlySpan{byte})"/> into <paramref name="output"/> (at least <c>body.Length + 2</c> octets); returns the length.</summary>
    public static int SimpleBody(ReadOnlySpan<byte> body, Span<byte> output)
    {
        int end = body.Length;
        while (end >= 2 && body[end - 2] == '\r' && body[end - 1] == '\n') end -= 2;
        body[..end].CopyTo(output);
        output[end] = (byte)'\r';
        output[end + 1] = (byte)'\n';
        return end + 2;
    }

    /// <summary>
    /// RFC 6376 §3.4.4: WSP at line ends removed, other WSP runs become one SP, empty lines at the end
    /// removed; a non-empty result ends with CRLF, an empty body stays empty (errata 1384).
    /// </summary>
    public static byte[] RelaxedBody(ReadOnlySpan<byte> body)
    {
        var output = new byte[body.Length + 2];
        return output[..RelaxedBody(body, output)];
    }

    /// <summary>
    /// <see cref="RelaxedBody(ReadOnlySpan{byte})"/> into <paramref name="output"/> (at least
    /// <c>body.Length + 2</c> octets); returns the canonical length. Copies runs without WSP in bulk,
    /// so a verifier can canonicalize into a pooled buffer without a per-octet loop or a new array.
    /// </summary>
    public static int RelaxedBody(ReadOnlySpan<byte> body, Span<byte> output)
    {
        int o = 0;
        int lastContentEnd = 0; // output length after the last non-empty line (with its CRLF)
        int i = 0;
        while (i < body.Length)
        {
            int nl = body[i..].IndexOf("\r\n"u8);
            bool terminated = nl >= 0;
            var line = terminated ? body.Slice(i, nl) : body[i..];
            i += terminated ? nl + 2 : line.Length;
            int start = o;
            while (line.Length > 0)
            {
                int ws = line.IndexOfAny((byte)' ', (byte)'\t');
                if (ws < 0)
                {
                    line.CopyTo(output[o..]);
                    o += line.Length;
                    break;
                }
                line[..ws].CopyTo(output[o..]);
                o += ws;
                line = line[ws..].TrimStart(" \t"u8);
                if (line.Length > 0) output[o++] = (byte)' '; // a WSP run inside the line is one SP; at the end, none
            }
            output[o++] = (byte)'\r'; // a last line without CRLF gets one (RFC 6376 §3.4.4 last rule)
            output[o++] = (byte)'\n';
            if (o - start > 2) lastContentEnd = o;
        }
        return lastContentEnd;
    }
}
