using System.Text;
using MailLab.MailAuth.Spf;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>
/// Sends TLS reports (RFC 8460): per sending site and policy domain, the relay's counts of DANE and MTA-STS
/// results as the JSON of §4.4, gzipped, in a DKIM-signed mail (§5.3) queued through the lab to each
/// <c>mailto:</c> of the domain's <c>_smtp._tls</c> record. Runs on an interval and whenever
/// <c>maillab tlsrpt send</c> asks (<c>&lt;data&gt;/tlsrpt/.send</c>).
/// </summary>
public sealed class TlsReporter : IAsyncDisposable
{
    private readonly IReadOnlyList<LabSite> sites;
    private readonly RelayQueue queue;
    private readonly TlsReportCounter counter;
    private readonly Func<LabSite, ISpfResolver?> dnsFor;
    private readonly Func<LabSite, Dkim.DkimKeySet?> keysFor;
    private readonly Tracer tracer;
    private readonly ReportSchedule schedule;
    private readonly SemaphoreSlim sending = new(1, 1);
    private DateTimeOffset periodStart = DateTimeOffset.UtcNow;

    internal TlsReporter(IReadOnlyList<LabSite> sites, RelayQueue queue, TlsReportCounter counter, Func<LabSite, ISpfResolver?> dnsFor,
        Func<LabSite, Dkim.DkimKeySet?> keysFor, string directory, Tracer tracer, TimeSpan interval)
    {
        (this.sites, this.queue, this.counter, this.dnsFor, this.keysFor, this.tracer) = (sites, queue, counter, dnsFor, keysFor, tracer);
        Directory.CreateDirectory(directory);
        schedule = new ReportSchedule(directory, interval, async ct => Describe(await SendAllAsync(ct).ConfigureAwait(false)),
            ex => tracer.ForLab(LabOrigin.Report, "lab", TraceRole.QUEUE).Emit(TraceKind.TlsReportSent, $"TLS reports not sent: {ex.Message}",
                ("Reason", ex.Message)));
    }

    /// <summary>The directory under the data directory where the CLI asks for reports.</summary>
    public const string DirectoryName = "tlsrpt";

    /// <summary>At most this many rua= addresses get one report: a student's record cannot fan a report out to the whole lab.</summary>
    public const int MaxRua = 10;

    /// <summary>The media type of a gzipped report (RFC 8460 §6.4).</summary>
    public const string GzipMediaType = "application/tlsrpt+gzip";

    /// <summary>Starts the loop (checks the request file once a second).</summary>
    public void Start() => schedule.Start();

    /// <summary>A line per report, as the CLI prints it.</summary>
    public static string Describe(IReadOnlyList<ReportOutcome> outcomes) =>
        ReportOutcome.Describe(outcomes, "no TLS policy results (DANE or MTA-STS) counted since the last report", "sessions under", "policies");

