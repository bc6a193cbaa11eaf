using System.Text;

namespace MailLab.Protocols.Imap;

/// <summary>
/// The header of a message as raw octets, read without parsing the body (RFC 5322 §2.1: the header
/// ends at the first empty line). Enough for FETCH BODY.PEEK[HEADER.FIELDS (...)], ENVELOPE and
/// header SEARCH keys, which are what a client asks for on every message of a folder. Reading it from a
/// stored message is the server's <c>HeaderBlockReader</c>; what is here works on octets in memory.
/// </summary>
public static class HeaderBlock
{
    /// <summary>Largest header read; beyond it the header is cut (a limit against absurd messages).</summary>
    public const int MaxHeader = 256 * 1024;

    /// <summary>
    /// True when the octets begin with a header: a field (RFC 5322 §3.6.8: printable ASCII name, ':';
    /// white space before the colon is the obsolete syntax of §4.5), an mbox "From " line, or at once the
    /// empty line that ends an empty header. Otherwise (<c>just a body</c>) the message has no header
    /// section and all its octets are the text; <see cref="MessageParts"/> applies the same rule.
    /// </summary>
    public static bool StartsWithHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[0] is (byte)'\r' or (byte)'\n')
        {
            return true;
        }
        if (bytes.StartsWith("From "u8))
        {
            return true;
        }
        var i = 0;
        while (i < bytes.Length && bytes[i] is > (byte)' ' and < 0x7F and not (byte)':')
        {
            i++;
        }
        if (i == 0)
        {
            return false;
        }
        while (i < bytes.Length && bytes[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }
        return i < bytes.Length && bytes[i] == (byte)':';
    }

    /// <summary>Length of the header including its terminating empty line, or -1 if not complete.</summary>
    public static int EndOfHeader(ReadOnlySpan<byte> bytes, int from = 0)
    {
        if (bytes.Length > 0 && from == 0 && (bytes[0] == (byte)'\n' || (bytes.Length > 1 && bytes[0] == (byte)'\r' && bytes[1] == (byte)'\n')))
        {
            return bytes[0] == (byte)'\n' ? 1 : 2; // no header at all
        }
        for (var i = Math.Max(from, 1); i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'\n')
            {
                continue;
            }
            // "\n\n" or "\n\r\n"
            if (bytes[i - 1] == (byte)'\n')
            {
                return i + 1;
            }
            if (bytes[i - 1] == (byte)'\r' && i >= 2 && bytes[i - 2] == (byte)'\n')
            {
                return i + 1;
            }
        }
        return -1;
    }

    /// <summary>
    /// The header fields whose names are (or with <paramref name="not"/>, are not) in <paramref name="names"/>,
    /// each with its folded lines, followed by the empty line (RFC 3501 §6.4.5 HEADER.FIELDS).
    /// </summary>
    public static byte[] Filter(ReadOnlySpan<byte> header, IReadOnlyList<string> names, bool not)
    {
        var output = new MemoryStream(header.Length);
        var i = 0;
        while (i < header.Length)
        {
            // A field runs to the next line that does not start with whitespace.
            var start = i;
            var lineEnd = header[i..].IndexOf((byte)'\n');
            if (lineEnd <= 1 && (lineEnd == 0 || header[i] == (byte)'\r'))
            {
                break; // the empty line
            }
            i = lineEnd < 0 ? header.Length : i + lineEnd + 1;
            while (i < header.Length && header[i] is (byte)' ' or (byte)'\t')
            {
                var next = header[i..].IndexOf((byte)'\n');
                i = next < 0 ? header.Length : i + next + 1;
            }
            var field = header[start..i];
            var colon = field.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }
            var listed = Listed(field[..colon].TrimEnd(" \t"u8), names);
            if (listed != not)
            {
                output.Write(field);
            }
        }
        output.Write("\r\n"u8);
        return output.ToArray();
    }

    // Compared as bytes: a string per field of every message of a header list only fed the GC.
    private static bool Listed(ReadOnlySpan<byte> name, IReadOnlyList<string> names)
    {
        foreach (var n in names)
        {
            if (Ascii.EqualsIgnoreCase(name, n))
            {
                return true;
            }
        }
        return false;
    }
}
