using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>
/// The DNS pages: <c>/dns</c> (the zones as a table, the query log telling the lab's own lookups from
/// students') and <c>/dns/{origin}</c> (a zone's records; for the instructor, the editor of <see cref="ZoneEditor"/>).
/// </summary>
internal static class DnsPages
{
    /// <summary>Rows of the query log on the page.</summary>
    public const int PageQueries = 100;

    public static void Map(WebApplication app)
    {
        app.MapGet("/dns", (HttpContext http) => List(http)).ExcludeFromDescription();
        app.MapGet("/dns/{origin}", (HttpContext http, string origin) => Zone(http, origin, null)).ExcludeFromDescription();
        app.MapPost("/dns/{origin}", ZoneEditor.Post).ExcludeFromDescription();
    }

    private static IResult List(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        var b = new StringBuilder();
        if (ZonesApi.Store(http) is not { } store)
        {
            b.Append("<p>The lab DNS runs in another process (<code>--only</code>): its zones are not shown here.</p>\n");
        }
        else
        {
            b.Append("<p class=\"lead\">The lab DNS serves these zones from <code>zones/*.zone</code> in the lab's data directory. ")
                .Append("A saved edit of a file is live within a second; a broken one is refused and the last good zone stays served.</p>\n")
                .Append("<h2 id=\"zones\">Zones</h2>\n<table class=\"zones\"><caption class=\"sr\">Zones of the lab DNS</caption><thead><tr>")
                .Append("<th scope=\"col\">Zone</th><th scope=\"col\">Site</th><th scope=\"col\">File</th><th scope=\"col\">Records</th>")
                .Append("<th scope=\"col\">DNSSEC</th><th scope=\"col\">Serial</th></tr></thead><tbody>");
            foreach (var z in ZoneModel.List(store))
            {
                b.Append("<tr><td><a href=\"/dns/").Append(Uri.EscapeDataString(z.Origin)).Append("\"><code>").Append(Enc(z.Origin)).Append(".</code></a></td><td>")
                    .Append(Enc(z.Site)).Append("</td><td>").Append(z.File is null ? "made by the signer" : $"<code>{Enc(z.File)}</code>")
                    .Append("</td><td class=\"num\">").Append(z.Records).Append("</td><td>")
                    .Append(z.Signed ? Mark(true, "signed") : "<span aria-hidden=\"true\">–</span> unsigned").Append("</td><td class=\"num\">")
                    .Append(z.Serial.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
            }
            b.Append("</tbody></table>\n");
        }
        var log = DnsQueryLog.For(context, context.Viewer(http), PageQueries, DnsAskers.All);
        b.Append("<h2 id=\"queries\">Query log</h2>\n<p>The newest ").Append(PageQueries)
            .Append(" questions the lab DNS answered, newest first. <strong>Lab</strong>: the lab's own resolver asked (SPF, DKIM, DMARC and MX lookups of the sites); ")
            .Append("<strong>student</strong>: a question from outside the lab, such as <code>dig</code>.")
            .Append(context.Viewer(http).SeesAll ? "" : " Signed in as a student you see the questions asked from the addresses you used (where you logged in to the lab's mail, or signed in here); a question carries only its address, so students sharing one address see each other's.")
            .Append(" As JSON: <a href=\"/api/dns/queries\">/api/dns/queries</a>.</p>\n");
        if (log.Queries.Count == 0)
        {
            b.Append("<p id=\"no-queries\">No questions in the in-memory trace yet.</p>\n");
        }
        else
        {
            b.Append("<table class=\"queries\" id=\"query-log\"><caption class=\"sr\">DNS query log</caption><thead><tr><th scope=\"col\">Time (UTC)</th>")
                .Append("<th scope=\"col\">Asked by</th><th scope=\"col\">Client</th><th scope=\"col\">Question</th><th scope=\"col\">Answer</th></tr></thead><tbody>");
            foreach (var q in log.Queries)
            {
                b.Append("<tr class=\"").Append(q.Lab ? "by-lab" : "by-student").Append("\"><td>").Append(q.Time.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))
                    .Append("</td><td>").Append(q.Lab ? $"lab ({Enc(q.Origin)})" : "student").Append("</td><td><code>").Append(Enc(q.Client)).Append("</code></td><td>")
                    .Append(q.Name is null ? $"malformed: {Enc(q.Problem)}" : $"<code>{Enc(q.Name)}. {Enc(q.Type)}</code> <small>{Enc(q.Transport)}</small>")
                    .Append("</td><td>");
                if (q.Rcode is null) b.Append("<em>no answer in the trace</em>");
                else
                {
                    b.Append(Enc(q.Rcode));
                    if (q.Answers is { Count: > 0 } a) b.Append(": <code>").Append(Enc(string.Join(" | ", a))).Append("</code>");
                }
                b.Append("</td></tr>");
            }
            b.Append("</tbody></table>\n");
        }
        return Html(http, "DNS", b.ToString());
    }

