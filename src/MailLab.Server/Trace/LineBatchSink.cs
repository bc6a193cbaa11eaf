using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// The trace's console lines (a terminal, or a file, a pipe, <c>docker logs</c> when redirected): each event is formatted
/// into memory and <see cref="Flush"/> (once per burst, from <see cref="TracePump"/>) writes whole lines only, in
/// writes of at most <see cref="MaxWrite"/> octets, so a line is never split by another writer of the same stdout
/// (the CLI's own <c>Console.WriteLine</c>): a pipe keeps a write of up to PIPE_BUF (4096) octets in one piece.
/// </summary>
internal sealed class LineBatchSink(Stream output, Action<StringBuilder, TraceEvent> format) : ITraceSink
{
    /// <summary>The largest write (POSIX PIPE_BUF on Linux); a longer line goes alone.</summary>
    public const int MaxWrite = 4096;

    /// <summary>The console lines of <see cref="ConsoleLine"/> to <paramref name="output"/>.</summary>
    public LineBatchSink(Stream output) : this(output, ConsoleLine.Append)
    {
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly StringBuilder pending = new();
    private readonly Encoder encoder = Utf8.GetEncoder();
    private byte[] bytes = new byte[16 * 1024]; // grows to the longest burst written (at most about 64 K characters, 192 KiB)

    /// <inheritdoc/>
    public void Emit(TraceEvent e)
    {
        lock (pending)
        {
            format(pending, e);
            if (pending.Length >= 64 * 1024) FlushLocked(); // a long burst: do not hold it all
        }
    }

    /// <summary>Writes every complete line formatted so far.</summary>
    public void Flush()
    {
        lock (pending) FlushLocked();
    }

    private void FlushLocked()
    {
        var text = pending;
        int end = text.Length;
        while (end > 0 && text[end - 1] != '\n') end--; // whole lines only (the template ends each with a newline)
        if (end == 0) return;
        int total = Encode(text, end);
        text.Remove(0, end);
        int at = 0;
        while (at < total)
        {
            int length = Math.Min(MaxWrite, total - at);
            if (at + length < total)
            {
                // Back to the last line end inside the chunk; a single line longer than the chunk goes whole.
                int cut = Array.LastIndexOf(bytes, (byte)'\n', at + length - 1, length);
                length = cut >= at ? cut - at + 1 : (Array.IndexOf(bytes, (byte)'\n', at, total - at) is var nl and >= 0 ? nl - at + 1 : total - at);
            }
            output.Write(bytes, at, length);
            at += length;
        }
        output.Flush();
    }

    // The first `end` characters as UTF-8 into `bytes`, straight from the builder's chunks (no string per burst).
    private int Encode(StringBuilder text, int end)
    {
        int most = Utf8.GetMaxByteCount(end);
        if (bytes.Length < most) bytes = new byte[Math.Max(most, 2 * bytes.Length)];
        int used = 0, left = end;
        foreach (var chunk in text.GetChunks())
        {
            var span = chunk.Span[..Math.Min(left, chunk.Length)];
            used += encoder.GetBytes(span, bytes.AsSpan(used), flush: false);
            left -= span.Length;
            if (left == 0) break;
        }
        return used + encoder.GetBytes(ReadOnlySpan<char>.Empty, bytes.AsSpan(used), flush: true);
    }
}
