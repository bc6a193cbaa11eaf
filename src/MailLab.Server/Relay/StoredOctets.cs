using MimeKit;

namespace MailLab.Server.Relay;

/// <summary>
/// A queued message handed to MailKit so that it is sent octet for octet as stored. MimeKit would
/// otherwise parse and re-write it, tidying what it meets (an extra CRLF after a multipart that lacks
/// its end boundary, re-encoded 8-bit parts), and every such change can break a DKIM signature
/// (RFC 6376 §5.3: the signer's octets must reach the verifier). The header fields are kept with
/// their raw values; the body is an entity that writes the stored octets and never re-encodes.
/// </summary>
internal static class StoredOctets
{
    /// <summary>Loads <paramref name="path"/> as a message whose serialization is exactly the file's content.</summary>
    public static async Task<MimeMessage> LoadAsync(string path, CancellationToken ct)
    {
        var raw = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        int end = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        int headerLength = end < 0 ? raw.Length : end + 2;
        var headers = await HeaderList.LoadAsync(new MemoryStream(raw, 0, headerLength, writable: false), ct).ConfigureAwait(false);
        var message = new MimeMessage((IEnumerable<Header>)headers);
        var body = new OctetBody(end < 0 ? [] : raw[(end + 4)..]);
        body.Headers.Clear(); // the Content-* fields are already among the message's own, as stored
        message.Body = body;
        return message;
    }

    /// <summary>The body octets as stored; MimeKit writes the empty line before it.</summary>
    private sealed class OctetBody(byte[] octets) : MimeEntity(new ContentType("application", "octet-stream"))
    {
        // Never re-encoded: the lab's MTAs announce 8BITMIME (RFC 6152), and a downgrade would break DKIM.
        public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
        {
        }

        public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            stream.Write(octets);

        public override Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            stream.WriteAsync(octets, cancellationToken).AsTask();
    }
}
