using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Dashboard;

/// <summary>A test lab with its dashboard, HTTP clients that keep cookies, sign-in and a MailKit submission.</summary>
public static partial class DashboardKit
{
    /// <summary>The classroom's access model on loopback: sign-in required, an instructor password.</summary>
    public const string SignInSection = "\ndashboard:\n  require-sign-in: true\n  instructor-password: teach-the-class\n";

    public const string InstructorPassword = "teach-the-class";

    /// <summary>A started lab; <paramref name="signIn"/> turns on the classroom access model.</summary>
    public static TestLab Lab(bool signIn = false) => TestLab.FromYaml(TestLab.LabYaml() + (signIn ? SignInSection : "")).Start();

    /// <summary>
    /// A client of the lab's dashboard that keeps cookies and does not follow redirects (tests look at them). A request
    /// with <c>Expect: 100-continue</c> (<see cref="Oversized"/>) waits for the server's word before sending its body.
    /// </summary>
    public static HttpClient Client(TestLab lab) =>
        new(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true, Expect100ContinueTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = new Uri(lab.Runtime!.Dashboard!.Url),
            Timeout = TimeSpan.FromSeconds(30),
        };

    [GeneratedRegex("name=\"__antiforgery\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    /// <summary>The antiforgery token of the sign-in form (its cookie stays in the client).</summary>
    public static async Task<string> FormToken(HttpClient http)
    {
        var page = await http.GetStringAsync("/signin");
        return WebUtility.HtmlDecode(Token().Match(page).Groups[1].Value);
    }

    /// <summary>Posts the sign-in form as a browser would.</summary>
    public static async Task<HttpResponseMessage> SignIn(HttpClient http, string user, string password, string back = "/")
    {
        string token = await FormToken(http);
        return await http.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__antiforgery"] = token, ["user"] = user, ["password"] = password, ["return"] = back,
        }));
    }

    /// <summary>
    /// Submits a message through a site's MSA (STARTTLS, AUTH PLAIN) and returns the session id it had; from 127.0.0.1,
    /// or from <paramref name="from"/> (another loopback address).
    /// </summary>
    public static async Task<string> Submit(TestLab lab, string site, string user, string password, string to, string subject, IPAddress? from = null)
    {
        var before = lab.Events(TraceKind.AuthSucceeded).Where(e => e.Field("User") == user).Select(e => e.Session).ToHashSet();
        var msa = lab.Runtime!.EndPoint(site, "MSA", "starttls");
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        if (from is not null) client.LocalEndPoint = new IPEndPoint(from, 0);
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, password);
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(user));
        m.To.Add(MailboxAddress.Parse(to));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = "Sent by MailKit to watch it on the dashboard." };
        await client.SendAsync(m);
        await client.DisconnectAsync(true);
        var auth = await lab.WaitForEvent(e => e.Kind == TraceKind.AuthSucceeded && e.Field("User") == user && !before.Contains(e.Session)
            && lab.Events(TraceKind.SessionClosed, e.Session).Count > 0);
        return auth.Session!;
    }

    /// <summary>
    /// Sends a request whose body is over a limit with <c>Expect: 100-continue</c>: Kestrel refuses it by its
    /// Content-Length (413) before asking for the body, so the answer is read whole; sent outright, the server's
    /// early close could break the client's pipe while it still writes (RFC 9110 §10.1.1).
    /// </summary>
    public static Task<HttpResponseMessage> Oversized(HttpClient http, HttpRequestMessage request)
    {
        request.Headers.ExpectContinue = true;
        return http.SendAsync(request);
    }

    /// <summary>GETs a JSON document.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Json)> Json(HttpClient http, string path)
    {
        var r = await http.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
    }
}
