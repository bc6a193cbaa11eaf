using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap;

// Responses (RFC 3501 §7): untagged, continuation and tagged, each traced; the error count that ends a
// session; and how commands are shown in the trace (credentials masked).
internal sealed partial class ImapSession
{
    internal void Untagged(string text)
    {
        Encoding.UTF8.GetBytes("* " + text + "\r\n", output);
        TraceUntagged("* " + text);
    }

    internal void TraceUntagged(string text)
    {
        if (++UntaggedCount <= TracedUntagged)
        {
            trace.Emit(TraceKind.ReplySent, "S: " + text, ("Line", text), ("Status", null));
        }
    }

    internal void Continuation(string text)
    {
        Encoding.UTF8.GetBytes("+ " + text + "\r\n", output);
        trace.Emit(TraceKind.ReplySent, "S: + " + text, ("Line", "+ " + text), ("Status", "+"));
    }

    internal void Tagged(string tag, string status, string text)
    {
        Answered = true;
        if (UntaggedCount > TracedUntagged)
        {
            var more = UntaggedCount - TracedUntagged;
            trace.Emit(TraceKind.ReplySent, $"S: ({more} more untagged responses not traced one by one)",
                ("Line", null), ("Status", null), ("Untraced", more));
        }
        var line = $"{tag} {status} {text}";
        Encoding.UTF8.GetBytes(line + "\r\n", output);
        trace.Emit(TraceKind.ReplySent, "S: " + line, ("Line", line), ("Status", status));
        CountErrors(status);
    }

    // RFC 3501 §7.1.3: BAD keeps the session, but a client that only sends garbage is cut off. Before
    // login every refusal counts and nothing resets the count (issue 20: a refused LOGIN repeated for
    // ever); after it, only BAD counts and an OK resets it.
    private void CountErrors(string status)
    {
        if (status == "OK" && LoggedIn)
        {
            errors = 0;
            return;
        }
        if (status != "BAD" && (status != "NO" || LoggedIn))
        {
            return;
        }
        if (++errors >= (LoggedIn ? MaxErrors : MaxErrorsBeforeLogin))
        {
            if (LoggedIn)
            {
                Bye("Too many bad commands", "too many bad commands");
            }
            else
            {
                Bye("Too many errors", "too many errors before login");
            }
        }
    }

    internal void Ok(string tag, string text) => Tagged(tag, "OK", text);

    internal void No(string tag, string text) => Tagged(tag, "NO", text);

    internal void Bad(string? tag, string text) => Tagged(tag ?? "*", "BAD", text);

    // One BYE per session: the first reason to close is the one the client and the trace are given.
    internal void Bye(string text, string reason)
    {
        if (closing)
        {
            return;
        }
        Untagged("BYE " + text);
        connection.CloseReason = reason;
        closing = true;
    }

    private void TraceCommand(ImapCommand command, ReadOnlyMemory<byte> frame)
    {
        // LOGIN and AUTHENTICATE (RFC 3501 §6.2.2, §6.2.3) are masked from the raw line by verb:
        // extra arguments, a TAB or a literal must not decide what the trace shows.
        var shown = command.ToString();
        if (!trace.Tracer.RevealSecrets && (MayAuthenticate(command.Name) || MayAuthenticate(command.Tag)))
        {
            var raw = Prefix(frame);
            var masked = SecretRedaction.Redact(SecretProtocol.Imap, raw);
            if (!ReferenceEquals(masked, raw)) shown = masked;
        }
        trace.Emit(TraceKind.CommandReceived, "C: " + shown,
            ("Line", shown), ("Command", (command.Uid ? "UID " : "") + command.Name), ("Tag", command.Tag));
    }

    // The verb may be the tag when a hand-typed line has none ("LOGIN user password").
    private static bool MayAuthenticate(string word) =>
        word.StartsWith("LOGIN", StringComparison.OrdinalIgnoreCase) || word.StartsWith("AUTHENTICATE", StringComparison.OrdinalIgnoreCase);

    // A line that did not parse: its first line, masked if it names LOGIN or AUTHENTICATE or is a lone credential.
    private string Summarise(ReadOnlyMemory<byte> frame) => trace.ClientLine(SecretProtocol.Imap, FirstLine(frame), unknown: true);

    private static string FirstLine(ReadOnlyMemory<byte> frame)
    {
        var text = Encoding.UTF8.GetString(frame.Span[..Math.Min(frame.Length, 200)]);
        var eol = text.IndexOf('\r');
        return eol >= 0 ? text[..eol] : text;
    }

    // A "tag" that is the whole line and a base64 blob is a SASL response sent with no "+" pending,
    // not a command: it is answered untagged (RFC 3501 §7.1.3) so neither reply nor trace repeats it.
    private static string? ReplyTag(string? tag, ReadOnlyMemory<byte> frame) =>
        SecretRedaction.IsCredentialBlob(tag) && FirstLine(frame).Trim() == tag ? null : tag;

    // The start of a frame as text: enough for the tag, the verb and a user name, never a whole literal.
    private static string Prefix(ReadOnlyMemory<byte> frame)
    {
        const int max = 1024;
        return Encoding.UTF8.GetString(frame.Span[..Math.Min(frame.Length, max)]) + (frame.Length > max ? " ..." : "");
    }
}