    /// <summary>A zone's page; <paramref name="edit"/> is the editor's state after a Check or a failed Save (the posted text and its errors).</summary>
    internal static IResult Zone(HttpContext http, string origin, ZoneEditor.State? edit, int status = StatusCodes.Status200OK)
    {
        if (ZoneModel.ParseOrigin(origin) is not { } name) return Html(http, "DNS", "<p class=\"error\">Not a zone name.</p>", StatusCodes.Status400BadRequest);
        if (ZonesApi.Store(http) is not { } store || ZoneModel.Detail(store, name, Viewer(http).SeesAll) is not { } zone)
        {
            return Html(http, "DNS", $"<p class=\"error\">The lab DNS serves no zone <code>{Enc(name)}.</code></p><p><a href=\"/dns\">All zones</a></p>", StatusCodes.Status404NotFound);
        }
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">Site <strong>").Append(Enc(zone.Site)).Append("</strong>, ")
            .Append(zone.File is null ? "made by the DNSSEC signer (no file)" : $"file <code>{Enc(zone.File)}</code>")
            .Append(", ").Append(zone.Records).Append(" records, serial <span id=\"serial\">").Append(zone.Serial.ToString(CultureInfo.InvariantCulture)).Append("</span>. ")
            .Append("<a href=\"/dns\">All zones</a> · <a href=\"/api/zones/").Append(Uri.EscapeDataString(zone.Origin)).Append("\">as JSON</a></p>\n");
        if (zone.Signed)
        {
            b.Append("<p class=\"notice\" id=\"dnssec-note\">").Append(Mark(true, "DNSSEC-signed"))
                .Append(": the file holds the unsigned zone. After each save the signer signs it again (new RRSIGs, NSEC chain and serial); ")
                .Append("the DNSKEY, RRSIG and NSEC records are served but are not in the file or the table below.</p>\n");
        }
        if (zone.FileErrors.Count > 0 && edit is null)
        {
            b.Append("<p class=\"error\" role=\"alert\">The file has errors now, so the last good version is served: ")
                .Append(Enc(string.Join("; ", zone.FileErrors.Take(3).Select(ZoneEditor.Where)))).Append("</p>\n");
        }
        if (Viewer(http).SeesAll && zone.File is not null && zone.Text is not null)
        {
            ZoneEditor.Render(b, http, zone, edit);
        }
        else if (!Viewer(http).SeesAll)
        {
            b.Append("<p>Zones are public (anyone can ask the lab DNS); only the instructor edits them here.</p>\n");
        }
        b.Append("<h2 id=\"records\">Records</h2>\n<table class=\"records\"><caption class=\"sr\">Records of ").Append(Enc(zone.Origin))
            .Append("</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">TTL</th><th scope=\"col\">Class</th><th scope=\"col\">Type</th><th scope=\"col\">Data</th></tr></thead><tbody>");
        foreach (var r in zone.Rows)
        {
            b.Append("<tr><td><code>").Append(Enc(r.Name)).Append("</code></td><td class=\"num\">").Append(r.Ttl).Append("</td><td>").Append(r.Class)
                .Append("</td><td>").Append(Enc(r.Type)).Append("</td><td><code class=\"rdata\">").Append(Enc(r.Data)).Append("</code></td></tr>");
        }
        b.Append("</tbody></table>\n");
        return Html(http, $"Zone {zone.Origin}.", b.ToString(), status, script: "dns.js");
    }

    private static DashboardViewer Viewer(HttpContext http) => DashboardContext.Of(http).Viewer(http);
}
