using System.Net;
using System.Text.Json;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The dashboard's JSON API over real HTTP against a running lab (open, loopback access).</summary>
public sealed class DashboardApiTests : DashboardLabTest
{
    [Fact]
    public async Task Listens_on_the_web_address_and_is_named_in_listeners_json_and_the_trace()
    {
        var dashboard = lab.Runtime!.Dashboard!;
        Assert.NotEqual(0, dashboard.Info.Port);
        Assert.False(dashboard.SignInRequired);
        var listeners = JsonSerializer.Deserialize<List<ListenerInfo>>(File.ReadAllText(lab.Runtime.ListenersFile))!;
        var entry = Assert.Single(listeners, l => l.Role == "DASHBOARD");
        Assert.Equal(("lab", lab.Runtime.Web!.Info.Address, dashboard.Info.Port), (entry.Site, entry.Address, entry.Port));
        Assert.Contains(lab.Events(TraceKind.ListenerStarted), e => e.Text.StartsWith("DASHBOARD listening on " + dashboard.Url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lab_lists_sites_listeners_switches_zones_and_users_but_never_a_password()
    {
        var r = await http.GetAsync("/api/lab");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        string body = await r.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("test", json.GetProperty("name").GetString());
        var uc = json.GetProperty("sites").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "uc");
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        Assert.Contains(uc.GetProperty("listeners").EnumerateArray(), l => l.GetProperty("role").GetString() == "MSA"
            && l.GetProperty("port").GetInt32() == msa.Port && l.GetProperty("tls").GetString() == "starttls" && l.GetProperty("address").GetString() == "127.0.1.1");
        Assert.Equal(["alice@uc.test"], uc.GetProperty("users").EnumerateArray().Select(u => u.GetString()));
        Assert.All(uc.GetProperty("listeners").EnumerateArray(), l => Assert.Equal("listening", l.GetProperty("status").GetString()));
        Assert.All(uc.GetProperty("listeners").EnumerateArray(), l => Assert.True(l.GetProperty("sessions").GetInt32() >= 0));
        Assert.Contains(json.GetProperty("services").EnumerateArray(), l => l.GetProperty("role").GetString() == "DASHBOARD");
        Assert.Contains(json.GetProperty("services").EnumerateArray(), l => l.GetProperty("role").GetString() == "DNS" && l.GetProperty("status").GetString() == "listening");
        Assert.Contains(json.GetProperty("zones").EnumerateArray(), z => z.GetProperty("origin").GetString() == "bank.test");
        Assert.Contains("dmarc-monitor-only", json.GetProperty("switchesOn").EnumerateArray().Select(s => s.GetString()));
        Assert.DoesNotContain("lab-alice", body);
        Assert.DoesNotContain("password", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Trace_filters_by_site_kind_session_and_text_and_pages_with_after_and_limit()
    {
        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "watched");
        var (status, json) = await Json(http, "/api/trace?site=uc&kind=authsucceeded");
        Assert.Equal(HttpStatusCode.OK, status);
        var events = json.GetProperty("events").EnumerateArray().ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(("uc", "AuthSucceeded"), (e.GetProperty("site").GetString(), e.GetProperty("kind").GetString())));

        (_, json) = await Json(http, $"/api/trace?session={session}&limit=10000");
        var mine = json.GetProperty("events").EnumerateArray().ToList();
        Assert.All(mine, e => Assert.Equal(session, e.GetProperty("session").GetString()));
        Assert.Equal(lab.Events(session: session).Count, mine.Count);

        (_, json) = await Json(http, "/api/trace?q=STARTTLS&role=MSA");
        Assert.All(json.GetProperty("events").EnumerateArray(), e => Assert.Contains("starttls", e.GetProperty("text").GetString()!, StringComparison.OrdinalIgnoreCase));

        // The newest 3; then forward from an older one, 2 at a time, in order, with `more` and `last` to go on.
        (_, json) = await Json(http, "/api/trace?limit=3");
        var newest = json.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(3, newest.Count);
        Assert.True(json.GetProperty("more").GetBoolean());
        Assert.Equal(newest[^1], json.GetProperty("last").GetInt64());
        (_, json) = await Json(http, "/api/trace?after=5&limit=2");
        Assert.Equal([6L, 7L], json.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(7, json.GetProperty("last").GetInt64());

        // view=row: the live list's columns, a reply's code, and no fields; the same events as the whole view.
        (_, json) = await Json(http, $"/api/trace?session={session}&kind=ReplySent&limit=10000&view=row");
        var rows = json.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(lab.Events(MailLab.Server.Trace.TraceKind.ReplySent, session).Count, rows.Count);
        Assert.All(rows, r => Assert.False(r.TryGetProperty("fields", out _)));
        Assert.Contains(rows, r => r.GetProperty("code").GetInt32() == 235); // the AUTH success
        Assert.Contains(rows, r => r.GetProperty("code").GetInt32() == 221); // QUIT
    }

    [Theory]
    [InlineData("nope=1", "unknown parameter")]
    [InlineData("site=nowhere", "unknown site")]
    [InlineData("role=BOSS", "unknown role")]
    [InlineData("kind=3", "unknown kind")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=10001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("after=-1", "after")]
    [InlineData("session=C1%20C2", "session")]
    [InlineData("message=%01", "message")]
    [InlineData("student=nobody", "student")]
    [InlineData("site=uc&site=bank", "more than once")]
    [InlineData("view=compact", "view must be")]
    public async Task Bad_trace_filters_are_400_with_the_reason(string query, string reason)
    {
        foreach (var path in new[] { "/api/trace?", "/api/trace/stream?" })
        {
            var (status, json) = await Json(http, path + query);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains(reason, json.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        var (s, j) = await Json(http, "/api/trace?q=" + new string('x', 201));
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.Contains("q must be at most 200", j.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Stream_sends_live_events_and_resumes_after_Last_Event_ID()
    {
        using var stream = await SseReader.Open(http, "/api/trace/stream?kind=AuthSucceeded");
        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "live");
        var live = await stream.Next(e => e.Data.Contains(session));
        Assert.Equal("trace", live.Event);
        using var json = JsonDocument.Parse(live.Data);
        Assert.Equal("AuthSucceeded", json.RootElement.GetProperty("kind").GetString());
        Assert.Equal(json.RootElement.GetProperty("seq").GetInt64().ToString(), live.Id);

        // A reconnect with Last-Event-ID replays what followed that event, before anything live.
        long from = long.Parse(live.Id!) - 10;
        using var again = await SseReader.Open(http, "/api/trace/stream?after=0", lastEventId: from.ToString());
        var first = await again.Next(_ => true);
        Assert.Equal(from + 1, long.Parse(first.Id!));
    }

    [Fact]
    public async Task Stream_clients_are_capped_and_the_next_one_gets_503()
    {
        var open = new List<SseReader>();
        try
        {
            for (int i = 0; i < MailLab.Server.Dashboard.DashboardContext.MaxStreams; i++) open.Add(await SseReader.Open(http, "/api/trace/stream"));
            var refused = await http.GetAsync("/api/trace/stream");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("too many event streams", await refused.Content.ReadAsStringAsync());
            open[0].Dispose();
            open.RemoveAt(0);
            // The slot comes back once the server notices the client left.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            HttpStatusCode got;
            while ((got = (await http.GetAsync("/api/trace/stream", HttpCompletionOption.ResponseHeadersRead)).StatusCode) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Assert.Equal(HttpStatusCode.OK, got);
        }
        finally
        {
            foreach (var s in open) s.Dispose();
        }
    }

    [Fact]
    public async Task Session_is_a_transcript_with_the_TLS_boundary_and_AUTH_redacted()
    {
        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "transcript");
        var (status, json) = await Json(http, "/api/sessions/" + session);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("uc", "MSA", true), (json.GetProperty("site").GetString(), json.GetProperty("role").GetString(), json.GetProperty("complete").GetBoolean()));
        long tlsAt = json.GetProperty("tlsAt").GetInt64();
        var lines = json.GetProperty("lines").EnumerateArray().ToList();
        var starttls = lines.Single(l => l.GetProperty("dir").GetString() == "C" && l.GetProperty("text").GetString() == "STARTTLS");
        Assert.False(starttls.GetProperty("encrypted").GetBoolean());
        Assert.True(starttls.GetProperty("seq").GetInt64() < tlsAt);
        var auth = lines.Single(l => l.GetProperty("dir").GetString() == "C" && l.GetProperty("text").GetString()!.StartsWith("AUTH PLAIN", StringComparison.Ordinal));
        Assert.True(auth.GetProperty("encrypted").GetBoolean());
        Assert.Contains("redacted", auth.GetProperty("text").GetString());
        string all = json.GetRawText();
        Assert.DoesNotContain("lab-alice", all);
        Assert.DoesNotContain(Convert.ToBase64String("\0alice@uc.test\0lab-alice"u8.ToArray()), all);
        Assert.Contains(lines, l => l.GetProperty("dir").GetString() == "S" && l.GetProperty("text").GetString()!.StartsWith("235", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/sessions/C999999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/sessions/" + Uri.EscapeDataString("C1 or 1=1"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/sessions/" + new string('C', 65))).StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_api_route()
    {
        var (status, json) = await Json(http, "/api/openapi.json");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("3.", json.GetProperty("openapi").GetString());
        var paths = json.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Equal(["/api/dns/queries", "/api/exercises", "/api/exercises/{id}/evidence", "/api/exercises/{id}/grid",
            "/api/exercises/{id}/progress", "/api/lab", "/api/mailboxes", "/api/mailboxes/{address}", "/api/mailboxes/{address}/messages",
            "/api/mailboxes/{address}/messages/{folder}/{uid}", "/api/mailboxes/{address}/messages/{folder}/{uid}/raw", "/api/messages",
            "/api/messages/{id}/journey", "/api/reports/dmarc", "/api/reports/dmarc/series", "/api/reports/failures", "/api/reports/failures/{id}",
            "/api/reports/tls", "/api/sessions/{id}", "/api/trace", "/api/trace/stream", "/api/zones", "/api/zones/{origin}",
            "/api/zones/{origin}/check"], paths.Order(StringComparer.Ordinal));
        var trace = json.GetProperty("paths").GetProperty("/api/trace").GetProperty("get").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString());
        Assert.Equal(["after", "kind", "limit", "message", "q", "role", "session", "site", "student", "view"], trace.Order());
        // Each route it lists answers (none is a 404 of a route that does not exist).
        foreach (var path in paths.Where(p => json.GetProperty("paths").GetProperty(p).TryGetProperty("get", out _)))
        {
            // A well-formed id nothing has: 404 from the route, not from routing.
            var r = await http.GetAsync(path.Replace("{id}", path.Contains("messages") ? "8HYQ0H8VG4FG" : path.Contains("failures") ? "nobody@uc.test:1" : "C999999").Replace("{origin}", "nowhere.test")
                .Replace("{address}", "alice@uc.test").Replace("{folder}", "INBOX").Replace("{uid}", "999999"), HttpCompletionOption.ResponseHeadersRead);
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound && (r.StatusCode == HttpStatusCode.OK || path.Contains('{')), $"{path}: {r.StatusCode}");
            r.Dispose();
        }
    }

    [Fact]
    public async Task The_READMEs_curl_line_reads_the_trace()
    {
        // README "Dashboard": curl -s http://127.0.9.1:8025/api/trace?kind=AuthFailed (here on the test lab's port).
        var tool = await Interop.ExternalTool.Run("curl", ["-s", lab.Runtime!.Dashboard!.Url + "/api/trace?kind=AuthFailed"]);
        Assert.Equal(0, tool.Code);
        var json = JsonDocument.Parse(tool.Out).RootElement;
        Assert.Equal(JsonValueKind.Array, json.GetProperty("events").ValueKind);
        Assert.Contains("curl -s http://127.0.9.1:8025/api/trace?kind=AuthFailed", File.ReadAllText(Repository.File("README.md")));
    }
}
