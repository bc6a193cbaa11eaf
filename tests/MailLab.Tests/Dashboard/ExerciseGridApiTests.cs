using System.Net;
using System.Text.Json;
using MailLab.Server.Dashboard;
using MailLab.Server.Exercises;
using MailLab.Server.Exercises.Demos;
using MailLab.Server.Lab;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The Exercises API of the dashboard over real HTTP: the catalogue, the instructor's grid before and after a
/// student runs exercise 1's demo, a student's own progress (and 403 for the grid and for others), evidence, bad input.
/// </summary>
public sealed class ExerciseGridApiTests
{
    /// <summary>The demo's workstation: not 127.0.0.1, so a row of its own in the grid.</summary>
    public const string Workstation = "127.0.0.41";

    private static readonly string[] Exercise1 = ["greeted-mta", "bad-sequence", "delivered-by-hand", "header-from-differs"];

    /// <summary>Runs exercise 1's demo (SMTP by hand to bank.test's MTA) from <see cref="Workstation"/> and waits until its message is stored.</summary>
    internal static async Task RunDemo1(TestLab lab)
    {
        var ctx = new DemoContext(lab.Definition, lab.DataDirectory, DemoContext.ReadListeners(lab.DataDirectory), IPAddress.Parse(Workstation), new StringWriter());
        await ExerciseDemos.Find(1)!.RunAsync(ctx, new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        var received = await lab.WaitForEvent(e => e.Kind == TraceKind.MessageReceived && e.Field("Client") == Workstation);
        await lab.WaitForEvent(e => e.Kind == TraceKind.LocalDelivery && e.Message == received.Message);
    }

    private static IEnumerable<JsonElement> Rows(JsonElement grid) => grid.GetProperty("students").EnumerateArray();

    private static JsonElement Row(JsonElement grid, string student) => Rows(grid).Single(r => r.GetProperty("student").GetString() == student);

    [Fact]
    public async Task The_catalogue_lists_every_exercise_with_its_objectives_and_demo()
    {
        await using var lab = DashboardKit.Lab();
        using var http = Client(lab);
        var (status, json) = await Json(http, "/api/exercises");
        Assert.Equal(HttpStatusCode.OK, status);
        var all = json.GetProperty("exercises").EnumerateArray().ToList();
        Assert.Equal(ExerciseCatalog.Load(ExerciseCatalog.Locate(null)).Exercises.Select(e => e.Number), all.Select(e => e.GetProperty("id").GetInt32()));
        var first = all.Single(e => e.GetProperty("id").GetInt32() == 1);
        Assert.Equal("SMTP by hand, and the envelope versus the header From", first.GetProperty("title").GetString());
        Assert.True(first.GetProperty("demo").GetBoolean());
        Assert.Equal(Exercise1, first.GetProperty("objectives").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal(2, first.GetProperty("objectives")[0].GetProperty("patterns").GetInt32());
        var third = all.Single(e => e.GetProperty("id").GetInt32() == 3);
        Assert.True(third.GetProperty("labSwitches").GetProperty("allow-plaintext-auth").GetBoolean());
        Assert.Empty(json.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task The_grid_turns_met_for_the_student_who_ran_the_demo_and_only_for_them()
    {
        await using var lab = DashboardKit.Lab();
        using var http = Client(lab);
        var (status, before) = await Json(http, "/api/exercises/1/grid");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Exercise1, before.GetProperty("objectives").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        // The lab's users are rows from the start; nothing is met yet, and the workstation has not connected.
        Assert.Equal(["alice@uc.test", "bob@bank.test", "ceo@bank.test", "postmaster@bank.test", "mallory@evil.test"],
            Rows(before).Where(r => r.GetProperty("kind").GetString() == "address").Select(r => r.GetProperty("student").GetString()));
        Assert.All(Rows(before), r => Assert.All(r.GetProperty("cells").EnumerateArray(), c => Assert.False(c.GetProperty("met").GetBoolean())));
        Assert.DoesNotContain(Rows(before), r => r.GetProperty("student").GetString() == Workstation);

        await RunDemo1(lab);

        var (_, after) = await Json(http, "/api/exercises/1/grid");
        Assert.True(after.GetProperty("lastSeq").GetInt64() > before.GetProperty("lastSeq").GetInt64());
        var mine = Row(after, Workstation);
        Assert.Equal("ip", mine.GetProperty("kind").GetString());
        Assert.Equal(4, mine.GetProperty("met").GetInt32());
        foreach (var c in mine.GetProperty("cells").EnumerateArray())
        {
            Assert.True(c.GetProperty("met").GetBoolean(), c.GetProperty("objective").GetString());
            Assert.Equal(c.GetProperty("patterns").GetInt32(), c.GetProperty("evidence").GetInt32());
        }
        // The lab's users did nothing: their rows stay empty (the demo never logged in).
        Assert.All(Rows(after).Where(r => r.GetProperty("kind").GetString() == "address"), r => Assert.Equal(0, r.GetProperty("met").GetInt32()));

        // The evidence of one cell: the events the checker matched, linked to their session and journey pages.
        var (es, evidence) = await Json(http, $"/api/exercises/1/evidence?student={Workstation}&objective=delivered-by-hand");
        Assert.Equal(HttpStatusCode.OK, es);
        var objective = evidence.GetProperty("objective");
        Assert.True(objective.GetProperty("met").GetBoolean());
        var events = objective.GetProperty("evidence").EnumerateArray().ToList();
        Assert.Equal(["MessageReceived", "LocalDelivery"], events.Select(e => e.GetProperty("kind").GetString()));
        string journey = events[0].GetProperty("journeyUrl").GetString()!;
        Assert.Equal("/journey/" + events[0].GetProperty("message").GetString(), journey);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(journey)).StatusCode);
        string session = events[0].GetProperty("sessionUrl").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(session)).StatusCode);
        Assert.Equal(Workstation, events[0].GetProperty("fields").GetProperty("Client").GetString());

        // The same verdicts as 'maillab exercise check 1 --student 127.0.0.41' on the same events.
        var exercise = ExerciseCatalog.Load(ExerciseCatalog.Locate(null)).Find(1)!;
        var check = ObjectiveChecker.Check(exercise, StudentScope.Filter(RecordedEvent.Number(lab.Tracer.Stream.Query()), Workstation));
        Assert.All(check, r => Assert.True(r.Met));

        // The page without JavaScript shows the same, each met cell a link to its evidence page.
        string page = await http.GetStringAsync("/exercises/1");
        Assert.Contains($"<tr data-student=\"{Workstation}\">", page);
        Assert.Contains($"href=\"/exercises/1/evidence?student={Workstation}&amp;objective=greeted-mta\"", page);
        Assert.Contains("✗</span> not yet", page);
        string evidencePage = await http.GetStringAsync($"/exercises/1/evidence?student={Workstation}&objective=header-from-differs");
        Assert.Contains("<strong>MessageReceived</strong>", evidencePage, StringComparison.Ordinal);
        Assert.Contains("✓</span> met", evidencePage);
    }

