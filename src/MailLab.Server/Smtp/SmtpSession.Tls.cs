using System.IO.Pipelines;
using MailLab.Protocols.Smtp;
using MailLab.Server.Listeners;

namespace MailLab.Server.Smtp;

// STARTTLS (RFC 3207) and implicit TLS (RFC 8314).
public sealed partial class SmtpSession
{
    private async Task StartTlsAsync(SmtpCommand command)
    {
        if (tls is not null)
        {
            Error(503, "5.5.1", "TLS already active");
            return;
        }
        if (!string.IsNullOrEmpty(command.Argument))
        {
            Error(501, "5.5.4", "Syntax: STARTTLS (no parameters)"); // RFC 3207 §4
            return;
        }
        Reply(220, "2.0.0", "Ready to start TLS");
        await FlushAsync();

        // RFC 3207 §5 and STYLE.md 8: plaintext pipelined after STARTTLS must not run after TLS.
        ServerTls.DiscardPipelined(reader, trace, "STARTTLS");
        await reader.CompleteAsync();
        if (!await HandshakeAsync())
        {
            closing = true;
            return;
        }
        // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
        state = SmtpState.Connected;
        helo = null;
        esmtp = false;
        envelope = null;
        user = null;
    }

    /// <summary>Server-side TLS handshake on the current transport; false if it failed.</summary>
    private async Task<bool> HandshakeAsync()
    {
        var (ssl, error) = await ServerTls.HandshakeAsync(stream, site, trace, profile.ImplicitTls);
        if (ssl is null)
        {
            closeReason = error!;
            return false;
        }
        tls = ssl;
        stream = ssl;
        reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        framer = new SmtpLineFramer(protocolLimits.MaxCommandLine);
        tlsDetails = ServerTls.Describe(ssl);
        return true;
    }

}
