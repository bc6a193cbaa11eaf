using MailLab.Protocols.Pop3;

namespace MailLab.Server.Pop3;

// STLS (RFC 2595 §4); the handshake, and implicit TLS on the pop3s port (RFC 8314 §3.3), are the connection's.
internal sealed partial class Pop3Session
{
    private async Task<bool> StlsAsync()
    {
        if (connection.Tls is not null)
        {
            return Error(Pop3Reply.Negative("TLS already active")); // RFC 2595 §4
        }
        Reply(Pop3Reply.Positive("Begin TLS negotiation"));
        // STYLE.md 8, RFC 2595 §4: plaintext pipelined after STLS is never run after the handshake.
        if (!await connection.StartTlsAsync("STLS"))
        {
            return false;
        }
        userName = null; // RFC 2595 §4: the client starts AUTHORIZATION over, and must CAPA again
        return true;
    }
}
