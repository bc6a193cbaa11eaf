using System.Runtime.InteropServices;
using MimeKit;

namespace MailLab.Server.Delivery;

/// <summary>
/// The header fields a student compares with the envelope: From (what the mail client shows),
/// Sender, Subject, Message-ID and Date.
/// </summary>
internal sealed record HeaderSummary(string? From, string? Sender, string? Subject, string? MessageId, string? Date, int ReceivedCount)
{
    /// <summary>The domain of the (first) header From address, lower case, or null.</summary>
    public string? FromDomain { get; init; }

    /// <summary>Reads the header section at the start of <paramref name="content"/>; tolerant of broken input.</summary>
    public static HeaderSummary Read(MessageSpool content) => Read(content.Head(256 * 1024));

    /// <summary>Reads the summary from the first bytes of a message (its header section).</summary>
    public static HeaderSummary Read(ReadOnlyMemory<byte> head)
    {
        HeaderList headers;
        try
        {
            using var stream = OpenHead(head);
            headers = HeaderList.Load(stream);
        }
        catch (FormatException)
        {
            return new HeaderSummary(null, null, null, null, null, 0);
        }
        var from = headers[HeaderId.From];
        string? fromDomain = null;
        if (from is not null && InternetAddressList.TryParse(from, out var list))
        {
            fromDomain = list.Mailboxes.FirstOrDefault()?.Domain?.ToLowerInvariant();
        }
        return new HeaderSummary(
            from?.Trim(), headers[HeaderId.Sender]?.Trim(), headers[HeaderId.Subject]?.Trim(),
            headers[HeaderId.MessageId]?.Trim(), headers[HeaderId.Date]?.Trim(),
            headers.Count(h => h.Id == HeaderId.Received))
        { FromDomain = fromDomain };
    }

    // Reads the spool's own buffer where it can (no copy of every message on the hot path).
    private static MemoryStream OpenHead(ReadOnlyMemory<byte> head) =>
        MemoryMarshal.TryGetArray(head, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(head.ToArray(), writable: false);
}