    /// <summary>Sends every site's counts now.</summary>
    internal async Task<IReadOnlyList<ReportOutcome>> SendAllAsync(CancellationToken ct)
    {
        await sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var (begin, end) = (periodStart, DateTimeOffset.UtcNow);
            periodStart = end;
            var outcomes = new List<ReportOutcome>();
            foreach (var site in sites)
            {
                foreach (var group in counter.Take(site.Name).GroupBy(p => p.Domain, StringComparer.OrdinalIgnoreCase))
                {
                    outcomes.Add(await SendOneAsync(site, group.Key, group.ToList(), begin, end, ct).ConfigureAwait(false));
                }
            }
            return outcomes;
        }
        finally
        {
            sending.Release();
        }
    }

    private async Task<ReportOutcome> SendOneAsync(LabSite site, string policyDomain, List<TlsReportCounter.PolicyCounts> policies,
        DateTimeOffset begin, DateTimeOffset end, CancellationToken ct)
    {
        var reporterDomain = site.Definition.Domains[0];
        // RFC 8460 §4.4: report-id unique per report; the filename's unique-id part (§5.1) reuses it.
        var reportId = $"{end:yyyyMMddTHHmmssZ}.{policyDomain}@{site.HostName}";
        long sessions = policies.Sum(p => p.Counts.Successes + p.Counts.Failures.Values.Sum());
        var sent = new List<string>();
        var refused = new List<string>();
        string? queueId = null;
        var (record, problem, temporary) = await RecordAsync(site, policyDomain, ct).ConfigureAwait(false);
        if (temporary) counter.Restore(site.Name, policies); // report these in the next period
        foreach (var uri in record?.Rua ?? [])
        {
            if (sent.Count + refused.Count >= MaxRua) refused.Add($"{uri} (more than {MaxRua} rua= addresses)");
            else if (TlsRptRecord.MailtoAddress(uri) is { } address) sent.Add(address);
            else refused.Add($"{uri} (the lab sends reports by mail only, not over HTTPS)");
        }
        int size = 0;
        if (sent.Count > 0)
        {
            var meta = new TlsReportMetadata(site.HostName, $"mailto:postmaster@{reporterDomain}", reportId, begin, end);
            var gz = DmarcReporter.Gzip(TlsReportJson.Build(meta, policyDomain, policies, site.Definition.IPAddress.ToString()));
            size = gz.Length;
            var message = Compose(meta, policyDomain, reporterDomain, sent, gz);
            queueId = await ReportMail.QueueAsync(site, queue, message, reporterDomain, sent, ct, keysFor(site), tlsReport: true).ConfigureAwait(false);
        }
        var failures = policies.Sum(p => p.Counts.Failures.Values.Sum());
        tracer.Emit(site.Name, TraceRole.MTA, null, queueId, TraceKind.TlsReportSent,
            $"TLS report for {policyDomain}: {sessions - failures} successful, {failures} failed sessions, to " +
            $"{(sent.Count == 0 ? $"nobody ({(problem.Length > 0 ? problem : "no mailto: in rua=")})" : string.Join(", ", sent))}" + string.Concat(refused.Select(r => $"; refused {r}")),
            new Dictionary<string, object?>
            {
                ["PolicyDomain"] = policyDomain, ["ReportId"] = reportId, ["Successes"] = sessions - failures, ["Failures"] = failures,
                ["PolicyTypes"] = policies.Select(p => p.PolicyType).Distinct().ToArray(), ["SentTo"] = sent.ToArray(),
                ["Refused"] = refused.ToArray(), ["Reason"] = problem.Length > 0 ? problem : null, ["Size"] = size,
                ["Begin"] = begin.ToUnixTimeSeconds(), ["End"] = end.ToUnixTimeSeconds(),
            }, LabOrigin.Report);
        return new ReportOutcome(site.Name, policyDomain, reportId, (int)sessions, policies.Count, sent, refused, queueId);
    }

    /// <summary>The domain's TLS-RPT record through the site's own resolver, or why there is none.</summary>
    private async Task<(TlsRptRecord? Record, string Problem, bool Temporary)> RecordAsync(LabSite site, string domain, CancellationToken ct)
    {
        if (dnsFor(site) is not { } dns) return (null, "no DNS to look up the record", false);
        var owner = TlsRptRecord.Owner(domain);
        var answer = await dns.LookupTxtAsync(owner, ct).ConfigureAwait(false);
        if (answer.Kind == DnsAnswerKind.TempError) return (null, $"DNS error looking up {owner} TXT: {answer.Error}", true);
        var record = TlsRptRecord.Find(answer.Records, out var problem);
        return (record, problem is null ? "" : $"{owner}: {problem}", false);
    }

    // RFC 8460 §5.3: multipart/report; report-type="tlsrpt", the subject and the two TLS-Report-* fields;
    // §5.1: the attachment is named sender!policy-domain!begin!end!unique-id.json.gz.
    private static MimeMessage Compose(TlsReportMetadata meta, string policyDomain, string reporterDomain, List<string> to, byte[] gz)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress($"TLS reports from {meta.OrganizationName}", $"postmaster@{reporterDomain}"));
        foreach (var t in to) m.To.Add(MailboxAddress.Parse(t));
        m.Subject = $"Report Domain: {policyDomain} Submitter: {reporterDomain} Report-ID: <{meta.ReportId}>";
        m.Headers.Add("TLS-Report-Domain", policyDomain);
        m.Headers.Add("TLS-Report-Submitter", reporterDomain);
        var text = new TextPart("plain")
        {
            Text = $"TLS report (RFC 8460) from {meta.OrganizationName} for {policyDomain}, {meta.Begin:u} to {meta.End:u}.\r\n" +
                   "Read it with: maillab tlsrpt show --mailbox <address>\r\n",
        };
        var attachment = new MimePart("application", "tlsrpt+gzip")
        {
            Content = new MimeContent(new MemoryStream(gz)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = $"{reporterDomain}!{policyDomain}!{meta.Begin.ToUnixTimeSeconds()}!{meta.End.ToUnixTimeSeconds()}!{meta.ReportId.Replace('@', '.')}.json.gz",
        };
        var report = new MultipartReport("tlsrpt") { text, attachment };
        m.Body = report;
        return m;
    }

    /// <summary>
    /// The JSON reports in <paramref name="data"/>: a .json or .json.gz file, or a mail with an
    /// <c>application/tlsrpt+gzip</c> or <c>application/tlsrpt+json</c> part. Throws <see cref="FormatException"/> when there is none.
    /// </summary>
    public static IReadOnlyList<byte[]> ReportsIn(byte[] data)
    {
        if (data.Length == 0) throw new FormatException("empty file");
        if (data[0] == 0x1f && data.Length > 1 && data[1] == 0x8b) return [AggregateReportReader.Gunzip(new MemoryStream(data))];
        if (data.AsSpan().TrimStart(" \t\r\n"u8).StartsWith("{"u8)) return [data];
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(data));
        }
        catch (FormatException e)
        {
            throw new FormatException($"neither JSON, gzip nor a mail: {e.Message}", e);
        }
        var reports = new List<byte[]>();
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            var type = part.ContentType.MimeType.ToLowerInvariant();
            if (type is not (GzipMediaType or "application/tlsrpt+json") || part.Content is null) continue;
            using var ms = new MemoryStream();
            part.Content.DecodeTo(ms);
            reports.Add(type == GzipMediaType ? AggregateReportReader.Gunzip(new MemoryStream(ms.ToArray())) : ms.ToArray());
        }
        return reports.Count > 0 ? reports : throw new FormatException("the mail has no application/tlsrpt+gzip or +json part");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await schedule.DisposeAsync().ConfigureAwait(false);
}
