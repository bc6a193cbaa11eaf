using System.Buffers;
using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.Server.Delivery;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>Puts a report the site composed into its outbound queue, from <c>postmaster@</c> the reporting domain.</summary>
internal static class ReportMail
{
    /// <summary>
    /// Spools <paramref name="message"/> with CRLF line ends, signed with every key of <paramref name="dkim"/> for the
    /// reporting domain when given, and commits it to <paramref name="queue"/>; returns the queue id.
    /// </summary>
    public static async Task<string> QueueAsync(LabSite site, RelayQueue queue, MimeMessage message, string reporterDomain,
        IReadOnlyList<string> to, CancellationToken ct, Dkim.DkimKeySet? dkim = null, bool tlsReport = false)
    {
        var id = QueueId.New();
        await using var spool = new MessageSpool(site.Mda.SpoolDirectory);
        await using (var s = new MemoryStream())
        {
            await message.WriteToAsync(WireFormat.Options, s, ct).ConfigureAwait(false);
            var bytes = s.ToArray();
            var now = DateTimeOffset.UtcNow;
            // RFC 8460 §5.3: a TLS report sent by mail is DKIM-signed by the reporting domain.
            var signatures = string.Concat((dkim?.For(reporterDomain) ?? []).Select(k => DkimSigner.Sign(bytes, k.Key, k.Domain, k.Selector, now)));
            if (signatures.Length > 0) spool.Write(Encoding.UTF8.GetBytes(signatures));
            spool.Write(bytes);
        }
        var pending = await queue.PrepareAsync(id, $"postmaster@{reporterDomain}", site.Name, false, to, "", spool, ct, tlsReport: tlsReport)
            .ConfigureAwait(false);
        pending.Commit();
        return id;
    }
}
