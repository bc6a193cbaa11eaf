using System.Text;

namespace MailLab.Protocols.Imap;

/// <summary>
/// Mailbox names on the wire (RFC 3501 §5.1.3): printable ASCII stands for itself except '&amp;', which
/// is written "&amp;-"; other characters go as UTF-16 in modified base64 (',' instead of '/') between
/// '&amp;' and '-'.
/// </summary>
public static class ModifiedUtf7
{
    /// <summary>Encodes a Unicode name for the wire.</summary>
    public static string Encode(string name)
    {
        var sb = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '&')
            {
                sb.Append("&-");
            }
            else if (c is >= (char)0x20 and <= (char)0x7E)
            {
                sb.Append(c);
            }
            else
            {
                var start = i;
                while (i < name.Length && name[i] is < (char)0x20 or > (char)0x7E)
                {
                    i++;
                }
                var bytes = Encoding.BigEndianUnicode.GetBytes(name[start..i]);
                sb.Append('&').Append(Convert.ToBase64String(bytes).TrimEnd('=').Replace('/', ',')).Append('-');
                i--;
            }
        }
        return sb.ToString();
    }

    /// <summary>Decodes a wire name; false when it is not valid modified UTF-7.</summary>
    public static bool TryDecode(string wire, out string name)
    {
        name = "";
        var sb = new StringBuilder(wire.Length);
        for (var i = 0; i < wire.Length; i++)
        {
            var c = wire[i];
            if (c > 0x7E || c < 0x20)
            {
                return false; // 8-bit names need UTF8=ACCEPT (RFC 6855), not offered here
            }
            if (c != '&')
            {
                sb.Append(c);
                continue;
            }
            var end = wire.IndexOf('-', i + 1);
            if (end < 0)
            {
                return false;
            }
            if (end == i + 1)
            {
                sb.Append('&');
                i = end;
                continue;
            }
            var b64 = wire[(i + 1)..end].Replace(',', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(b64);
            }
            catch (FormatException)
            {
                return false;
            }
            if (bytes.Length % 2 != 0)
            {
                return false;
            }
            var decoded = Encoding.BigEndianUnicode.GetString(bytes);
            // RFC 3501 §5.1.3: printable ASCII must not be base64-encoded.
            if (decoded.Any(ch => ch is >= (char)0x20 and <= (char)0x7E))
            {
                return false;
            }
            sb.Append(decoded);
            i = end;
        }
        name = sb.ToString();
        return true;
    }
}
