using MailLab.Server.Relay;
using MimeKit;

namespace MailLab.Tests.Relay;

public sealed class DsnBuilderTests
{
    /// <summary>A part as written (MimeKit parses text/rfc822-headers as a message-like part, not a TextPart).</summary>
    internal static string PartText(MimeEntity entity) => entity.ToString();

    [Fact]
    public async Task DSN_parses_back_as_an_RFC_3464_delivery_status_report()
    {
        var failed = new QueueRecipient
        {
            Address = "x@nowhere.test", State = RecipientState.Failed, Attempts = 1, Status = "5.1.2",
            Reply = "550 5.1.2 Host or domain name not found", LastAttempt = DateTimeOffset.UtcNow,
        };
        var expired = new QueueRecipient
        {
            Address = "bob@bank.test", State = RecipientState.Failed, Attempts = 7, Status = "4.4.7",
            Reply = "451 4.4.1 connection refused", RemoteMta = "mx.bank.test", LastAttempt = DateTimeOffset.UtcNow,
        };
        var entry = new QueueEntry { Id = "Q1", MailFrom = "alice@uc.test", Site = "uc", Created = DateTimeOffset.UtcNow, Recipients = [failed, expired] };
        var original = "Received: from laptop\r\nFrom: alice@uc.test\r\nSubject: lost letter\r\n";
        var dsn = DsnBuilder.Build(entry, [failed, expired], "mx.uc.test", "uc.test", original, DateTimeOffset.Now);

        // Serialise and parse, as the mailbox and a mail client would.
        using var bytes = new MemoryStream();
        await dsn.WriteToAsync(bytes);
        bytes.Position = 0;
        var parsed = await MimeMessage.LoadAsync(bytes);

        Assert.Equal("alice@uc.test", Assert.Single(parsed.To.Mailboxes).Address);
        Assert.Equal("MAILER-DAEMON@uc.test", Assert.Single(parsed.From.Mailboxes).Address);
        Assert.Equal("auto-replied", parsed.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(parsed.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal(3, report.Count);
        Assert.IsType<TextPart>(report[0]);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        // MimeKit reads the blank line that ends the last group as one more, empty group.
        var groups = status.StatusGroups.Where(g => g.Count > 0).ToList();
        Assert.Equal(3, groups.Count); // per-message + two recipients
        Assert.Equal("dns; mx.uc.test", groups[0]["Reporting-MTA"]);
        var g1 = groups[1];
        Assert.Equal("rfc822; x@nowhere.test", g1["Final-Recipient"]);
        Assert.Equal("failed", g1["Action"]);
        Assert.Equal("5.1.2", g1["Status"]);
        Assert.Equal("smtp; 550 5.1.2 Host or domain name not found", g1["Diagnostic-Code"]);
        Assert.Null(g1["Remote-MTA"]);
        var g2 = groups[2];
        Assert.Equal("4.4.7", g2["Status"]);
        Assert.Equal("dns; mx.bank.test", g2["Remote-MTA"]);
        Assert.Equal("text/rfc822-headers", report[2].ContentType.MimeType);
        Assert.Contains("Subject: lost letter", PartText(report[2]));
    }
}
