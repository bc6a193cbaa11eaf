using System.Text;
using MailLab.Server.Reports;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The DMARC reports pages: <c>/reports</c> (a chart of pass and fail per source over time, drawn by uPlot from
/// <c>/api/reports/dmarc/series</c>, the same numbers as a table, the aggregate reports received and sent, the failure
/// reports) and <c>/reports/failures/{id}</c> (one failure report, readable). Everything is in the HTML; the chart is extra.
/// </summary>
internal static class ReportsPage
{
    public static async Task<IResult> Render(HttpContext http)
    {
        var seen = await ReportsApi.LoadAsync(http);
        var viewer = DashboardContext.Of(http).Viewer(http);
        var series = ReportSeries.Build(ReportsApi.All(seen), ReportSeries.DefaultBucket);
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">").Append(viewer.SeesAll
                ? "Reports the lab's sites sent (rua=, RFC 9990) and the report mails in every lab mailbox's INBOX."
                : $"The report mails in your mailbox ({Enc(viewer.Student)}).")
            .Append(" Read with the same readers as <code>maillab dmarc report show --mailbox ADDR</code>; send pending reports with <code>maillab dmarc report send</code>.")
            .Append($" <a href=\"/api/reports/dmarc\">As JSON</a>. {seen.Received.Scanned} INBOX message{(seen.Received.Scanned == 1 ? "" : "s")} read")
            .Append(seen.Received.NotScanned > 0 ? $", {seen.Received.NotScanned} older not read (newest {ReportScan.MaxMessages} only)." : ".").Append("</p>\n");

        b.Append("<section aria-labelledby=\"chart-title\"><h2 id=\"chart-title\">DMARC pass and fail per source, by hour</h2>\n");
        b.Append("<p>Messages per source IP in each hour that reports begin in; a pass is an aligned SPF or DKIM pass (RFC 7489 §4.2). ")
            .Append("In each hour one pair of bars per source: filled for passes, light with a dashed outline for failures (the legend names each); the table below has the same numbers.</p>\n");
        b.Append("<div id=\"dmarc-chart\" class=\"chart\" data-series=\"/api/reports/dmarc/series\" role=\"img\" aria-label=\"Chart of the table below\"></div>\n");
        b.Append(SeriesTable(series)).Append("</section>\n");

        b.Append("<section aria-labelledby=\"received-title\"><h2 id=\"received-title\">Aggregate reports received</h2>\n");
        var received = seen.Received.Reports.SelectMany(r => r.Aggregates.Select(a => ReportsApi.View(a, r))).ToList();
        b.Append(AggregateTable("received", received)).Append("</section>\n");
        if (viewer.SeesAll)
        {
            b.Append("<section aria-labelledby=\"sent-title\"><h2 id=\"sent-title\">Aggregate reports sent</h2>\n");
            b.Append(AggregateTable("sent", seen.Sent.Select(s => ReportsApi.View(s.Report, s.Sent)).ToList())).Append("</section>\n");
        }

        b.Append("<section aria-labelledby=\"failures-title\"><h2 id=\"failures-title\">Failure reports received</h2>\n");
        var failures = seen.Received.Reports.Where(r => r.Failure is not null).ToList();
        if (failures.Count == 0) b.Append("<p class=\"empty\">No failure reports (ruf=, RFC 6591).</p>\n");
        else
        {
            b.Append("<table id=\"failures\"><thead><tr><th scope=\"col\">Arrived</th><th scope=\"col\">Mailbox</th><th scope=\"col\">Reported domain</th>")
                .Append("<th scope=\"col\">Source IP</th><th scope=\"col\">Original MAIL FROM</th><th scope=\"col\">Delivery result</th><th scope=\"col\">Report</th></tr></thead><tbody>");
            foreach (var r in failures)
            {
                var f = r.Failure!;
                b.Append("<tr><td>").Append(Time(r.Arrived)).Append("</td><td>").Append(Enc(r.Mailbox)).Append("</td><td>").Append(Enc(f.Field("Reported-Domain")))
                    .Append("</td><td><code>").Append(Enc(f.Field("Source-IP"))).Append("</code></td><td>").Append(Enc(f.Field("Original-Mail-From")))
                    .Append("</td><td>").Append(Enc(f.Field("Delivery-Result"))).Append("</td><td><a href=\"/reports/failures/").Append(Uri.EscapeDataString(r.Id))
                    .Append("\">Read</a></td></tr>");
            }
            b.Append("</tbody></table>\n");
        }
        b.Append("</section>\n");

        b.Append("<section aria-labelledby=\"tls-title\"><h2 id=\"tls-title\">TLS reports received (RFC 8460)</h2>\n");
        var tls = ReportsApi.TlsViews(seen.Received);
        if (tls.Count == 0) b.Append("<p class=\"empty\">No TLS reports (the rua= of a domain's _smtp._tls record).</p>\n");
        foreach (var t in tls)
        {
            b.Append("<p>In ").Append(Enc(t.Mailbox)).Append(", arrived ").Append(Time(t.Arrived)).Append(":</p><pre class=\"headers tls-report\">")
                .Append(Enc(t.Text)).Append("</pre>\n");
        }
        b.Append("</section>\n");
        // The layout takes one script; uPlot and its style come here, in order (deferred scripts run in document order).
        b.Append("<link rel=\"stylesheet\" href=\"/assets/uplot.min.css\"><script src=\"/assets/uplot.min.js\" defer></script>")
            .Append("<script src=\"/assets/reports.js\" defer></script>\n");
        return Html(http, "DMARC reports", b.ToString());
    }

    public static async Task<IResult> Failure(HttpContext http, string id)
    {
        var (detail, status, error) = await ReportsApi.FindFailureAsync(http, id);
        if (detail is null) return Html(http, "Failure report", $"<p class=\"error\">{Enc(error)}</p><p><a href=\"/reports\">All reports</a></p>", status);
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">").Append(Enc(detail.Subject)).Append("<br>In ").Append(Enc(detail.Mailbox)).Append(", arrived ").Append(Time(detail.Arrived))
            .Append(". <a href=\"/api/reports/failures/").Append(Uri.EscapeDataString(detail.Id)).Append("\">As JSON</a> · <a href=\"/reports\">All reports</a></p>\n");
        b.Append("<h2>Feedback fields (RFC 5965 §3.1, RFC 6591 §3.1)</h2>\n<dl id=\"feedback\" class=\"fields\">");
        // The fields a student reads first, in that order, then any others as the reporter wrote them.
        var ordered = FailureReportReader.Shown.SelectMany(n => detail.Fields.Where(f => f.Name.Equals(n, StringComparison.OrdinalIgnoreCase)))
            .Concat(detail.Fields.Where(f => !FailureReportReader.Shown.Contains(f.Name, StringComparer.OrdinalIgnoreCase)));
        foreach (var f in ordered) b.Append("<dt>").Append(Enc(f.Name)).Append("</dt><dd>").Append(Enc(f.Value)).Append("</dd>");
        b.Append("</dl>\n<h2>Headers of the reported message</h2>\n<pre id=\"reported-headers\" class=\"headers\">").Append(Enc(detail.ReportedHeaders)).Append("</pre>\n");
        return Html(http, "Failure report", b.ToString());
    }

    private static string SeriesTable(DmarcSeries s)
    {
        if (s.Times.Length == 0) return "<p class=\"empty\" id=\"series-empty\">No aggregate report data yet.</p>\n";
        var b = new StringBuilder("<table id=\"series-table\"><caption>DMARC results per source IP and hour (UTC)</caption><thead><tr><th scope=\"col\">Hour</th>")
            .Append("<th scope=\"col\">Source IP</th><th scope=\"col\">Pass</th><th scope=\"col\">Fail</th></tr></thead><tbody>");
        for (int i = 0; i < s.Times.Length; i++)
        {
            foreach (var src in s.Sources.Where(x => x.Pass[i] + x.Fail[i] > 0))
            {
                b.Append("<tr><td>").Append(Time(DateTimeOffset.FromUnixTimeSeconds(s.Times[i]))).Append("</td><td><code>").Append(Enc(src.SourceIp))
                    .Append("</code></td><td>").Append(src.Pass[i]).Append("</td><td>").Append(src.Fail[i]).Append("</td></tr>");
            }
        }
        return b.Append("</tbody></table>\n").ToString();
    }

    private static string AggregateTable(string id, IReadOnlyList<ReportsApi.AggregateView> reports)
    {
        if (reports.Count == 0) return $"<p class=\"empty\" id=\"{id}-empty\">No aggregate reports {id}.</p>\n";
        bool sent = id == "sent";
        var b = new StringBuilder($"<table id=\"{id}\" class=\"reports\"><thead><tr><th scope=\"col\">Report</th><th scope=\"col\">Domain (p=)</th>")
            .Append("<th scope=\"col\">Period (UTC)</th><th scope=\"col\">").Append(sent ? "Sent to" : "Mailbox").Append("</th><th scope=\"col\">Source IP</th>")
            .Append("<th scope=\"col\">Count</th><th scope=\"col\">Disposition</th><th scope=\"col\">DKIM</th><th scope=\"col\">SPF</th></tr></thead><tbody>");
        foreach (var r in reports)
        {
            for (int i = 0; i < r.Rows.Count; i++)
            {
                var row = r.Rows[i];
                b.Append(i == 0 ? "<tr class=\"first\">" : "<tr>");
                if (i == 0)
                {
                    string span = r.Rows.Count > 1 ? $" rowspan=\"{r.Rows.Count}\"" : "";
                    string where = sent
                        ? (r.SentTo!.Count == 0 ? "nobody" : string.Join(", ", r.SentTo.Select(Enc))) + string.Concat(r.Refused!.Select(x => "<br>refused " + Enc(x)))
                        : Enc(r.Mailbox);
                    b.Append($"<th scope=\"rowgroup\"{span}>").Append(Enc(r.Reporter)).Append("<br><code>").Append(Enc(r.ReportId)).Append("</code></th>")
                        .Append($"<td{span}>").Append(Enc(r.Domain)).Append(" (").Append(Enc(r.Policy)).Append(")</td>")
                        .Append($"<td{span}>").Append(Time(r.Begin)).Append(" to ").Append(Time(r.End)).Append("</td>")
                        .Append($"<td{span}>").Append(where).Append("</td>");
                }
                b.Append("<td><code>").Append(Enc(row.SourceIp)).Append("</code></td><td>").Append(row.Count).Append("</td><td>").Append(Enc(row.Disposition))
                    .Append("</td><td>").Append(Mark(row.Dkim == "pass", row.Dkim == "pass" ? "aligned" : "not aligned")).Append("<br><small>").Append(Enc(row.DkimResults))
                    .Append("</small></td><td>").Append(Mark(row.Spf == "pass", row.Spf == "pass" ? "aligned" : "not aligned")).Append("<br><small>").Append(Enc(row.SpfResults))
                    .Append("</small></td></tr>");
            }
        }
        return b.Append("</tbody></table>\n").ToString();
    }

    private static string Time(DateTimeOffset t) => $"<time datetime=\"{t.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\">{t.UtcDateTime:yyyy-MM-dd HH:mm}</time>";
}
