using MailLab.MailAuth.Dmarc;
using MailLab.Server.Delivery;

namespace MailLab.Server.Checks;

/// <summary>
/// One received message as every stage sees it, parsed once: the head (header section) read once,
/// the header summary for the trace, the author as DMARC reads it, and the whole message read at most
/// once, when a stage first needs it. Two From parsers stay on purpose: <see cref="Headers"/> is what
/// the trace has always shown (MimeKit's reading), <see cref="Author"/> is RFC 7489's strict reading.
/// </summary>
public sealed class MessageView : IAsyncDisposable
{
    private readonly MessageSpool original;
    private ReadOnlyMemory<byte>? head;
    private AuthorDomain? author;
    private byte[]? bytes;
    private string? contentType;
    private bool contentTypeRead;

    /// <summary>Creates the view of the message in <paramref name="content"/> (the caller keeps owning it).</summary>
    internal MessageView(MessageSpool content)
    {
        original = content;
        Content = content;
        Size = content.Length;
        Headers = HeaderSummary.Read(Head);
    }

    /// <summary>The message as it will be delivered (a header rewrite may replace it).</summary>
    internal MessageSpool Content { get; private set; }

    /// <summary>The size of the message as received, in octets.</summary>
    public long Size { get; }

    /// <summary>The first <see cref="FromExtractor.MaxHeaderBytes"/> octets: the header section.</summary>
    public ReadOnlyMemory<byte> Head => head ??= original.Head(FromExtractor.MaxHeaderBytes);

    /// <summary>From, Subject, Message-ID, Date as the trace shows them.</summary>
    internal HeaderSummary Headers { get; }

    /// <summary>The author (RFC 5322 From) as DMARC reads it (RFC 7489 §6.6.1), parsed on first use.</summary>
    public AuthorDomain Author => author ??= FromExtractor.Extract(Head.Span);

    /// <summary>
    /// The top-level Content-Type field's value (unfolded), or null: read from the head alone, so a stage can
    /// tell an S/MIME message from plain mail without parsing any MIME.
    /// </summary>
    public string? ContentType => contentTypeRead ? contentType : ReadContentType();

    private string? ReadContentType()
    {
        contentTypeRead = true;
        var span = Head.Span;
        var end = span.IndexOf("\r\n\r\n"u8);
        if (end >= 0) span = span[..(end + 2)];
        var name = "content-type:"u8;
        for (int line = 0; line < span.Length;)
        {
            int next = span[line..].IndexOf("\r\n"u8);
            next = next < 0 ? span.Length : line + next + 2;
            if (span.Length - line >= name.Length && System.Text.Ascii.EqualsIgnoreCase(span.Slice(line, name.Length), name))
            {
                int stop = next;
                // Folded continuation lines start with a space or a tab (RFC 5322 §2.2.3).
                while (stop < span.Length && span[stop] is (byte)' ' or (byte)'\t')
                {
                    int more = span[stop..].IndexOf("\r\n"u8);
                    stop = more < 0 ? span.Length : stop + more + 2;
                }
                return contentType = System.Text.Encoding.Latin1.GetString(span[(line + name.Length)..stop]).Replace("\r\n", "").Trim();
            }
            line = next;
        }
        return null;
    }

    /// <summary>The message as received, without a copy when it is held in memory (what the DKIM verifier reads).</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ContentAsync(CancellationToken ct) =>
        bytes is null && original.TryGetMemory(out var content) ? content : await BytesAsync(ct);

    /// <summary>The whole message as received (CRLF), read from the spool at most once.</summary>
    public async ValueTask<byte[]> BytesAsync(CancellationToken ct)
    {
        if (bytes is not null) return bytes;
        // Bounded by max-message-size; copied once, straight into an array of the exact size.
        var array = GC.AllocateUninitializedArray<byte>(checked((int)original.Length));
        using var buffer = new MemoryStream(array, 0, array.Length, writable: true);
        await original.CopyToAsync(buffer, ct);
        return bytes = array;
    }

    /// <summary>Replaces the content to deliver (a header rewrite); the view's reading stays that of the message as received.</summary>
    internal async Task ReplaceAsync(MessageSpool rewritten)
    {
        // The received copy is no longer needed: its spill file goes now (its owner's dispose is then a no-op).
        if (!ReferenceEquals(Content, original)) await Content.DisposeAsync();
        await original.DisposeAsync();
        Content = rewritten;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(Content, original)) await Content.DisposeAsync();
    }
}
