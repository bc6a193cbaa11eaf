using System.Net;
using MailLab.Server.Lab;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The server-rendered pages (they work without JavaScript), the assets and the lab file's <c>dashboard:</c> key.</summary>
public sealed class DashboardPageTests
{
    [Fact]
    public async Task Pages_render_without_javascript_with_the_layout_and_security_headers()
    {
        await using var lab = DashboardKit.Lab();
        using var http = Client(lab);
        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "pages");

        var home = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("script-src 'self'", home.Headers.GetValues("Content-Security-Policy").Single());
        string html = await home.Content.ReadAsStringAsync();
        Assert.Contains("<a href=\"/\" aria-current=\"page\">Lab</a>", html);
        Assert.Contains("<a href=\"/journey\">Journey</a>", html);
        Assert.Contains("mx.bank.test", html);
        Assert.Contains($"127.0.1.1:{lab.Runtime!.EndPoint("uc", "MSA", "starttls").Port}", html);
        Assert.Contains("✓</span> listening", html);

        html = await http.GetStringAsync("/trace?site=uc&q=AUTH");
        Assert.Contains("<form id=\"filters\"", html);
        Assert.Contains($"<a href=\"/sessions/{session}\">{session}</a>", html);
        Assert.Contains("/assets/trace.js", html);
        var bad = await http.GetAsync("/trace?kind=Nothing");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("unknown kind", await bad.Content.ReadAsStringAsync());

        html = await http.GetStringAsync("/sessions/" + session);
        Assert.Contains("id=\"tls-boundary\"", html);
        Assert.True(html.IndexOf("STARTTLS", StringComparison.Ordinal) < html.IndexOf("tls-boundary", StringComparison.Ordinal));
        Assert.True(html.IndexOf("tls-boundary", StringComparison.Ordinal) < html.IndexOf("AUTH PLAIN", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/sessions/C999999")).StatusCode);
        // The journey pages in the layout: the list links the message alice sent, its page shows the journey.
        html = await http.GetStringAsync("/journey");
        var id = System.Text.RegularExpressions.Regex.Match(html, "href=\"/journey/([0-9B-Z]{12})\"").Groups[1].Value;
        Assert.NotEmpty(id);
        html = await http.GetStringAsync("/journey/" + id);
        Assert.Contains("Journey of message " + id, html);
        Assert.Contains("<nav aria-label=\"Dashboard\">", html);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/journey/8HYQ0H8VG4FG")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/journey/nope")).StatusCode);

        var js = await http.GetAsync("/assets/trace.js");
        Assert.Equal("text/javascript", js.Content.Headers.ContentType!.MediaType);
        Assert.Contains("EventSource", await js.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/assets/..%2Fsecret")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/assets/none.js")).StatusCode);
    }

    [Fact]
    public void The_dashboard_key_is_checked()
    {
        var def = LabDefinitionLoader.Parse(TestLab.LabYaml() + "\ndashboard: { address: 127.0.9.2, port: 0, instructor-password: pw, require-sign-in: true }\n", "d.yml");
        Assert.Equal(("127.0.9.2", 0, "pw", true), (def.Dashboard.AddressFor(def.Web), def.Dashboard.PortFor(def.Web), def.Dashboard.InstructorPassword, def.Dashboard.RequireSignIn));
        // Without the key: the web service's address, and port 0 when the web's is 0 (a test lab); 8025 otherwise.
        var plain = LabDefinitionLoader.Parse(TestLab.LabYaml(), "t.yml");
        Assert.Equal(("127.0.9.1", 0), (plain.Dashboard.AddressFor(plain.Web), plain.Dashboard.PortFor(plain.Web)));
        Assert.Equal(8025, LabDefinitionLoader.LoadDefault().Dashboard.PortFor(LabDefinitionLoader.LoadDefault().Web));

        foreach (var (section, message) in new[]
        {
            ("dashboard: { port: 70000 }", "out of range"),
            ("dashboard: { instructor-password: '' }", "instructor-password"),
            ("dashboard: { colour: red }", "colour"),
            ("dashboard: { address: nowhere }", "not an IP address"),
            ("dashboard: { require-sign-in: maybe }", "require-sign-in"),
        })
        {
            var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(TestLab.LabYaml() + "\n" + section + "\n", "bad.yml"));
            Assert.Contains(message, e.Message);
        }
    }

    [Fact]
    public async Task The_open_dashboard_refuses_a_host_name_that_could_be_a_rebinding_page()
    {
        await using var lab = DashboardKit.Lab();
        using var http = DashboardKit.Client(lab);
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/lab");
        rebound.Headers.Host = "attacker.example";
        var refused = await http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
        Assert.Contains("attacker.example", await refused.Content.ReadAsStringAsync());
        var local = new HttpRequestMessage(HttpMethod.Get, "/api/lab");
        local.Headers.Host = "localhost:" + new Uri(lab.Runtime!.Dashboard!.Url).Port;
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(local)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/lab")).StatusCode); // by address, as the banner prints it
        Assert.True(MailLab.Server.Dashboard.DashboardServer.IsLocalHost("[::1]"));
    }
}
