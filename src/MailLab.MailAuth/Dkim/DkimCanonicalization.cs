using System.Buffers;
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
        if (!IsOctets(raw)) return RelaxedHeaderText(raw);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(raw.Length + 1);
        try
        {
            return Octets.GetString(buffer, 0, RelaxedHeader(raw, buffer));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether every char of <paramref name="text"/> is one octet (Latin-1), as in fields read by <see cref="DkimMessage"/>.</summary>
    internal static bool IsOctets(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange((char)0, (char)0xFF);

    /// <summary>
    /// <see cref="RelaxedHeader(string)"/> of a field of Latin-1 chars (<see cref="IsOctets"/>) written as
    /// octets into <paramref name="output"/> (at least <c>raw.Length + 1</c>); returns the length. The
    /// verifier writes the signed fields straight into one buffer this way, with no string per field.
    /// </summary>
    public static int RelaxedHeader(ReadOnlySpan<char> raw, Span<byte> output)
    {
        int colon = raw.IndexOf(':');
        var name = (colon < 0 ? raw : raw[..colon]).TrimEnd(" \t");
        int o = 0;
        foreach (char ch in name) output[o++] = (byte)char.ToLowerInvariant(ch); // Latin-1 lowers within Latin-1
        output[o++] = (byte)':';
        int valueStart = o;
        bool space = false;
        foreach (char ch in colon < 0 ? [] : raw[(colon + 1)..])
        {
            if (ch is '\r' or '\n') continue; // unfold: CRLF before WSP goes, the WSP stays (then collapses)
            if (ch is ' ' or '\t')
            {
                space = true;
                continue;
            }
            if (space && o > valueStart) output[o++] = (byte)' '; // no WSP right after the colon
            space = false;
            output[o++] = (byte)ch;
        }
        return o; // trailing WSP was never written
    }

    // The same rules on chars, for a caller's string that is not Latin-1 (the octet path would lose chars).
    private static string RelaxedHeaderText(string raw)
    {
        int colon = raw.IndexOf(':');
        string name = (colon < 0 ? raw : raw[..colon]).TrimEnd(' ', '\t').ToLowerInvariant();
        string value = colon < 0 ? "" : raw[(colon + 1)..];
        var sb = new StringBuilder(name.Length + value.Length + 1).Append(name).Append(':');
        bool space = false;
        foreach (char ch in value)
        {
            if (ch is '\r' or '\n') continue;
            if (ch is ' ' or '\t')
            {
                space = true;
                continue;
            }
            if (space && sb.Length > name.Length + 1) sb.Append(' ');
            space = false;
            sb.Append(ch);
        }
        return sb.ToString();
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
        // One pass. A run of WSP only sets a flag, written as one SP when more content follows on the
        // same line. Runs of other octets are copied in bulk; they are looked for byte by byte for the
        // first 16 (prose has short words) and then by a vectorized search (base64 lines have no WSP).
        int o = 0;
        int lastContentEnd = 0; // output length after the last non-empty line (with its CRLF)
        int lineOut = 0; // output length where the current line starts
        int lineIn = 0; // input position where the current line starts
        bool space = false;
        int i = 0;
        while (i < body.Length)
        {
            byte b = body[i];
            if (b is (byte)' ' or (byte)'\t')
            {
                space = true;
                i++;
                continue;
            }
            if (b == '\r' && i + 1 < body.Length && body[i + 1] == '\n')
            {
                space = false; // WSP at the end of a line is removed
                output[o++] = (byte)'\r';
                output[o++] = (byte)'\n';
                if (o - lineOut > 2) lastContentEnd = o;
                lineOut = o;
                i += 2;
                lineIn = i;
                continue;
            }
            int end = i + 1; // a CR alone is content too
            int scalarEnd = Math.Min(body.Length, i + 16);
            while (end < scalarEnd && body[end] is not ((byte)' ' or (byte)'\t' or (byte)'\r')) end++;
            if (end == scalarEnd && end < body.Length)
            {
                int more = body[end..].IndexOfAny(BodySpecials);
                end = more < 0 ? body.Length : end + more;
            }
            if (space) output[o++] = (byte)' '; // a WSP run inside the line is one SP
            space = false;
            body[i..end].CopyTo(output[o..]);
            o += end - i;
            i = end;
        }
        if (lineIn < body.Length)
        {
            output[o++] = (byte)'\r'; // a last line without CRLF gets one (RFC 6376 §3.4.4 last rule)
            output[o++] = (byte)'\n';
            if (o - lineOut > 2) lastContentEnd = o;
        }
        return lastContentEnd;
    }

    private static readonly SearchValues<byte> BodySpecials = SearchValues.Create(" \t\r"u8);
}
