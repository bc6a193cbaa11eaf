using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Dashboard.Journey;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Dashboard;

/// <summary>Mail for the Mailboxes tests: any MIME message submitted through a site's MSA, waited for until the MDA stored it.</summary>
public static class MailboxKit
{
    /// <summary>A multipart/mixed message: a multipart/alternative (text and HTML) and a PDF attachment.</summary>
    public static MimeMessage WithAttachment(string from, string to, string subject, byte[] pdf)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(MailboxAddress.Parse(to));
        m.Subject = subject;
        var body = new BodyBuilder { TextBody = "Le rapport est joint. Grüße.", HtmlBody = "<p>Le rapport est <b>joint</b>.</p>" };
        body.Attachments.Add("report.pdf", pdf, new ContentType("application", "pdf"));
        m.Body = body.ToMessageBody();
        return m;
    }

    /// <summary>A plain text message.</summary>
    public static MimeMessage Plain(string from, string to, string subject)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(MailboxAddress.Parse(to));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = "Read on the dashboard." };
        return m;
    }

    /// <summary>Submits <paramref name="message"/> (STARTTLS, AUTH) and returns the MDA's LocalDelivery event for <paramref name="rcpt"/>.</summary>
    public static async Task<TraceEvent> Deliver(TestLab lab, string site, string user, string password, MimeMessage message, string rcpt)
    {
        var before = lab.Events(TraceKind.LocalDelivery).Select(e => e.Sequence).ToHashSet();
        var msa = lab.Runtime!.EndPoint(site, "MSA", "starttls");
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, password);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
        return await lab.WaitForEvent(e => e.Kind == TraceKind.LocalDelivery && !before.Contains(e.Sequence)
            && string.Equals(e.Str("Recipient"), rcpt, StringComparison.OrdinalIgnoreCase), 30_000);
    }

    /// <summary>The UID the delivery got.</summary>
    public static uint Uid(TraceEvent delivery) => (uint)delivery.Int("Uid")!.Value;
}
