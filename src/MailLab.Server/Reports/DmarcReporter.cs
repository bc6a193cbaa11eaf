using System.Buffers;
using System.IO.Compression;
using System.Text;
using MailLab.MailAuth.Dmarc;
using MailLab.Server.Delivery;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>One report as sent (or not): for whom, to whom, how many messages.</summary>
public sealed record ReportOutcome(string Site, string PolicyDomain, string ReportId, int Messages, int Records,
    IReadOnlyList<string> SentTo, IReadOnlyList<string> Refused, string? QueueId)
{
    /// <summary>A line per report, as the CLI prints it: "<c>site -> domain: report ID, N {units} M {groups}; sent to ...</c>".</summary>
    public static string Describe(IReadOnlyList<ReportOutcome> outcomes, string none, string units, string groups) => outcomes.Count == 0
        ? none + "\n"
        : string.Concat(outcomes.Select(o =>
            $"{o.Site} -> {o.PolicyDomain}: report {o.ReportId}, {o.Messages} {units} {o.Records} {groups}; " +
            $"sent to {(o.SentTo.Count == 0 ? "nobody" : string.Join(", ", o.SentTo))}" +
            $"{(o.QueueId is null ? "" : $" (queue id {o.QueueId})")}{string.Concat(o.Refused.Select(r => $"; refused {r}"))}\n"));
}

