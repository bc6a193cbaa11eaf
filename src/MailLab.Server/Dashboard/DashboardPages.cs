using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MailLab.Server.Dashboard;

/// <summary>A page in the dashboard's navigation; <paramref name="Ready"/> false shows it as "coming".</summary>
public sealed record DashboardPage(string Path, string Title, bool Ready);

/// <summary>
/// The dashboard's HTML: one layout (skip link, navigation, projector-mode toggle, sign-out) around
/// server-rendered pages that work without JavaScript; small scripts (embedded, no build step) add
/// live updates. Later pages add themselves to <see cref="Nav"/> and map their route in <see cref="Map"/>.
/// </summary>
internal static class DashboardPages
{
    /// <summary>The navigation, in order. Pages not built yet are listed so the layout stays the same when they land.</summary>
    public static readonly IReadOnlyList<DashboardPage> Nav =
    [
        new("/", "Lab", true),
        new("/trace", "Live trace", true),
        new("/journey", "Journey", true),
        new("/dns", "DNS", true),
        new("/mailboxes", "Mailboxes", true),
        new("/reports", "DMARC reports", true),
        new("/exercises", "Exercises", true),
    ];

    /// <summary>The files under <c>/assets/</c> (embedded resources) and their media types.</summary>
    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
        ["trace.js"] = "text/javascript; charset=utf-8",
        ["dns.js"] = "text/javascript; charset=utf-8",
        ["reports.js"] = "text/javascript; charset=utf-8",
        ["uplot.min.js"] = "text/javascript; charset=utf-8", // uPlot 1.6.32 (MIT, uplot.LICENSE.txt), vendored from npm
        ["uplot.min.css"] = "text/css; charset=utf-8",
        ["uplot.LICENSE.txt"] = "text/plain; charset=utf-8",
        ["exercises.js"] = "text/javascript; charset=utf-8",
    };

    public static void Map(WebApplication app)
    {
        app.MapGet("/assets/{name}", (string name) => Asset(name)).ExcludeFromDescription();
        app.MapGet("/", (HttpContext http) => LabPage.Render(http)).ExcludeFromDescription();
        app.MapGet("/trace", (HttpContext http) => TracePage.Render(http)).ExcludeFromDescription();
        app.MapGet("/sessions/{id}", (HttpContext http, string id) => SessionPage.Render(http, id)).ExcludeFromDescription();
        app.MapGet("/journey", (HttpContext http) => JourneyPages.List(http)).ExcludeFromDescription();
        app.MapGet("/journey/{id}", (HttpContext http, string id) => JourneyPages.Show(http, id)).ExcludeFromDescription();
        Zones.DnsPages.Map(app); // /dns, /dns/{origin} and the zone editor's form post
        app.MapGet("/mailboxes", (Func<HttpContext, Task<IResult>>)Mailboxes.MailboxPages.List).ExcludeFromDescription();
        app.MapGet("/mailboxes/{address}", (HttpContext http, string address) => Mailboxes.MailboxPages.Show(http, address)).ExcludeFromDescription();
        app.MapGet("/mailboxes/{address}/messages/{folder}/{uid}", (HttpContext http, string address, string folder, string uid) =>
            Mailboxes.MailboxPages.Message(http, address, folder, uid)).ExcludeFromDescription();
        app.MapGet("/reports", (Func<HttpContext, Task<IResult>>)ReportsPage.Render).ExcludeFromDescription();
        app.MapGet("/reports/failures/{id}", ReportsPage.Failure).ExcludeFromDescription();
        app.MapGet("/exercises", (HttpContext http) => ExercisePages.List(http)).ExcludeFromDescription();
        app.MapGet("/exercises/{id}", (HttpContext http, string id) => ExercisePages.Show(http, id)).ExcludeFromDescription();
        app.MapGet("/exercises/{id}/evidence", (HttpContext http, string id) => ExercisePages.Evidence(http, id)).ExcludeFromDescription();
        foreach (var page in Nav.Where(p => !p.Ready))
        {
            app.MapGet(page.Path, (HttpContext http) => Html(http, page.Title,
                $"<p class=\"notice\">The {Enc(page.Title)} page is not built yet (issue 17). Its data will come from the same <a href=\"{DashboardApi.OpenApiPath}\">API</a>.</p>")).ExcludeFromDescription();
        }
    }

    /// <summary>Headers on every answer: scripts and styles from this origin only, no framing, no sniffing.</summary>
    public static void SecurityHeaders(HttpResponse response)
    {
        var h = response.Headers;
        h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>HTML-encodes text for an element or a quoted attribute.</summary>
    public static string Enc(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>A page in the layout, with <paramref name="body"/> (already HTML) in its main element.</summary>
    public static IResult Html(HttpContext http, string title, string body, int status = StatusCodes.Status200OK, string? script = null, bool heading = true)
    {
        var context = DashboardContext.Of(http);
        var viewer = context.Viewer(http);
        var page = new StringBuilder();
        page.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Enc(title)).Append(" · MailLab</title>")
            .Append("<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/dashboard.css\">")
            .Append("<script src=\"/assets/dashboard.js\" defer></script>");
        if (script is not null) page.Append("<script src=\"/assets/").Append(script).Append("\" defer></script>");
        page.Append("</head><body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"top\"><span class=\"brand\">MailLab · ")
            .Append(Enc(context.Lab.Definition.Name)).Append("</span>\n<nav aria-label=\"Dashboard\"><ul>");
        string path = http.Request.Path.Value ?? "/";
        foreach (var p in Nav)
        {
            bool current = p.Path == "/" ? path == "/" : path.StartsWith(p.Path, StringComparison.Ordinal);
            page.Append("<li><a href=\"").Append(p.Path).Append('"').Append(current ? " aria-current=\"page\"" : "").Append('>')
                .Append(Enc(p.Title)).Append(p.Ready ? "" : " <span class=\"soon\">(coming)</span>").Append("</a></li>");
        }
        page.Append("</ul></nav>\n<div class=\"who\"><span id=\"viewer\">").Append(Enc(viewer.Name)).Append("</span>");
        if (viewer.Role is DashboardRole.Student or DashboardRole.Instructor)
        {
            page.Append("<form method=\"post\" action=\"/signout\">").Append(AntiforgeryField(http)).Append("<button type=\"submit\">Sign out</button></form>");
        }
        page.Append("<button type=\"button\" id=\"projector\" aria-pressed=\"false\" hidden>Projector mode</button></div></header>\n")
            .Append("<main id=\"main\" tabindex=\"-1\">").Append(heading ? $"<h1>{Enc(title)}</h1>\n" : "").Append(body).Append("</main>\n</body></html>\n");
        return Results.Content(page.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>The hidden antiforgery field for a form (and its cookie).</summary>
    public static string AntiforgeryField(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{Enc(tokens.FormFieldName)}\" value=\"{Enc(tokens.RequestToken)}\">";
    }

    /// <summary>"✓ word" or "✗ word": a result never carried by colour alone.</summary>
    public static string Mark(bool ok, string word) =>
        $"<span class=\"{(ok ? "ok" : "bad")}\"><span aria-hidden=\"true\">{(ok ? "✓" : "✗")}</span> {Enc(word)}</span>";

    private static IResult Asset(string name)
    {
        if (!Assets.TryGetValue(name, out var type)) return Results.NotFound();
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MailLab.Dashboard." + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, type);
    }
}
