using System.Text;
using MailLab.Protocols.Pop3;
using MailLab.Server.Trace;

namespace MailLab.Server.Pop3;

// Replies are queued and written in one flush before the session waits for input, which is what
// makes PIPELINING (RFC 2449 §6.6) cheap. Every line in and out is a trace event; secrets are masked.
internal sealed partial class Pop3Session
{
    /// <summary>After this many bad commands the session is closed (as the SMTP session does).</summary>
    private const int MaxErrors = 20;

    private void Reply(Pop3Reply reply)
    {
        var text = reply.Render();
        Encoding.UTF8.GetBytes(text, connection.Output);
        trace.Emit(TraceKind.ReplySent, "S: " + text.TrimEnd(),
            ("Status", reply.Status), ("RespCode", reply.Code), ("ReplyText", reply.Text));
    }

    /// <summary>A status line and a dot-terminated list of text lines (CAPA, LIST, UIDL); the trace gets the first lines.</summary>
    private void ReplyLines(Pop3Reply reply, IReadOnlyList<string> lines)
    {
        var text = reply.Render();
        Encoding.UTF8.GetBytes(text, connection.Output);
        Encoding.UTF8.GetBytes(Pop3MultiLine.Render(lines), connection.Output);
        var shown = lines.Count <= 10 ? string.Join(" | ", lines) : string.Join(" | ", lines.Take(10)) + $" | ... {lines.Count - 10} more";
        trace.Emit(TraceKind.ReplySent, $"S: {text.TrimEnd()} [{lines.Count} lines: {shown}]",
            ("Status", reply.Status), ("RespCode", reply.Code), ("ReplyText", reply.Text), ("BodyLines", lines.Count),
            ("Lines", lines.Take(10).ToArray()));
    }

    private bool Error(Pop3Reply reply)
    {
        Reply(reply);
        if (++errors >= MaxErrors)
        {
            Close(Pop3Reply.Negative("Too many errors, closing connection"), "too many errors");
        }
        return false;
    }

    private void Close(Pop3Reply reply, string reason)
    {
        Reply(reply);
        connection.CloseReason = reason;
        connection.Closing = true;
    }

    private ValueTask FlushAsync() => connection.FlushAsync();

    private async Task TryFinalReplyAsync(Pop3Reply reply, string reason)
    {
        Close(reply, reason);
        await connection.SendFinalAsync(reason);
    }

    private void TraceCommand(string line, Pop3ParseResult parsed)
    {
        // PASS, APOP and AUTH lines (RFC 1939 §7, RFC 5034) are masked by verb, whether or not they parsed.
        var shown = trace.ClientLine(SecretProtocol.Pop3, line, unknown: parsed.Keyword is null);
        trace.Emit(TraceKind.CommandReceived, "C: " + shown, ("Line", shown), ("Verb", parsed.Keyword));
    }

    private void TraceSecretLine(string line) =>
        trace.Emit(TraceKind.CommandReceived, "C: " + trace.Secret(line), ("Line", trace.Secret(line)), ("Verb", "AUTH-DATA"));
}
