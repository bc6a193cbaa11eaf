using System.Text;

namespace MailLab.Server.OpenPgp;

/// <summary>What kind of OpenPGP message a mail is, as seen from its header and first body octets.</summary>
public enum PgpMessageKind
{
    /// <summary>No OpenPGP: nothing to verify.</summary>
    None,
    /// <summary>RFC 3156 §5: multipart/signed; protocol="application/pgp-signature".</summary>
    MimeSigned,
    /// <summary>RFC 3156 §4: multipart/encrypted; protocol="application/pgp-encrypted".</summary>
    MimeEncrypted,
    /// <summary>Inline, RFC 4880 §7: a clear-signed text body (-----BEGIN PGP SIGNED MESSAGE-----).</summary>
    InlineSigned,
    /// <summary>Inline: an armored OpenPGP message in the text body (-----BEGIN PGP MESSAGE-----).</summary>
    InlineMessage,
    /// <summary>A detached signature over a file (<c>maillab pgp verify --signature</c>).</summary>
    Detached,
}

/// <summary>
/// Decides from the header section (and the body octets that follow it in the same buffer) whether a
/// message is OpenPGP, without parsing MIME: an unsigned message costs one scan of its Content-Type.
/// </summary>
public static class PgpDetect
{
    /// <summary>The kind of <paramref name="head"/> (the first octets of the message, header section included).</summary>
    public static PgpMessageKind Kind(ReadOnlySpan<byte> head)
    {
        int end = head.IndexOf("\r\n\r\n"u8);
        var header = end < 0 ? head : head[..(end + 2)];
        var type = ContentType(header);
        if (type is not null)
        {
            if (Starts(type, "multipart/signed")) return Contains(type, "application/pgp-signature") ? PgpMessageKind.MimeSigned : PgpMessageKind.None;
            if (Starts(type, "multipart/encrypted")) return Contains(type, "application/pgp-encrypted") ? PgpMessageKind.MimeEncrypted : PgpMessageKind.None;
            if (!Starts(type, "text/plain")) return PgpMessageKind.None;
        }
        if (end < 0) return PgpMessageKind.None;
        var body = head[(end + 4)..];
        if (body.IndexOf("-----BEGIN PGP SIGNED MESSAGE-----"u8) >= 0) return PgpMessageKind.InlineSigned;
        if (body.IndexOf("-----BEGIN PGP MESSAGE-----"u8) >= 0) return PgpMessageKind.InlineMessage;
        return PgpMessageKind.None;
    }

    // The unfolded value of the first Content-Type field (RFC 5322 §2.2.3), lower case; null when there is none.
    private static string? ContentType(ReadOnlySpan<byte> header)
    {
        int at = 0;
        while (at < header.Length)
        {
            int eol = header[at..].IndexOf("\r\n"u8);
            int lineEnd = eol < 0 ? header.Length : at + eol;
            var line = header[at..lineEnd];
            if (line.Length > 13 && Ascii.EqualsIgnoreCase(line[..13], "content-type:"u8))
            {
                var value = new StringBuilder(Encoding.Latin1.GetString(line[13..]));
                int next = lineEnd + 2;
                while (next < header.Length && header[next] is (byte)' ' or (byte)'\t')
                {
                    int e = header[next..].IndexOf("\r\n"u8);
                    int stop = e < 0 ? header.Length : next + e;
                    value.Append(Encoding.Latin1.GetString(header[next..stop]));
                    next = stop + 2;
                }
                return value.ToString().Trim().ToLowerInvariant();
            }
            at = lineEnd + 2;
        }
        return null;
    }

    private static bool Starts(string value, string prefix) => value.StartsWith(prefix, StringComparison.Ordinal);

    private static bool Contains(string value, string part) => value.Contains(part, StringComparison.Ordinal);
}
