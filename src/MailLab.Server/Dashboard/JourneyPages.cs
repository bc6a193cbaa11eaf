using System.Text;
using MailLab.Server.Dashboard.Journey;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The Journey pages in the dashboard's layout: <c>/journey</c> lists the recent messages, <c>/journey/{id}</c>
/// shows one (the journey model and its HTML are in <c>Journey/</c>). A student sees only their own messages.
/// </summary>
internal static class JourneyPages
{
    public static IResult List(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        var recent = JourneyBuilder.Recent(context.EventsFor(context.Viewer(http)), JourneyApi.DefaultLimit);
        var b = new StringBuilder();
        if (recent.Count == 0)
        {
            b.Append("<p>No message in the in-memory trace yet: send one, and reload.</p>");
        }
        else
        {
            b.Append("<table><caption class=\"sr\">Recent messages, newest first</caption><thead><tr><th scope=\"col\">Message</th><th scope=\"col\">Outcome</th>")
                .Append("<th scope=\"col\">Site</th><th scope=\"col\">MAIL FROM</th><th scope=\"col\">To</th><th scope=\"col\">Subject</th></tr></thead><tbody>");
            foreach (var m in recent)
            {
                b.Append("<tr><td><a href=\"/journey/").Append(Uri.EscapeDataString(m.Id)).Append("\"><code>").Append(Enc(m.Id)).Append("</code></a></td><td>")
                    .Append(JourneyPage.Verdict(m.Outcome)).Append("</td><td>").Append(Enc(m.Site)).Append("</td><td><code>").Append(Enc(m.MailFrom))
                    .Append("</code></td><td>").Append(Enc(string.Join(", ", m.To))).Append("</td><td>").Append(Enc(m.Subject)).Append("</td></tr>");
            }
            b.Append("</tbody></table>");
        }
        b.Append("<p class=\"api\">As JSON: <a href=\"/api/messages\">/api/messages</a></p>");
        return Html(http, "Journey", b.ToString());
    }

    public static IResult Show(HttpContext http, string id)
    {
        if (!JourneyBuilder.IsQueueId(id)) return Html(http, "Journey", "<p class=\"error\">Not a lab queue id.</p>", StatusCodes.Status400BadRequest);
        var context = DashboardContext.Of(http);
        return JourneyBuilder.Build(context.EventsFor(context.Viewer(http)), id) is { } journey
            ? Html(http, $"Journey of {id}", JourneyPage.RenderBody(journey), heading: false)
            : Html(http, "Journey", $"<p class=\"error\">No message <code>{Enc(id)}</code> in the in-memory trace (or it is not yours).</p>", StatusCodes.Status404NotFound);
    }
}
