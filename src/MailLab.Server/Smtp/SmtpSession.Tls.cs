using MailLab.Protocols.Smtp;

namespace MailLab.Server.Smtp;

// STARTTLS (RFC 3207); the handshake, and implicit TLS (RFC 8314), are the connection's.
internal sealed partial class SmtpSession
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
        // RFC 3207 §5 and STYLE.md 8: plaintext pipelined after STARTTLS must not run after TLS.
        if (!await connection.StartTlsAsync("STARTTLS"))
        {
            return;
        }
        // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
        state = SmtpState.Connected;
        helo = null;
        esmtp = false;
        envelope = null;
        user = null;
    }
}
