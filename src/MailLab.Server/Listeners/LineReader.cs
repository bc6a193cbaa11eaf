using System.IO.Pipelines;
using MailLab.Protocols.Smtp;

namespace MailLab.Server.Listeners;

/// <summary>Reads one framed command line from a session's pipe (SMTP and POP3 share the framing loop).</summary>
public static class LineReader
{
    /// <summary>
    /// Frames the next line; a null status means the client closed the connection. Before each wait
    /// for more bytes <paramref name="flush"/> runs (the session writes its queued replies there);
    /// before the first wait only, <paramref name="armTimer"/> runs: the line must then be complete
    /// within the session's timeout, however slowly its bytes trickle in (a byte every few seconds must
    /// not keep a connection open, issue 20). What follows the line stays in the pipe unexamined (pipelining).
    /// </summary>
    public static async ValueTask<(FrameStatus? Status, string Line)> ReadAsync(
        PipeReader reader, SmtpLineFramer framer, Func<ValueTask> flush, Action armTimer, CancellationToken token)
    {
        bool armed = false;
        while (true)
        {
            if (!reader.TryRead(out var result))
            {
                await flush();
                if (!armed)
                {
                    armTimer();
                    armed = true;
                }
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