    [Fact]
    public async Task A_student_gets_403_for_the_grid_and_sees_only_their_own_progress()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "over STARTTLS");
        using var alice = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(alice, "alice@uc.test", "lab-alice")).StatusCode);

        var (status, json) = await Json(alice, "/api/exercises/3/grid");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("instructor", json.GetProperty("error").GetString());

        // Her own progress in exercise 3: STARTTLS then AUTH over TLS, from her MailKit session; not the plaintext login.
        (status, json) = await Json(alice, "/api/exercises/3/progress");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("alice@uc.test", json.GetProperty("student").GetString());
        var met = json.GetProperty("objectives").EnumerateArray().ToDictionary(o => o.GetProperty("id").GetString()!, o => o.GetProperty("met").GetBoolean());
        Assert.True(met["starttls"]);
        Assert.True(met["auth-over-tls"]);
        Assert.False(met["plaintext-auth"]);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/exercises/3/progress?student=ALICE@uc.test")).StatusCode);

        // Nobody else's: not by address, not by IP; the evidence neither.
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/api/exercises/3/progress?student=bob@bank.test")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/api/exercises/3/progress?student=127.0.0.1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/api/exercises/3/evidence?student=bob@bank.test&objective=starttls")).StatusCode);
        (status, json) = await Json(alice, "/api/exercises/3/evidence?objective=auth-over-tls");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.All(json.GetProperty("objective").GetProperty("evidence").EnumerateArray(), e => Assert.Equal("uc", e.GetProperty("site").GetString()));
        // Her page is her progress, not the grid.
        string page = await alice.GetStringAsync("/exercises/3");
        Assert.Contains("id=\"progress\"", page);
        Assert.DoesNotContain("id=\"grid\"", page);
        Assert.DoesNotContain("bob@bank.test", page);

        // The instructor reads the grid and anyone's progress, and must say whose.
        using var teacher = Client(lab);
        await SignIn(teacher, "instructor", InstructorPassword);
        (status, json) = await Json(teacher, "/api/exercises/3/grid");
        Assert.Equal(HttpStatusCode.OK, status);
        var aliceRow = Row(json, "alice@uc.test").GetProperty("cells").EnumerateArray().ToDictionary(c => c.GetProperty("objective").GetString()!, c => c.GetProperty("met").GetBoolean());
        Assert.Equal(met, aliceRow);
        Assert.Equal(0, Row(json, "bob@bank.test").GetProperty("met").GetInt32());
        (status, json) = await Json(teacher, "/api/exercises/3/progress?student=alice@uc.test");
        Assert.Equal((HttpStatusCode.OK, 2), (status, json.GetProperty("met").GetInt32()));
        (status, json) = await Json(teacher, "/api/exercises/3/progress");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("student is required", json.GetProperty("error").GetString());
        // Signed out: 401, as every API route.
        using var nobody = Client(lab);
        Assert.Equal(HttpStatusCode.Unauthorized, (await nobody.GetAsync("/api/exercises/3/grid")).StatusCode);
    }

    [Theory]
    [InlineData("/api/exercises/99/grid", HttpStatusCode.NotFound)]
    [InlineData("/api/exercises/abc/progress?student=alice@uc.test", HttpStatusCode.NotFound)]
    [InlineData("/api/exercises/123456789012/evidence", HttpStatusCode.NotFound)]
    [InlineData("/api/exercises/1/grid?student=alice@uc.test", HttpStatusCode.BadRequest)]
    [InlineData("/api/exercises/1/progress?student=not-an-address", HttpStatusCode.BadRequest)]
    [InlineData("/api/exercises/1/progress?student=alice@uc.test&student=bob@bank.test", HttpStatusCode.BadRequest)]
    [InlineData("/api/exercises/1/progress?who=alice@uc.test", HttpStatusCode.BadRequest)]
    [InlineData("/api/exercises/1/evidence?student=alice@uc.test", HttpStatusCode.BadRequest)]
    [InlineData("/api/exercises/1/evidence?student=alice@uc.test&objective=no-such-objective", HttpStatusCode.BadRequest)]
    [InlineData("/exercises/99", HttpStatusCode.NotFound)]
    [InlineData("/exercises/1/evidence?student=alice@uc.test&objective=nope", HttpStatusCode.BadRequest)]
    public async Task Unknown_exercises_are_404_and_bad_parameters_400_with_the_reason(string path, HttpStatusCode expected)
    {
        await using var lab = DashboardKit.Lab();
        using var http = Client(lab);
        var r = await http.GetAsync(path);
        Assert.Equal(expected, r.StatusCode);
        string body = await r.Content.ReadAsStringAsync();
        if (path.StartsWith("/api/", StringComparison.Ordinal)) Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()));
        else Assert.Contains("class=\"error\"", body);
    }

    [Fact]
    public async Task A_student_name_past_the_limit_is_400()
    {
        await using var lab = DashboardKit.Lab();
        using var http = Client(lab);
        var r = await http.GetAsync("/api/exercises/1/progress?student=" + new string('a', 320) + "@uc.test");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    // A board over its own trace (no lab running), and a way to add a student's request to that trace.
    private static (ExerciseBoard Board, Action<string, string?> Request) Board()
    {
        var tracer = new Tracer(new TraceStream(), null, false);
        var definition = LabDefinitionLoader.Parse(TestLab.LabYaml(), "test-lab.yml");
        string data = TempDir.New("board");
        var store = new MailLab.Server.Store.MessageStore(Path.Combine(data, "mail"));
        var context = new DashboardContext(new DashboardLab(definition, data, () => [], new HashSet<string>(), null, store), tracer.Stream, false, CancellationToken.None);
        return (ExerciseBoard.Of(context), (client, origin) => tracer.Emit("lab", TraceRole.WEB, null, null, TraceKind.WebRequest, $"GET /pki/ca.crt from {client}: 200",
            new Dictionary<string, object?> { ["Method"] = "GET", ["Path"] = "/pki/ca.crt", ["Query"] = "", ["Status"] = 200, ["Client"] = client, ["Octets"] = 1200L, ["DurationMs"] = 1 }, origin));
    }

    [Fact]
    public void A_snapshot_that_was_costly_to_judge_is_kept_for_twice_its_cost_while_events_arrive()
    {
        var (board, request) = Board();
        long now = 1_000;
        board.Clock = () => now;
        var costly = board.Now();
        costly.Charge(TimeSpan.FromSeconds(1)); // as if judging a full ring for a class had taken a second
        request("127.0.0.7", null);
        Assert.Same(costly, board.Now()); // the trace changed, but the snapshot is younger than 2 s
        now += 1_990;
        Assert.Same(costly, board.Now());
        now += 8_000; // past 2 × (1 s + the real building time, milliseconds)
        var next = board.Now();
        Assert.NotSame(costly, next);
        Assert.Contains(new GridStudent("127.0.0.7", "ip"), next.Students);
        request("127.0.0.8", null);
        Assert.NotSame(next, board.Now()); // cheap to judge: redone at once, with no time passing
        Assert.Equal(TimeSpan.Zero, ExerciseBoard.Lag(TimeSpan.FromMilliseconds(249)));
        Assert.Equal(ExerciseBoard.MaxLag, ExerciseBoard.Lag(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void The_board_judges_once_per_trace_state_and_lists_client_addresses_up_to_its_bound()
    {
        var (board, request) = Board();
        var empty = board.Now();
        Assert.Same(empty, board.Now());
        Assert.Equal(5, empty.Students.Count);

        void Request(string client, string? origin = null) => request(client, origin);
        Request("127.0.0.7");
        Request("127.0.1.1", LabOrigin.Relay); // the lab's own request: nobody's row
        var next = board.Now();
        Assert.NotSame(empty, next);
        Assert.Same(next, board.Now());
        Assert.Equal([new GridStudent("127.0.0.7", "ip")], next.Students.Where(s => s.Kind == "ip"));
        var exercise = board.Catalog.Find(1)!;
        Assert.Same(next.Judge(exercise, "127.0.0.7"), next.Judge(exercise, "127.0.0.7"));

        for (int i = 0; i < ExerciseBoard.MaxAddressRows + 50; i++) Request($"10.0.{i / 250}.{i % 250 + 1}");
        var many = board.Now();
        Assert.Equal(ExerciseBoard.MaxAddressRows, many.Students.Count(s => s.Kind == "ip"));
        Assert.Equal(51, many.MoreAddresses);
        Assert.Equal("10.0.0.1", many.Students.First(s => s.Kind == "ip").Student); // in address order: 10/8 before 127/8
    }
}
