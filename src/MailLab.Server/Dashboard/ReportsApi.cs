using System.Globalization;
using MailLab.Server.Reports;
using MailLab.Server.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Dashboard;

/// <summary>
/// <c>/api/reports/...</c>: DMARC aggregate reports the lab sent (its archive, <see cref="SentReportArchive"/>) and received
/// (read from the lab mailboxes' INBOX, <see cref="ReportScan"/>), their pass/fail counts over time, and the failure reports
/// received. Access: open and instructor see every mailbox and what was sent; a student sees the reports in their own mailbox only.
/// </summary>
internal static class ReportsApi
{
    /// <summary>
    /// An aggregate report: <c>Direction</c> <c>sent</c> (with <c>Site</c>, <c>SentTo</c>, <c>Refused</c>) or <c>received</c>
    /// (with <c>Mailbox</c>, <c>Uid</c>); <c>Reporter</c> is its org_name, <c>Domain</c> the policy domain, <c>Policy</c> its p=.
    /// </summary>
    public sealed record AggregateView(string Direction, string? Site, string? Mailbox, uint? Uid, string Reporter, string Domain, string Policy,
        DateTimeOffset Begin, DateTimeOffset End, string ReportId, long Messages, IReadOnlyList<string>? SentTo, IReadOnlyList<string>? Refused,
        IReadOnlyList<ReportRow> Rows);

    /// <summary>The answer of <c>/api/reports/dmarc</c>; <c>Scanned</c>/<c>NotScanned</c> count the INBOX messages read and left.</summary>
    public sealed record DmarcReports(IReadOnlyList<AggregateView> Sent, IReadOnlyList<AggregateView> Received, int Scanned, int NotScanned);

    /// <summary>A failure report in the list: the ARF fields a reader looks at first (RFC 6591 §3.1).</summary>
    public sealed record FailureSummary(string Id, string Mailbox, uint Uid, DateTimeOffset Arrived, string Subject, string ReportedDomain,
        string SourceIp, string AuthFailure, string DeliveryResult, string OriginalMailFrom);

    /// <summary>The answer of <c>/api/reports/failures</c>.</summary>
    public sealed record FailureList(IReadOnlyList<FailureSummary> Reports, int Scanned, int NotScanned);

    /// <summary>One feedback-report field as written.</summary>
    public sealed record ReportField(string Name, string Value);

    /// <summary>One failure report: every feedback field in order, and the reported message's header section.</summary>
    public sealed record FailureDetail(string Id, string Mailbox, uint Uid, DateTimeOffset Arrived, string Subject, IReadOnlyList<ReportField> Fields,
        string ReportedHeaders);

    /// <summary>A TLS report received (RFC 8460): <c>Text</c> is what <c>maillab tlsrpt show</c> prints for it.</summary>
    public sealed record TlsView(string Mailbox, uint Uid, DateTimeOffset Arrived, string Text);

    /// <summary>The answer of <c>/api/reports/tls</c>.</summary>
    public sealed record TlsList(IReadOnlyList<TlsView> Reports, int Scanned, int NotScanned);