/// <summary>
/// Sends aggregate reports (RFC 9990 / RFC 7489 §7.2): per reporting site and policy domain, the XML
/// gzipped and attached to a mail queued through the lab to each authorised rua address. Runs on an
/// interval and whenever <c>maillab dmarc report send</c> drops <see cref="SendFile"/>. The reports go
/// out through <paramref name="queue"/>, the lab's outbound queue.
/// </summary>
public sealed class DmarcReporter(IReadOnlyList<LabSite> sites, RelayQueue queue, Func<LabSite, MailAuth.Spf.ISpfResolver?> dnsFor, DmarcReportLog log,
    Tracer tracer, TimeSpan interval, DmarcMode mode)
    : IAsyncDisposable
{
    /// <summary>The request file the CLI creates in <c>&lt;data&gt;/dmarc</c>; removed once the reports are queued.</summary>
    public const string SendFile = ReportSchedule.SendFile;

    /// <summary>What the last on-demand send did, for the CLI to print.</summary>
    public const string LastSendFile = ReportSchedule.LastSendFile;

    private readonly SemaphoreSlim sending = new(1, 1);
    private ReportSchedule? schedule;
    private DateTimeOffset periodStart = DateTimeOffset.UtcNow;

    /// <summary>Starts the loop (checks the request file once a second).</summary>
    public void Start()
    {
        schedule = new ReportSchedule(log.Directory, interval, async ct => Describe(await SendAllAsync(ct).ConfigureAwait(false)),
            ex => tracer.ForLab(LabOrigin.Report, "lab", TraceRole.QUEUE).Emit(TraceKind.DmarcReportSent, $"DMARC reports not sent: {ex.Message}",
                ("Reason", ex.Message)));
        schedule.Start();
    }

    /// <summary>Asks a running lab for reports now (what the CLI does).</summary>
    public static void RequestSend(string dmarcDirectory) => ReportSchedule.RequestSend(dmarcDirectory);

    /// <summary>A line per report, as the CLI prints it.</summary>
    public static string Describe(IReadOnlyList<ReportOutcome> outcomes) =>
        ReportOutcome.Describe(outcomes, "no DMARC data collected since the last report", "messages in", "records");

    /// <summary>Sends every collected report of every site now.</summary>
    internal async Task<IReadOnlyList<ReportOutcome>> SendAllAsync(CancellationToken ct)
    {
        await sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var begin = periodStart;
            var end = DateTimeOffset.UtcNow;
            periodStart = end;
            var outcomes = new List<ReportOutcome>();
            foreach (var site in sites)
            {
                var files = await log.TakeAsync(site.Name).ConfigureAwait(false);
                var entries = files.SelectMany(f => DmarcReportLog.Read(f).Entries).ToList();
                foreach (var group in entries.GroupBy(e => e.PolicyDomain, StringComparer.OrdinalIgnoreCase))
                {
                    var list = group.OrderBy(e => e.Time).ToList();
                    var from = list[0].Time < begin ? list[0].Time : begin;
                    outcomes.Add(await SendOneAsync(site, group.Key, list, from, end, ct).ConfigureAwait(false));
                }
                foreach (var f in files) File.Delete(f); // only after every report of the site is queued
            }
            return outcomes;
        }
        finally
        {
            sending.Release();
        }
    }

    private async Task<ReportOutcome> SendOneAsync(LabSite site, string policyDomain, List<DmarcReportEntry> entries,
        DateTimeOffset begin, DateTimeOffset end, CancellationToken ct)
    {
        var reporterDomain = site.Definition.Domains[0];
        var reportId = $"{site.HostName}.{end.ToUnixTimeSeconds()}.{policyDomain}";
        var meta = new ReportMetadata(site.HostName, $"postmaster@{reporterDomain}", reportId, begin, end);
        var xml = AggregateReportXml.Build(meta, entries, mode);
        var gz = Gzip(Encoding.UTF8.GetBytes(xml));
        var record = DmarcRecord.Parse(entries[^1].Record, out _);
        var sent = new List<string>();
        var refused = new List<string>();
        var dns = dnsFor(site) is { } resolver ? new SpfBackedDmarcResolver(resolver) : null;
        foreach (var rua in record?.Rua ?? [])
        {
            if (rua.MaxSizeBytes > 0 && gz.Length > rua.MaxSizeBytes)
            {
                refused.Add($"{rua.Address} (report {gz.Length} octets over its limit {rua.MaxSizeBytes})");
                continue;
            }
            var (ok, why) = dns is null ? (false, "no DNS to check the destination")
                : await ReportAuthorization.CheckAsync(dns, PublicSuffixList.Load(), policyDomain, rua.Address, ct).ConfigureAwait(false);
            if (ok) sent.Add(rua.Address);
            else refused.Add($"{rua.Address} ({why})");
        }
        string? queueId = null;
        if (sent.Count > 0)
        {
            var message = Compose(meta, policyDomain, reporterDomain, sent, gz, begin, end);
            queueId = await ReportMail.QueueAsync(site, queue, message, reporterDomain, sent, ct).ConfigureAwait(false);
        }
        // The copy the dashboard shows after the queue forgot the mail; losing it (an I/O error) does not stop the report.
        _ = SentReportArchive.Save(log.Directory, new SentReport(site.Name, end, sent, refused, queueId, xml));
        var outcome = new ReportOutcome(site.Name, policyDomain, reportId, entries.Count,
            entries.Select(e => (e.SourceIp, e.Disposition, e.DkimAligned, e.SpfAligned)).Distinct().Count(), sent, refused, queueId);
        tracer.Emit(site.Name, TraceRole.MTA, null, queueId, TraceKind.DmarcReportSent,
            $"DMARC aggregate report for {policyDomain}: {entries.Count} messages, to {(sent.Count == 0 ? "nobody" : string.Join(", ", sent))}" +
            string.Concat(refused.Select(r => $"; refused {r}")),
            new Dictionary<string, object?>
            {
                ["PolicyDomain"] = policyDomain, ["ReportId"] = reportId, ["Messages"] = entries.Count, ["SentTo"] = sent.ToArray(),
                ["Refused"] = refused.ToArray(), ["Size"] = gz.Length, ["Begin"] = begin.ToUnixTimeSeconds(), ["End"] = end.ToUnixTimeSeconds(),
            }, LabOrigin.Report);
        return outcome;
    }

    // RFC 7489 §7.2.1.1 / RFC 9990 §5: subject, file name receiver!policy-domain!begin!end.xml.gz, gzip.
    private static MimeMessage Compose(ReportMetadata meta, string policyDomain, string reporterDomain, List<string> to, byte[] gz,
        DateTimeOffset begin, DateTimeOffset end)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress($"DMARC reports from {meta.OrgName}", meta.Email));
        foreach (var t in to) m.To.Add(MailboxAddress.Parse(t));
        m.Subject = $"Report Domain: {policyDomain} Submitter: {reporterDomain} Report-ID: <{meta.ReportId}>";
        var body = new TextPart("plain")
        {
            Text = $"DMARC aggregate report from {meta.OrgName} for {policyDomain}, {begin:u} to {end:u}.\r\nRead it with: maillab dmarc report show --mailbox <address>\r\n",
        };
        var attachment = new MimePart("application", "gzip")
        {
            Content = new MimeContent(new MemoryStream(gz)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = $"{reporterDomain}!{policyDomain}!{begin.ToUnixTimeSeconds()}!{end.ToUnixTimeSeconds()}.xml.gz",
        };
        m.Body = new Multipart("mixed") { body, attachment };
        return m;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(data);
        return ms.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (schedule is not null) await schedule.DisposeAsync().ConfigureAwait(false);
        await log.DisposeAsync().ConfigureAwait(false);
    }
}
