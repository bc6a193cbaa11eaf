using System.Net;
using System.Text.Json;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The classroom access model (<c>require-sign-in: true</c>, as when bound beyond loopback): students see their
/// own sessions and events only, the instructor everything; cookie and antiforgery rules.
/// </summary>
public sealed class DashboardAccessTests : IAsyncLifetime
{
    private TestLab lab = null!;
    private string aliceSession = null!;
    private string bobSession = null!;

    public async Task InitializeAsync()
    {
        lab = DashboardKit.Lab(signIn: true);
        aliceSession = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "alice's own");
        bobSession = await Submit(lab, "bank", "bob@bank.test", "lab-bob", "bob@bank.test", "bob's own");
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    [Fact]
    public async Task Without_a_sign_in_the_api_is_401_and_pages_send_to_the_sign_in_form()
    {
        Assert.True(lab.Runtime!.Dashboard!.SignInRequired);
        using var http = Client(lab);
        foreach (var path in new[] { "/api/lab", "/api/trace", "/api/trace/stream", "/api/sessions/" + aliceSession, "/api/openapi.json" })
        {
            var (status, json) = await Json(http, path);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Contains("sign in", json.GetProperty("error").GetString());
        }
        var page = await http.GetAsync("/trace?site=uc");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/signin?return=" + Uri.EscapeDataString("/trace?site=uc"), page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/signin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/assets/dashboard.css")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_a_missing_antiforgery_token_and_an_oversized_field_are_refused()
    {
        using var http = Client(lab);
        var wrong = await SignIn(http, "alice@uc.test", "lab-bob");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("Wrong lab address or password", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/lab")).StatusCode);
        var noInstructor = await SignIn(http, "instructor", "lab-alice");
        Assert.Equal(HttpStatusCode.Unauthorized, noInstructor.StatusCode);
        // Both refusals are in the trace, by the name typed and the address they came from, never with the password.
        var refusals = lab.Events(TraceKind.DashboardSignIn);
        Assert.Equal([("alice@uc.test", "refused", null, "127.0.0.1"), ("instructor", "refused", null, "127.0.0.1")],
            refusals.Select(e => (e.Field("User"), e.Field("Result"), e.Field("As"), e.Field("Remote"))));
        Assert.All(refusals, e => Assert.DoesNotContain("lab-", e.Text + string.Join(" ", e.Fields.Values)));
        Assert.All(refusals, e => Assert.Equal((TraceRole.WEB, (string?)null), (e.Role, e.Origin)));

        using var fresh = Client(lab);
        var forged = await fresh.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["user"] = "alice@uc.test", ["password"] = "lab-alice" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.GetAsync("/api/lab")).StatusCode);

