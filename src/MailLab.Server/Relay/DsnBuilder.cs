using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace MailLab.Server.Relay;

/// <summary>
/// Builds the bounce for a queue entry's failed recipients: an RFC 3464 delivery status
/// notification, <c>multipart/report; report-type=delivery-status</c> (RFC 6522) with a readable
/// part, the <c>message/delivery-status</c> fields and the original header as <c>text/rfc822-headers</c>.
/// </summary>
internal static class DsnBuilder
{
    /// <summary>Builds the DSN. <paramref name="originalHeaders"/> is the returned message's header section.</summary>
    public static MimeMessage Build(QueueEntry entry, IReadOnlyList<QueueRecipient> failed, string reportingMta,
        string senderDomain, string originalHeaders, DateTimeOffset now)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{senderDomain}"));
        message.To.Add(new MailboxAddress("", entry.MailFrom));
        message.Subject = "Undelivered Mail Returned to Sender";
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-replied"); // RFC 3834 §5: no auto-reply to this

        var human = new StringBuilder();
        human.Append($"This is the mail system at host {reportingMta}.\r\n\r\n");
        human.Append("Your message could not be delivered to one or more recipients.\r\n");
        human.Append($"It was accepted as queue id {entry.Id} on {DateUtils.FormatDate(entry.Created)}.\r\n\r\n");
        foreach (var r in failed)
        {
            human.Append($"<{r.Address}>: {r.Reason ?? r.Reply}\r\n");
        }

        var status = new MessageDeliveryStatus();
        // RFC 3464 §2.2: per-message fields first, then one group per recipient (§2.3).
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", "dns; " + reportingMta },
            { "X-MailLab-Queue-ID", entry.Id },
            { "Arrival-Date", DateUtils.FormatDate(entry.Created) },
        };
        status.StatusGroups.Add(perMessage);
        foreach (var r in failed)
        {
            var group = new HeaderList
            {
                { "Final-Recipient", "rfc822; " + r.Address },
                { "Action", "failed" },
                { "Status", r.Status ?? "5.0.0" },
            };
            if (r.RemoteMta is not null) group.Add("Remote-MTA", "dns; " + r.RemoteMta);
            if (r.Reply is not null) group.Add("Diagnostic-Code", "smtp; " + r.Reply);
            if (r.LastAttempt is { } last) group.Add("Last-Attempt-Date", DateUtils.FormatDate(last));
            status.StatusGroups.Add(group);
        }

        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = human.ToString() },
            status,
            new TextPart("rfc822-headers") { Text = originalHeaders },
        };
        message.Body = report;
        return message;
    }

    /// <summary>The header section of a stored message (up to the first empty line).</summary>
    public static string ReadHeaderSection(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var sb = new StringBuilder();
        while (reader.ReadLine() is { } line && line.Length > 0)
        {
            sb.Append(line).Append("\r\n");
            if (sb.Length > 256 * 1024) break;
        }
        return sb.ToString();
    }
}
