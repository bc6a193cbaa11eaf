using System.IO.Pipelines;
using MailLab.Protocols.Smtp;

namespace MailLab.Server.Listeners;

/// <summary>Reads one framed command line from a session's pipe (SMTP and POP3 share the framing loop).</summary>
public static class LineReader
{
    /// <summary>
    /// Frames the next line; a null status means the client closed the connection. Before each wait
    /// for more bytes <paramref name="beforeWait"/> runs (the session flushes its queued replies and
    /// arms its timer there). What follows the line stays in the pipe unexamined (pipelining).
    /// </summary>
    public static async ValueTask<(FrameStatus? Status, string Line)> ReadAsync(
        PipeReader reader, SmtpLineFramer framer, Func<ValueTask> beforeWait, CancellationToken token)
    {
        while (true)
        {
            if (!reader.TryRead(out var result))
            {
                await beforeWait();
                result = await reader.ReadAsync(token);
            }
            var buffer = result.Buffer;
            var status = framer.Read(ref buffer, out var line);
            if (status == FrameStatus.NeedMoreData)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return (null, "");
                }
                continue;
            }
            reader.AdvanceTo(buffer.Start);
            return (status, line);
        }
    }
}