        var huge = await SignIn(fresh, new string('a', 400) + "@uc.test", "x");
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        // A body past the 16 KiB limit never reaches the form reader.
        var big = await fresh.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["user"] = new string('a', 20_000) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
    }

    [Fact]
    public async Task A_student_sees_only_their_own_sessions_and_events()
    {
        using var http = Client(lab);
        var signedIn = await SignIn(http, "Alice@UC.test", "lab-alice", back: "/trace");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/trace", signedIn.Headers.Location!.OriginalString);
        string cookie = string.Join("\n", signedIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("maillab-dashboard=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var signIn = Assert.Single(lab.Events(TraceKind.DashboardSignIn));
        Assert.Equal(("alice@uc.test", "signed in", "student"), (signIn.Field("User"), signIn.Field("Result"), signIn.Field("As")));

        var (status, json) = await Json(http, "/api/trace?limit=10000");
        Assert.Equal(HttpStatusCode.OK, status);
        var sessions = json.GetProperty("events").EnumerateArray().Select(e => e.TryGetProperty("session", out var s) ? s.GetString() : null).ToHashSet();
        Assert.Contains(aliceSession, sessions);
        Assert.DoesNotContain(bobSession, sessions);
        Assert.DoesNotContain("bob@bank.test", json.GetRawText());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/sessions/" + aliceSession)).StatusCode);
        // Another student's session does not exist for her, and asking for his events is forbidden.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/sessions/" + bobSession)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/sessions/" + bobSession)).StatusCode);
        (status, json) = await Json(http, "/api/trace?student=bob@bank.test");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/api/trace/stream?student=bob@bank.test")).StatusCode);
        (_, json) = await Json(http, "/api/lab");
        Assert.Equal("alice@uc.test", json.GetProperty("viewer").GetString());
        Assert.Empty(json.GetProperty("sites").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "bank").GetProperty("users").EnumerateArray());

        // The journey API shows her messages only.
        (status, json) = await Json(http, "/api/messages");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEmpty(json.EnumerateArray());
        Assert.All(json.EnumerateArray(), m => Assert.Equal("alice@uc.test", m.GetProperty("mailFrom").GetString()));

        // Live: her next session arrives on her stream, bob's does not.
        using var stream = await SseReader.Open(http, "/api/trace/stream?kind=AuthSucceeded");
        string bobAgain = await Submit(lab, "bank", "bob@bank.test", "lab-bob", "bob@bank.test", "bob again");
        string aliceAgain = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "alice again");
        var seen = await stream.Next(m => m.Data.Contains("\"session\":\"" + aliceAgain + "\""));
        Assert.DoesNotContain(bobAgain, seen.Data);
    }

    [Fact]
    public async Task The_instructor_sees_every_student_and_signs_out()
    {
        using var http = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(http, "instructor", InstructorPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/sessions/" + bobSession)).StatusCode);
        var (status, json) = await Json(http, "/api/trace?student=bob@bank.test&limit=10000");
        Assert.Equal(HttpStatusCode.OK, status);
        var sessions = json.GetProperty("events").EnumerateArray().Where(e => e.TryGetProperty("session", out _)).Select(e => e.GetProperty("session").GetString()).ToHashSet();
        Assert.Contains(bobSession, sessions);
        Assert.DoesNotContain(aliceSession, sessions);
        (_, json) = await Json(http, "/api/lab");
        Assert.Equal("instructor", json.GetProperty("viewer").GetString());

        var page = await http.GetStringAsync("/");
        Assert.Contains("Sign out", page);
        string token = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page, "name=\"__antiforgery\" value=\"([^\"]+)\"").Groups[1].Value);
        var bye = await http.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__antiforgery"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, bye.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/lab")).StatusCode);
    }

    [Fact]
    public async Task One_student_holds_at_most_eight_event_streams_and_others_still_get_theirs()
    {
        using var alice = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(alice, "alice@uc.test", "lab-alice")).StatusCode);
        var open = new List<SseReader>();
        try
        {
            for (int i = 0; i < MailLab.Server.Dashboard.DashboardContext.MaxStreamsPerUser; i++) open.Add(await SseReader.Open(alice, "/api/trace/stream"));
            using var refused = await alice.GetAsync("/api/trace/stream");
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
            Assert.Contains("event streams open already", await refused.Content.ReadAsStringAsync());
            Assert.NotNull(refused.Headers.RetryAfter);

            // Another student, and the instructor, are not held back by alice's tabs.
            using var bob = Client(lab);
            Assert.Equal(HttpStatusCode.Redirect, (await SignIn(bob, "bob@bank.test", "lab-bob")).StatusCode);
            using (var bobs = await SseReader.Open(bob, "/api/trace/stream")) { }
            using var teacher = Client(lab);
            Assert.Equal(HttpStatusCode.Redirect, (await SignIn(teacher, "instructor", InstructorPassword)).StatusCode);
            using (var teachers = await SseReader.Open(teacher, "/api/trace/stream")) { }

            // Alice closes a tab: once the server notices, she may open one again.
            open[0].Dispose();
            open.RemoveAt(0);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                using var again = await alice.GetAsync("/api/trace/stream", HttpCompletionOption.ResponseHeadersRead);
                if (again.StatusCode == HttpStatusCode.OK) break;
                Assert.Equal((HttpStatusCode)429, again.StatusCode);
                Assert.True(DateTime.UtcNow < deadline, "alice's closed stream never gave its slot back");
                await Task.Delay(100);
            }
        }
        finally
        {
            foreach (var s in open) s.Dispose();
        }
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example")]
    public async Task The_return_address_after_sign_in_stays_on_the_dashboard(string back)
    {
        using var http = Client(lab);
        var r = await SignIn(http, "alice@uc.test", "lab-alice", back);
        Assert.Equal("/", r.Headers.Location!.OriginalString);
    }
}