    /// <summary>What a viewer may see: the sent reports (parsed) and the scan of their mailboxes.</summary>
    internal sealed record Seen(IReadOnlyList<(SentReport Sent, AggregateReport Report)> Sent, ScanResult Received);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/reports/dmarc", (Func<HttpContext, Task<IResult>>)Dmarc)
            .WithSummary("DMARC aggregate reports sent by the lab and received in lab mailboxes (a student: their own mailbox), with their rows.");
        api.MapGet("/reports/dmarc/series", (Func<HttpContext, Task<IResult>>)Series)
            .WithSummary("Per source IP, DMARC pass and fail message counts per time bucket (`bucket` seconds, default 3600), for the chart.");
        api.MapGet("/reports/failures", (Func<HttpContext, Task<IResult>>)Failures)
            .WithSummary("DMARC failure reports (RFC 6591 ARF) received in lab mailboxes, newest first.");
        api.MapGet("/reports/tls", (Func<HttpContext, Task<IResult>>)Tls)
            .WithSummary("SMTP TLS reports (RFC 8460) received in lab mailboxes, each as `maillab tlsrpt show` prints it.");
        api.MapGet("/reports/failures/{id}", Failure)
            .WithSummary("One failure report (`mailbox:uid`): its feedback fields and the reported message's headers.");
    }

    private static async Task<IResult> Dmarc(HttpContext http)
    {
        if (QueryError(http, []) is { } bad) return bad;
        var seen = await LoadAsync(http);
        return DashboardJson.Result(new DmarcReports(seen.Sent.Select(s => View(s.Report, s.Sent)).ToList(),
            seen.Received.Reports.SelectMany(r => r.Aggregates.Select(a => View(a, r))).ToList(),
            seen.Received.Scanned, seen.Received.NotScanned));
    }

    private static async Task<IResult> Series(HttpContext http)
    {
        if (QueryError(http, ["bucket"]) is { } bad) return bad;
        long bucket = ReportSeries.DefaultBucket;
        if (http.Request.Query.TryGetValue("bucket", out var b)
            && (!long.TryParse(b.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out bucket) || bucket < ReportSeries.MinBucket || bucket > ReportSeries.MaxBucket))
        {
            return DashboardApi.Problem(StatusCodes.Status400BadRequest,
                $"bucket must be a number of seconds from {ReportSeries.MinBucket} to {ReportSeries.MaxBucket}");
        }
        return DashboardJson.Result(ReportSeries.Build(All(await LoadAsync(http)), bucket));
    }

    private static async Task<IResult> Failures(HttpContext http)
    {
        if (QueryError(http, []) is { } bad) return bad;
        var scan = (await LoadAsync(http)).Received;
        var list = scan.Reports.Where(r => r.Failure is not null).Select(r => new FailureSummary(r.Id, r.Mailbox, r.Uid, r.Arrived, r.Failure!.Subject,
            r.Failure.Field("Reported-Domain"), r.Failure.Field("Source-IP"), r.Failure.Field("Auth-Failure"), r.Failure.Field("Delivery-Result"),
            r.Failure.Field("Original-Mail-From"))).ToList();
        return DashboardJson.Result(new FailureList(list, scan.Scanned, scan.NotScanned));
    }

    private static async Task<IResult> Tls(HttpContext http)
    {
        if (QueryError(http, []) is { } bad) return bad;
        var scan = (await LoadAsync(http)).Received;
        return DashboardJson.Result(new TlsList(TlsViews(scan), scan.Scanned, scan.NotScanned));
    }

    /// <summary>Every TLS report in the scan, one entry per report (a mail may carry several).</summary>
    internal static List<TlsView> TlsViews(ScanResult scan) =>
        scan.Reports.SelectMany(r => (r.TlsReports ?? []).Select(t => new TlsView(r.Mailbox, r.Uid, r.Arrived, t))).ToList();

    private static async Task<IResult> Failure(HttpContext http, string id)
    {
        if (QueryError(http, []) is { } bad) return bad;
        var (detail, status, error) = await FindFailureAsync(http, id);
        return detail is not null ? DashboardJson.Result(detail) : DashboardApi.Problem(status, error!);
    }

    /// <summary>The failure report <paramref name="id"/> if the viewer may see it; else the status (400 malformed, 404) and why.</summary>
    internal static async Task<(FailureDetail? Detail, int Status, string? Error)> FindFailureAsync(HttpContext http, string id)
    {
        int colon = id.LastIndexOf(':');
        if (id.Length > 340 || colon < 1 || !uint.TryParse(id.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            || !MailboxNames.TryNormalizeAddress(id[..colon], out var mailbox, out _))
        {
            return (null, StatusCodes.Status400BadRequest, "a failure report id is mailbox:uid, e.g. postmaster@bank.test:7");
        }
        var context = DashboardContext.Of(http);
        // Another student's mailbox is "not found" like a report that is not there, so its existence is not revealed.
        var found = Mailboxes(context, context.Viewer(http)).FirstOrDefault(x => x.Mailbox == mailbox) is ({ } store, _)
            ? await ReportScan.FindAsync(store, mailbox, uid, http.RequestAborted) : null;
        if (found?.Failure is not { } f) return (null, StatusCodes.Status404NotFound, $"no failure report {id} (or not yours)");
        return (new FailureDetail(found.Id, found.Mailbox, found.Uid, found.Arrived, f.Subject,
            f.Fields.Select(x => new ReportField(x.Name, x.Value)).ToList(), f.ReportedHeaders), StatusCodes.Status200OK, null);
    }

    /// <summary>Everything the viewer of <paramref name="http"/> may see.</summary>
    internal static async Task<Seen> LoadAsync(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        var viewer = context.Viewer(http);
        // The classroom's dashboard runs no site: the sites' processes (followed, read-only) sent the reports.
        var sent = viewer.SeesAll
            ? context.Lab.FollowedDirectories.Prepend(context.Lab.DataDirectory).SelectMany(d => ReadSent(Path.Combine(d, "dmarc"))).ToList()
            : [];
        var received = await ReportScan.ScanAsync(Mailboxes(context, viewer), http.RequestAborted);
        return new Seen(sent, received);
    }

    /// <summary>Every aggregate report seen, sent first (a report both sent and received is counted once by the series).</summary>
    internal static IEnumerable<AggregateReport> All(Seen seen) =>
        seen.Sent.Select(s => s.Report).Concat(seen.Received.Reports.SelectMany(r => r.Aggregates));

    internal static AggregateView View(AggregateReport a, SentReport s) => new("sent", s.Site, null, null, a.OrgName, a.PolicyDomain, a.Policy,
        a.Begin, a.End, a.ReportId, a.Rows.Sum(r => r.Count), s.SentTo, s.Refused, a.Rows);

    internal static AggregateView View(AggregateReport a, ReceivedReport r) => new("received", null, r.Mailbox, r.Uid, a.OrgName, a.PolicyDomain,
        a.Policy, a.Begin, a.End, a.ReportId, a.Rows.Sum(x => x.Count), null, null, a.Rows);

    private static List<(SentReport, AggregateReport)> ReadSent(string dmarcDirectory)
    {
        var list = new List<(SentReport, AggregateReport)>();
        foreach (var s in SentReportArchive.Load(dmarcDirectory))
        {
            try
            {
                list.Add((s, AggregateReportReader.ParseXml(System.Text.Encoding.UTF8.GetBytes(s.Xml))));
            }
            catch (FormatException)
            {
                // The lab wrote it; a damaged copy is left out rather than failing the page.
            }
        }
        return list;
    }

    /// <summary>
    /// The mailboxes the viewer may read reports in, each with its store: every one in the lab's store and the followed
    /// ones (a mailbox found in two is read in the first), or the student's own.
    /// </summary>
    private static IReadOnlyList<(MessageStore Store, string Mailbox)> Mailboxes(DashboardContext context, DashboardViewer viewer)
    {
        var stores = context.Lab.FollowedStores.Prepend(context.Lab.Store);
        if (viewer.SeesAll) return stores.SelectMany(st => st.ListUsers().Select(m => (st, m))).DistinctBy(x => x.m).ToList();
        return viewer.Student is { } s && MailboxNames.TryNormalizeAddress(s, out var own, out _)
            ? stores.Where(st => Directory.Exists(st.UserDirectory(own))).Take(1).Select(st => (st, own)).ToList()
            : [];
    }

    /// <summary>400 for a parameter not in <paramref name="known"/> or one given twice, so a typo never silently means the default.</summary>
    private static IResult? QueryError(HttpContext http, string[] known)
    {
        var query = http.Request.Query;
        if (query.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            return DashboardApi.Problem(StatusCodes.Status400BadRequest,
                $"unknown parameter '{(unknown.Length > 40 ? unknown[..40] : unknown)}'" + (known.Length == 0 ? " (none taken)" : $" (known: {string.Join(", ", known)})"));
        }
        return query.FirstOrDefault(p => p.Value.Count > 1) is { Key: { } repeated }
            ? DashboardApi.Problem(StatusCodes.Status400BadRequest, $"parameter '{repeated}' given more than once")
            : null;
    }
}
