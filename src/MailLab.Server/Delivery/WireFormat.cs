using MimeKit;

namespace MailLab.Server.Delivery;

/// <summary>How the lab writes a message it composes itself (DSNs, DMARC reports) into the queue.</summary>
internal static class WireFormat
{
    /// <summary>
    /// CRLF line ends whatever the platform (RFC 5322 §2.1, RFC 5321 §2.3.8): the relay sends queued
    /// octets unchanged, so a file written with LF would reach the next hop as one long header block.
    /// </summary>
    public static FormatOptions Options { get; } = Create();

    private static FormatOptions Create()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
