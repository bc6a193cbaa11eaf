using System.Buffers;
using MailLab.Server.Delivery;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>Puts a report the site composed into its outbound queue, from <c>postmaster@</c> the reporting domain.</summary>
internal static class ReportMail
{
    /// <summary>Spools <paramref name="message"/> with CRLF line ends and commits it to <paramref name="queue"/>; returns the queue id.</summary>
    public static async Task<string> QueueAsync(LabSite site, RelayQueue queue, MimeMessage message, string reporterDomain,
        IReadOnlyList<string> to, CancellationToken ct)
    {
        var id = QueueId.New();
        await using var spool = new MessageSpool(site.Mda.SpoolDirectory);
        await using (var s = new MemoryStream())
        {
            await message.WriteToAsync(WireFormat.Options, s, ct).ConfigureAwait(false);
            spool.Write(s.ToArray());
        }
        var pending = await queue.PrepareAsync(id, $"postmaster@{reporterDomain}", site.Name, false, to, "", spool, ct).ConfigureAwait(false);
        pending.Commit();
        return id;
    }
}
