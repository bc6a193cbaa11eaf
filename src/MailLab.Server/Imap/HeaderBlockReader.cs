using MailLab.Protocols.Imap;

namespace MailLab.Server.Imap;

/// <summary>Reads a stored message's <see cref="HeaderBlock"/> without reading its body.</summary>
internal static class HeaderBlockReader
{
    /// <summary>
    /// Reads from the start of <paramref name="stream"/> up to and including the empty line (or the end);
    /// empty when the message does not start with a header (<see cref="HeaderBlock.StartsWithHeader"/>).
    /// </summary>
    public static async Task<byte[]> ReadAsync(Stream stream, CancellationToken ct)
    {
        var block = await ReadBlockAsync(stream, ct).ConfigureAwait(false);
        return HeaderBlock.StartsWithHeader(block) ? block : [];
    }

    private static async Task<byte[]> ReadBlockAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (true)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            var scanFrom = Math.Max(0, filled - 3);
            filled += n;
            var end = HeaderBlock.EndOfHeader(buffer.AsSpan(0, filled), scanFrom);
            if (end >= 0)
            {
                return buffer[..end];
            }
            if (n == 0 || filled >= HeaderBlock.MaxHeader)
            {
                return buffer[..filled];
            }
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, HeaderBlock.MaxHeader));
            }
        }
    }
}
