using System.Net;
using System.Text.Json;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// An event stream's <c>rate=</c>: at most that many events a second, the rest named in <c>gap</c> frames that the
/// history can fill; and a student's stream, whose scope grows batch by batch (<see cref="StudentScope.Tracker"/>).
/// </summary>
public sealed class StreamRateTests : DashboardLabTest
{
    [Fact]
    public async Task A_stream_with_a_rate_sends_a_seconds_worth_and_names_every_other_event_in_a_gap_the_history_fills()
    {
        const string session = "R7";
        using var capped = await SseReader.Open(http, $"/api/trace/stream?session={session}&rate=10");
        using var whole = await SseReader.Open(http, $"/api/trace/stream?session={session}");
        var trace = lab.Runtime!.Tracer.For("uc", TraceRole.MTA, session);
        var ours = Enumerable.Range(1, 100).Select(i => trace.Emit(TraceKind.SessionOpened, "flood " + i).Sequence).ToList();

        var sent = new List<long>();
        var gaps = new List<(long From, long To, int Skipped)>();
        while (sent.Count + gaps.Sum(g => g.Skipped) < ours.Count)
        {
            var m = await capped.Next(m => m.Event is "trace" or "gap");
            using var json = JsonDocument.Parse(m.Data);
            if (m.Event == "trace")
            {
                sent.Add(json.RootElement.GetProperty("seq").GetInt64());
                continue;
            }
            var g = (json.RootElement.GetProperty("from").GetInt64(), json.RootElement.GetProperty("to").GetInt64(), json.RootElement.GetProperty("skipped").GetInt32());
            Assert.Equal(g.Item2.ToString(), m.Id); // a reconnect resumes after the gap
            gaps.Add(g);
        }
        // A full bucket of 10, then (at most) what a second refills while the flood is read: far fewer than 100.
        Assert.Equal(ours.Take(10), sent.Take(10));
        Assert.InRange(sent.Count, 10, 50);
        Assert.NotEmpty(gaps);
        // Every event is either sent or inside exactly one gap, which counts exactly the events it stands for.
        var inGaps = gaps.SelectMany(g => ours.Where(s => s >= g.From && s <= g.To)).ToList();
        Assert.Equal(gaps.Sum(g => g.Skipped), inGaps.Count);
        Assert.Equal(ours, sent.Concat(inGaps).Order());

        // What the page's "Show" button asks for: the history from the gap's start, as many as it skipped.
        var first = gaps[0];
        var (status, page) = await Json(http, $"/api/trace?session={session}&view=row&after={first.From - 1}&limit={first.Skipped}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ours.Where(s => s >= first.From && s <= first.To), page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));

        // A stream without a rate (an API script) gets all of them.
        var all = new List<long>();
        while (all.Count < ours.Count) all.Add(long.Parse((await whole.Next(m => m.Event == "trace")).Id!));
        Assert.Equal(ours, all);
    }

    [Theory]
    [InlineData("/api/trace/stream?rate=0", "rate must be 1 to 100000")]
    [InlineData("/api/trace/stream?rate=100001", "rate must be 1 to 100000")]
    [InlineData("/api/trace/stream?rate=ten", "rate must be 1 to 100000")]
    [InlineData("/api/trace?rate=10", "rate is for the stream")]
    public async Task A_bad_rate_is_a_400_with_the_reason(string path, string reason)
    {
        var (status, json) = await Json(http, path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_page_asks_for_its_rate_and_its_JSON_link_leaves_the_rate_out()
    {
        string page = await http.GetStringAsync("/trace");
        Assert.Contains("data-rate=\"500\"", page);
        page = await http.GetStringAsync("/trace?rate=5&site=uc");
        Assert.Contains("data-rate=\"5\"", page);
        Assert.Contains("<input type=\"hidden\" name=\"rate\" value=\"5\">", page);
        Assert.Contains("href=\"/api/trace?site=uc\"", page);
        var bad = await http.GetAsync("/trace?rate=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("rate must be 1 to", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_students_scope_grown_one_event_at_a_time_follows_her_message_to_the_other_site()
    {
        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "bob@bank.test", "scope grows");
        var received = await lab.WaitForEvent(e => e.Site == "bank" && e.Kind == TraceKind.LocalDelivery, 20_000);
        var events = RecordedEvent.Number(lab.Runtime!.Tracer.Stream.Query());
        var whole = StudentScope.Filter(events, "alice@uc.test").Select(r => r.Event.Sequence).ToHashSet();

        // Fed one event at a time, as a stream under no load reads them: an event of hers is admitted when it arrives,
        // and a session that joins later brings its earlier events (the stream sends them from the ring).
        var tracker = new StudentScope.Tracker("alice@uc.test");
        var admitted = new HashSet<long>();
        foreach (var e in events)
        {
            foreach (var key in tracker.Grow([e]))
            {
                admitted.UnionWith(events.Where(x => x.SessionKey == key && x.Event.Sequence < e.Event.Sequence).Select(x => x.Event.Sequence));
            }
            if (tracker.Contains(e)) admitted.Add(e.Event.Sequence);
        }
        Assert.Equal(whole.Order(), admitted.Order());
        Assert.Contains(received.Sequence, admitted);
        Assert.Contains(events, e => admitted.Contains(e.Event.Sequence) && e.Event.Role == TraceRole.QUEUE);
        Assert.Contains(events, e => admitted.Contains(e.Event.Sequence) && e.Event.Site == "bank" && e.Event.Kind == TraceKind.SpfResult);
    }

    [Fact]
    public async Task A_students_stream_sends_the_receiving_sites_SPF_steps_that_came_before_her_message_joined_it()
    {
        using var stream = await SseReader.Open(http, "/api/trace/stream?student=alice@uc.test&view=row");
        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "bob@bank.test", "late joiner");
        var got = new List<JsonElement>();
        while (!got.Any(e => e.GetProperty("site").GetString() == "bank" && e.GetProperty("kind").GetString() == "LocalDelivery"))
        {
            got.Add(JsonDocument.Parse((await stream.Next(m => m.Event == "trace", 30_000)).Data).RootElement.Clone());
        }
        var bank = got.Where(e => e.GetProperty("site").GetString() == "bank" && e.GetProperty("role").GetString() == "MTA").ToList();
        Assert.Contains(bank, e => e.GetProperty("kind").GetString() == "SpfResult" && e.GetProperty("text").GetString()!.Contains("alice@uc.test"));
        Assert.Contains(bank, e => e.GetProperty("kind").GetString() == "SessionOpened");
        Assert.Contains(got, e => e.TryGetProperty("session", out var s) && s.GetString() == session && e.GetProperty("kind").GetString() == "AuthSucceeded");
        Assert.Equal(got.Count, got.Select(e => e.GetProperty("seq").GetInt64()).Distinct().Count()); // each once
    }
}
