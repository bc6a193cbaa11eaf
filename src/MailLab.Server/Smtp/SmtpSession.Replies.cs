using System.Text;
using MailLab.Protocols.Smtp;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

// Replies: queued and written in one flush before the session waits for input, which is what
// makes PIPELINING (RFC 2920 §3.1) cheap.
internal sealed partial class SmtpSession
{
    /// <summary>After this many bad commands the session is closed (like Postfix's hard error limit).</summary>
    private const int MaxErrors = 20;

    private void Reply(int code, string? enhanced, params string[] lines) => Reply(new SmtpReply(code, enhanced, lines));

    private void Reply(SmtpReply reply)
    {
        var text = reply.Render();
        Encoding.UTF8.GetBytes(text, connection.Output);
        trace.Emit(TraceKind.ReplySent, "S: " + text.TrimEnd().Replace("\r\n", " | "),
            ("Code", reply.Code), ("Enhanced", reply.Enhanced), ("Lines", reply.Lines.ToArray()));
    }

    private void Error(int code, string enhanced, string text) => Error(new SmtpReply(code, enhanced, [text]));

    private void Error(SmtpReply reply)
    {
        Reply(reply);
        if (++errors >= MaxErrors)
        {
            Close(421, "4.7.0", $"{Host} Too many errors, closing connection", "too many errors");
        }
    }

    private void Close(int code, string enhanced, string text, string reason)
    {
        Reply(code, enhanced, text);
        closeReason = reason;
        closing = true;
    }

    private ValueTask FlushAsync() => connection.FlushAsync();

    private async Task TryFinalReplyAsync(int code, string enhanced, string text, string reason)
    {
        Close(code, enhanced, text, reason);
        await connection.SendFinalAsync(reason);
    }

    private void TraceCommand(string line, SmtpCommand? command)
    {
        // AUTH lines carry credentials (RFC 4954 §4): masked by verb, whether or not the line parsed.
        var shown = trace.ClientLine(SecretProtocol.Smtp, line, unknown: command is null);
        trace.Emit(TraceKind.CommandReceived, "C: " + shown,
            ("Line", shown), ("Verb", command?.Verb.ToString().ToUpperInvariant()));
    }

    private void TraceSecretLine(string line) =>
        trace.Emit(TraceKind.CommandReceived, "C: " + trace.Secret(line), ("Line", trace.Secret(line)), ("Verb", "AUTH-DATA"));
}
