using System.IO.Pipelines;
using MailLab.Protocols.Pop3;
using MailLab.Protocols.Smtp;
using MailLab.Server.Listeners;

namespace MailLab.Server.Pop3;

// STLS (RFC 2595 §4) and implicit TLS on the pop3s port (RFC 8314 §3.3).
public sealed partial class Pop3Session
{
    private async Task<bool> StlsAsync()
    {
        if (tls is not null)
        {
            return Error(Pop3Reply.Negative("TLS already active")); // RFC 2595 §4
        }
        Reply(Pop3Reply.Positive("Begin TLS negotiation"));
        await FlushAsync();
        // STYLE.md 8, RFC 2595 §4: plaintext pipelined after STLS is never run after the handshake.
        ServerTls.DiscardPipelined(reader, trace, "STLS");
        await reader.CompleteAsync();
        if (!await HandshakeAsync())
        {
            closing = true;
            return false;
        }
        userName = null; // RFC 2595 §4: the client starts AUTHORIZATION over, and must CAPA again
        return true;
    }

    private async Task<bool> HandshakeAsync()
    {
        var (ssl, error) = await ServerTls.HandshakeAsync(stream, site, trace, implicitTls);
        if (ssl is null)
        {
            closeReason = error!;
            return false;
        }
        tls = ssl;
        stream = ssl;
        reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        framer = new SmtpLineFramer(Pop3Limits.MaxCommandLine);
        return true;
    }
}
