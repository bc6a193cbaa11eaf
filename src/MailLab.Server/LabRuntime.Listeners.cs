using System.Text;
using MailLab.Server.Imap;
using MailLab.Server.Listeners;
using MailLab.Server.Pop3;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Smtp;
using MailLab.Server.Trace;

namespace MailLab.Server;

/// <summary>The listener factories of <see cref="LabRuntime"/>: one per protocol, each a <see cref="TcpListenerHost"/> on the site's address.</summary>
public sealed partial class LabRuntime
{
    private static TcpListenerHost Smtp(LabSite site, RelayQueue queue, SmtpProfile profile, Func<SmtpProfile> session, int port, string tls,
        ConnectionLimiter limiter)
    {
        var info = new ListenerInfo(site.Name, profile.Name, site.Definition.Address, port, tls);
        return new TcpListenerHost(
            info,
            async (stream, remote, local, id, shutdown) =>
            {
                await using var smtp = new SmtpSession(site, session(), stream, remote, local, id, queue);
                await smtp.RunAsync(shutdown);
            },
            // RFC 5321 §3.8: a server that must refuse a connection may answer 421 and close.
            reason => Encoding.ASCII.GetBytes($"421 4.7.0 {site.HostName} Service not available: {reason}\r\n"),
            limiter,
            site.Tracer.For(site.Name, profile.Role));
    }

    private static TcpListenerHost Pop3(LabSite site, bool implicitTls, int port, ConnectionLimiter limiter)
    {
        var info = new ListenerInfo(site.Name, nameof(TraceRole.POP3), site.Definition.Address, port, implicitTls ? "implicit" : "starttls");
        return new TcpListenerHost(
            info,
            async (stream, remote, local, id, shutdown) =>
            {
                await using var session = new Pop3Session(site, implicitTls, stream, remote, local, id);
                await session.RunAsync(shutdown);
            },
            // RFC 3206 §4: [SYS/TEMP] says the refusal is temporary.
            reason => Encoding.ASCII.GetBytes($"-ERR [SYS/TEMP] {site.HostName} service not available: {reason}\r\n"),
            limiter,
            site.Tracer.For(site.Name, TraceRole.POP3));
    }

    private static TcpListenerHost Imap(LabSite site, ImapUserLimiter users, int port, bool implicitTls, ConnectionLimiter limiter)
    {
        var info = new ListenerInfo(site.Name, "IMAP", site.Definition.Address, port, implicitTls ? "implicit" : "starttls");
        return new TcpListenerHost(
            info,
            async (stream, remote, local, id, shutdown) =>
            {
                await using var session = new ImapSession(site, implicitTls, stream, remote, local, id, users);
                await session.RunAsync(shutdown);
            },
            // RFC 3501 §7.1.5: BYE may be the greeting of a server that refuses the connection.
            reason => Encoding.ASCII.GetBytes($"* BYE {site.HostName} Service not available: {reason}\r\n"),
            limiter,
            site.Tracer.For(site.Name, TraceRole.IMAP));
    }
}
