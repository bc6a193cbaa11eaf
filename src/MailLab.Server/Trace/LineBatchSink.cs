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
        byte[] bytes = Utf8.GetBytes(text.ToString(0, end));
        text.Remove(0, end);
        int at = 0;
        while (at < bytes.Length)
        {
            int length = Math.Min(MaxWrite, bytes.Length - at);
            if (at + length < bytes.Length)
            {
                // Back to the last line end inside the chunk; a single line longer than the chunk goes whole.
                int cut = Array.LastIndexOf(bytes, (byte)'\n', at + length - 1, length);
                length = cut >= at ? cut - at + 1 : (Array.IndexOf(bytes, (byte)'\n', at) is var nl and >= 0 ? nl - at + 1 : bytes.Length - at);
            }
            output.Write(bytes, at, length);
            at += length;
        }
        output.Flush();
    }
}
