using System.Net;
using MailLab.Server.Lab;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The dashboard over HTTPS (<c>tls:</c>): on by default beyond loopback, where sign-in passwords cross a network;
/// a certificate from the lab CA for its address, and a sign-in cookie marked Secure.
/// </summary>
public sealed class DashboardTlsTests
{
    [Fact]
    public void Tls_is_auto_by_default_and_the_key_is_checked()
    {
        var plain = LabDefinitionLoader.Parse(TestLab.LabYaml(), "t.yml");
        Assert.Equal(DashboardTls.Auto, plain.Dashboard.Tls);
        Assert.False(plain.Dashboard.UsesTls("127.0.9.1"));
        Assert.False(plain.Dashboard.UsesTls("::1"));
        Assert.True(plain.Dashboard.UsesTls("10.127.9.1")); // the classroom's dns container
        Assert.True(plain.Dashboard.UsesTls("0.0.0.0"));
        var on = LabDefinitionLoader.Parse(TestLab.LabYaml() + "\ndashboard: { tls: on }\n", "on.yml");
        Assert.True(on.Dashboard.UsesTls("127.0.9.1"));
        var off = LabDefinitionLoader.Parse(TestLab.LabYaml() + "\ndashboard: { tls: off }\n", "off.yml");
        Assert.False(off.Dashboard.UsesTls("192.0.2.1"));
        foreach (var bad in new[] { "maybe", "ON", "" })
        {
            var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(TestLab.LabYaml() + $"\ndashboard: {{ tls: '{bad}' }}\n", "bad.yml"));
            Assert.Contains("tls", e.Message);
        }
    }

    [Fact]
    public async Task With_tls_on_the_dashboard_speaks_https_with_a_lab_CA_certificate_and_a_secure_cookie()
    {
        await using var lab = TestLab.FromYaml(TestLab.LabYaml() + "\ndashboard:\n  tls: on\n  require-sign-in: true\n  instructor-password: teach-the-class\n").Start();
        var dashboard = lab.Runtime!.Dashboard!;
        Assert.StartsWith("https://127.0.9.1:", dashboard.Url);
        Assert.Equal("implicit", dashboard.Info.Tls);
        using var http = new HttpClient(new HttpClientHandler
        {
            CookieContainer = new CookieContainer(), AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, cert, chain, errors) => TestPki.Validate(new object(), cert, chain, errors),
        }) { BaseAddress = new Uri(dashboard.Url), Timeout = TimeSpan.FromSeconds(20) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/lab")).StatusCode);
        var signedIn = await DashboardKit.SignIn(http, "instructor", DashboardKit.InstructorPassword);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith(Server.Dashboard.DashboardAccess.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/lab")).StatusCode);

        // Plain HTTP to the same port gets no page: the TLS listener never answers in clear.
        using var clear = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => clear.GetAsync(dashboard.Url.Replace("https://", "http://") + "/signin"));
    }
}
