using System.Text;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>The Lab page: sites, their listeners (address, port, TLS mode), switches, zones and users, from <c>/api/lab</c>'s data.</summary>
internal static class LabPage
{
    public static IResult Render(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        var lab = LabApi.Build(context, context.Viewer(http));
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">Lab <strong>").Append(Enc(lab.Name)).Append("</strong>");
        if (lab.Source is not null) b.Append(" from <code>").Append(Enc(lab.Source)).Append("</code>");
        b.Append(". Switches on: ");
        b.Append(lab.SwitchesOn.Count == 0 ? "<span id=\"switches\">none</span>" : "<span id=\"switches\">" + string.Join(", ", lab.SwitchesOn.Select(s => $"<code>{Enc(s)}</code>")) + "</span>");
        b.Append(". Access: ").Append(lab.SignInRequired ? "sign-in required" : "open (loopback)").Append(".</p>\n");

        b.Append("<h2 id=\"sites\">Sites</h2>\n");
        foreach (var site in lab.Sites)
        {
            b.Append("<section class=\"site\" aria-labelledby=\"site-").Append(Enc(site.Name)).Append("\"><h3 id=\"site-").Append(Enc(site.Name)).Append("\">")
                .Append(Enc(site.Name)).Append(" <small>").Append(Enc(string.Join(", ", site.Domains))).Append(" · ").Append(Enc(site.Address))
                .Append(" · ").Append(Enc(string.Join(", ", site.HostNames))).Append("</small></h3>\n");
            Listeners(b, site.Listeners, $"Listeners of {site.Name}");
            b.Append("<p>Users: ").Append(site.Users.Count == 0 ? "none shown" : string.Join(", ", site.Users.Select(u => $"<code>{Enc(u)}</code>"))).Append("</p></section>\n");
        }
        b.Append("<h2 id=\"services\">Lab services</h2>\n");
        Listeners(b, lab.Services, "Lab services");
        b.Append("<h2 id=\"zones\">DNS zones</h2>\n");
        if (lab.Zones.Count == 0)
        {
            b.Append("<p>The lab DNS runs in another process (<code>--only</code>).</p>\n");
        }
        else
        {
            b.Append("<table><caption class=\"sr\">DNS zones</caption><thead><tr><th scope=\"col\">Zone</th><th scope=\"col\">Site</th><th scope=\"col\">Records</th><th scope=\"col\">DNSSEC</th></tr></thead><tbody>");
            foreach (var z in lab.Zones)
            {
                b.Append("<tr><td><code>").Append(Enc(z.Origin)).Append("</code></td><td>").Append(Enc(z.Site)).Append("</td><td class=\"num\">")
                    .Append(z.Records).Append("</td><td>").Append(z.Signed ? Mark(true, "signed") : "<span aria-hidden=\"true\">–</span> unsigned").Append("</td></tr>");
            }
            b.Append("</tbody></table>\n");
        }
        b.Append("<p class=\"api\">The same data as JSON: <a href=\"/api/lab\">/api/lab</a> · API description: <a href=\"")
            .Append(DashboardApi.OpenApiPath).Append("\">OpenAPI</a></p>\n");
        return Html(http, "Lab", b.ToString());
    }

    private static void Listeners(StringBuilder b, IReadOnlyList<LabApi.Listener> listeners, string caption)
    {
        b.Append("<table class=\"listeners\"><caption class=\"sr\">").Append(Enc(caption))
            .Append("</caption><thead><tr><th scope=\"col\">Role</th><th scope=\"col\">Address:port</th><th scope=\"col\">TLS</th><th scope=\"col\">Status</th><th scope=\"col\">Sessions</th></tr></thead><tbody>");
        foreach (var l in listeners)
        {
            b.Append("<tr><td>").Append(Enc(l.Role)).Append("</td><td><code>").Append(Enc(l.Address)).Append(':').Append(l.Port)
                .Append("</code></td><td>").Append(Enc(l.Tls)).Append("</td><td>")
                .Append(l.Status == "not probed" ? "<span aria-hidden=\"true\">–</span> not probed" : Mark(l.Status == "listening", l.Status))
                .Append("</td><td class=\"num\">").Append(l.Sessions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "").Append("</td></tr>");
        }
        b.Append("</tbody></table>\n");
    }
}
