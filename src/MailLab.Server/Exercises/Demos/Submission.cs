using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace MailLab.Server.Exercises.Demos;

/// <summary>Submitting mail like a mail client (MUA) does: MailKit to a site's MSA, TLS checked against the lab CA, AUTH.</summary>
internal static class Submission
{
    /// <summary>A small message with a unique Message-ID so the demo can find it again.</summary>
    public static MimeMessage Message(string from, string to, string subject, string body)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(MailboxAddress.Parse(to));
        m.Subject = subject;
        m.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("workstation.maillab.test");
        m.Body = new TextPart("plain") { Text = body };
        return m;
    }

    /// <summary>A connected client: STARTTLS on the MSA port, or implicit TLS on the submissions port.</summary>
    public static async Task<SmtpClient> ConnectAsync(DemoContext ctx, string site, bool implicitTls, CancellationToken ct)
    {
        var ep = ctx.EndPoint(site, "MSA", implicitTls ? "implicit" : "starttls");
        var client = new SmtpClient(new DemoProtocolLogger(ctx.Out))
        {
            ServerCertificateValidationCallback = ctx.ValidateServer,
            LocalDomain = "workstation." + ctx.Domain(site),
            Timeout = 30_000,
        };
        if (ctx.Student is not null) client.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
        await client.ConnectAsync(ep.Address.ToString(), ep.Port, implicitTls ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls, ct);
        return client;
    }

    /// <summary>Logs in as the site's first user and sends <paramref name="message"/>.</summary>
    public static async Task SendAsync(DemoContext ctx, string site, MimeMessage message, CancellationToken ct, bool implicitTls = false)
    {
        var user = ctx.User(site);
        using var client = await ConnectAsync(ctx, site, implicitTls, ct);
        await client.AuthenticateAsync(user.Address, user.Password, ct);
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(true, ct);
    }
}
