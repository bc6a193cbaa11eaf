using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap;

// STARTTLS (RFC 3501 §6.2.1, RFC 2595) and implicit TLS (RFC 8314); LOGIN and AUTHENTICATE are Commands/AuthCommands.cs.
internal sealed partial class ImapSession
{
    internal async Task StartTlsAsync(ImapCommand c)
    {
        if (tls is not null)
        {
            Bad(c.Tag, "TLS already active");
            return;
        }
        if (c.Arguments.Count > 0)
        {
            Bad(c.Tag, "STARTTLS takes no arguments");
            return;
        }
        Ok(c.Tag, "Begin TLS negotiation now");
        // STYLE.md 8 and RFC 2595 §3.1: pipelined plaintext after STARTTLS is never run after TLS.
        if (!await connection.StartTlsAsync("STARTTLS"))
        {
            return;
        }
        // RFC 3501 §6.2.1: capabilities learnt before TLS are forgotten; the client asks again.
        framer = NewFramer();
    }

    internal bool PlaintextRefused => tls is null && !site.Lab.Switches.AllowPlaintextAuth;

    /// <summary>Reads one raw line (an AUTHENTICATE response or IDLE's DONE); null when the client left.</summary>
    internal async Task<string?> ReadLineAsync()
    {
        var frame = await ReadCommandAsync(commandWait!.Token);
        if (frame is null)
        {
            closing = true;
            return null;
        }
        return Encoding.UTF8.GetString(frame.Value.Span).TrimEnd('\r', '\n');
    }
}
