using System.Text;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>The Session page: one session's C:/S: transcript, the TLS boundary drawn as a line across it.</summary>
internal static class SessionPage
{
    public static IResult Render(HttpContext http, string id)
    {
        var context = DashboardContext.Of(http);
        if (!TraceFilter.SessionId().IsMatch(id)) return Html(http, "Session", "<p class=\"error\">Not a session id.</p>", StatusCodes.Status400BadRequest);
        if (SessionApi.Build(context, context.Viewer(http), id) is not { } t)
        {
            return Html(http, "Session", $"<p class=\"error\">No session <code>{Enc(id)}</code> in the in-memory trace (or it is not yours).</p>", StatusCodes.Status404NotFound);
        }
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">").Append(Enc(t.Site)).Append(' ').Append(Enc(t.Role)).Append(" session <code>").Append(Enc(t.Session)).Append("</code>");
        if (t.Client is not null) b.Append(" from <code>").Append(Enc(t.Client)).Append("</code>");
        b.Append(t.TlsAt is null ? ". " + Mark(false, "never encrypted: everything below crossed the wire in plaintext") : $". Encrypted from event {t.TlsAt} on ({Enc(t.TlsVersion)}).");
        if (!t.Complete) b.Append(" <em>Partial: the session is still open or its start left the in-memory trace.</em>");
        b.Append("</p>\n<p><a href=\"/trace?session=").Append(Uri.EscapeDataString(t.Session)).Append("\">These events in the live trace</a> · ")
            .Append("<a href=\"/api/sessions/").Append(Uri.EscapeDataString(t.Session)).Append("\">as JSON</a></p>\n<ol class=\"transcript\">");
        foreach (var line in t.Lines)
        {
            if (line.Seq == t.TlsAt)
            {
                b.Append("<li class=\"tls-boundary\" id=\"tls-boundary\">TLS established (")
                    .Append(Enc(t.TlsVersion)).Append("): below this line, encrypted on the wire</li>");
                continue;
            }
            string dir = line.Dir == "*" ? "note" : line.Dir;
            b.Append("<li class=\"line dir-").Append(dir).Append(line.Encrypted ? " enc" : " plain").Append("\"><span class=\"wire\">")
                .Append(line.Encrypted ? "TLS" : "plain").Append("</span><span class=\"dir\">")
                .Append(line.Dir == "*" ? "" : line.Dir + ":").Append("</span><span class=\"text\">").Append(Enc(line.Text)).Append("</span></li>");
        }
        b.Append("</ol>\n");
        return Html(http, $"Session {t.Session}", b.ToString());
    }
}
