using System.Text;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The Live trace page. Without JavaScript: the filter form and the newest <see cref="ServerRows"/> events
/// as a table. With it (trace.js): up to 10,000 events of history in a virtualised list (only the rows on
/// screen exist), then live events over Server-Sent Events, with pause and search.
/// </summary>
internal static class TracePage
{
    /// <summary>Events rendered by the server for a browser without JavaScript.</summary>
    public const int ServerRows = 200;

    /// <summary>
    /// Events a second the page's live stream asks for (<c>rate=</c>; the page's own <c>?rate=N</c> changes it): more
    /// than anyone reads on a projector, and fifty tabs of it cost the lab little in a scripted flood (bench/README.md).
    /// </summary>
    public const int DefaultRate = 500;

    public static IResult Render(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        var viewer = context.Viewer(http);
        var filter = TraceFilter.Parse(http.Request.Query, context.Lab.Definition, viewer, null, out var error, out int status);
        var b = new StringBuilder();
        Form(b, http.Request.Query, context, viewer);
        if (filter is null)
        {
            b.Append("<p class=\"error\" role=\"alert\"><span aria-hidden=\"true\">✗</span> ").Append(Enc(error)).Append("</p>");
            return Html(http, "Live trace", b.ToString(), status);
        }
        var all = context.Trace.Query();
        var scope = filter.Student is { } s ? TraceFilter.StudentEvents(all, s) : null;
        var rows = all.Where(e => filter.Matches(e) && (scope is null || scope.Contains(e.Sequence))).TakeLast(ServerRows).ToList();
        string query = http.Request.QueryString.Value ?? "";
        b.Append("<div class=\"toolbar\"><button type=\"button\" id=\"pause\" aria-pressed=\"false\" hidden>Pause</button>")
            .Append("<span id=\"status\" role=\"status\" aria-live=\"polite\">Showing the newest ").Append(rows.Count)
            .Append(" events (reload for more; JavaScript adds live updates).</span></div>\n")
            .Append("<div id=\"trace\" class=\"trace\" data-rate=\"").Append(filter.Rate ?? DefaultRate).Append("\" data-query=\"").Append(Enc(query)).Append("\">")
            .Append("<table class=\"events\"><caption class=\"sr\">Trace events</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Time</th><th scope=\"col\">Site</th>")
            .Append("<th scope=\"col\">Role</th><th scope=\"col\">Session</th><th scope=\"col\">Result</th><th scope=\"col\">Kind</th><th scope=\"col\">Text</th></tr></thead><tbody>");
        foreach (var e in rows)
        {
            b.Append("<tr><td class=\"num\">").Append(e.Sequence).Append("</td><td>").Append(e.Time.ToString("HH:mm:ss.fff")).Append("</td><td>")
                .Append(Enc(e.Site)).Append("</td><td>").Append(e.Role).Append("</td><td>");
            if (e.Session is { } session) b.Append("<a href=\"/sessions/").Append(Uri.EscapeDataString(session)).Append("\">").Append(Enc(session)).Append("</a>");
            b.Append("</td><td>").Append(Outcome(e)).Append("</td><td>").Append(e.Kind).Append("</td><td class=\"text\">").Append(Enc(e.Text)).Append("</td></tr>");
        }
        // The history has no rate (the stream's allowance): the JSON link leaves it out.
        string history = QueryString.Create(http.Request.Query.Where(p => p.Key != "rate")).Value ?? "";
        b.Append("</tbody></table></div>\n<p class=\"api\">As JSON: <a href=\"/api/trace").Append(Enc(history)).Append("\">/api/trace</a></p>");
        return Html(http, "Live trace", b.ToString(), script: "trace.js");
    }

    /// <summary>A reply's or an outcome's result as a symbol and a word (trace.js draws the same).</summary>
    private static string Outcome(TraceEvent e)
    {
        if (e.Kind is TraceKind.ReplySent or TraceKind.RelayReplyReceived && int.TryParse(e.Field("Code"), out int code))
        {
            return code < 400 ? Mark(true, "ok") : Mark(false, code < 500 ? "temporary" : "refused");
        }
        string kind = e.Kind.ToString();
        return kind.Contains("Fail", StringComparison.Ordinal) || kind.Contains("Reject", StringComparison.Ordinal) || kind.Contains("Refused", StringComparison.Ordinal)
            || e.Kind == TraceKind.InternalError ? Mark(false, "failed") : "";
    }

    private static void Form(StringBuilder b, IQueryCollection query, DashboardContext context, DashboardViewer viewer)
    {
        string Value(string key) => Enc(query[key].ToString());
        b.Append("<form id=\"filters\" class=\"filters\" method=\"get\" action=\"/trace\" role=\"search\" aria-label=\"Filter the trace\">");
        Select(b, "site", "Site", ["lab", .. context.Lab.Definition.Sites.Select(s => s.Name)], query["site"].ToString());
        Select(b, "role", "Role", Enum.GetNames<TraceRole>(), query["role"].ToString());
        Select(b, "kind", "Kind", Enum.GetNames<TraceKind>(), query["kind"].ToString());
        b.Append("<label>Session <input name=\"session\" size=\"7\" maxlength=\"64\" value=\"").Append(Value("session")).Append("\"></label>");
        b.Append("<label>Message <input name=\"message\" size=\"10\" maxlength=\"200\" value=\"").Append(Value("message")).Append("\"></label>");
        if (viewer.SeesAll)
        {
            b.Append("<label>Student <input name=\"student\" size=\"16\" maxlength=\"320\" placeholder=\"address or IP\" value=\"").Append(Value("student")).Append("\"></label>");
        }
        b.Append("<label>Search <input name=\"q\" type=\"search\" size=\"16\" maxlength=\"").Append(TraceFilter.MaxTextLength).Append("\" value=\"").Append(Value("q")).Append("\"></label>");
        // Kept across Apply; trace.js asks the stream for it and the history without it.
        if (query["rate"].ToString() is { Length: > 0 } rate) b.Append("<input type=\"hidden\" name=\"rate\" value=\"").Append(Enc(rate)).Append("\">");
        b.Append("<button type=\"submit\">Apply</button></form>\n");
    }

    private static void Select(StringBuilder b, string name, string label, IEnumerable<string> options, string chosen)
    {
        b.Append("<label>").Append(label).Append(" <select name=\"").Append(name).Append("\"><option value=\"\">any</option>");
        foreach (var o in options)
        {
            b.Append("<option").Append(o.Equals(chosen, StringComparison.OrdinalIgnoreCase) ? " selected" : "").Append('>').Append(Enc(o)).Append("</option>");
        }
        b.Append("</select></label>");
    }
}
