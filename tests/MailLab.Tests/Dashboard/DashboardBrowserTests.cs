using System.Diagnostics;
using MailLab.Server.Trace;
using Microsoft.Playwright;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The dashboard in a real browser (Debian's chromium through Playwright): pages, live trace over SSE, sign-in.</summary>
public sealed class DashboardBrowserTests
{
    [Fact]
    public async Task Lab_page_then_live_trace_shows_a_mail_sent_over_SMTP_as_it_happens()
    {
        await using var lab = DashboardKit.Lab();
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Lab");
        await Assertions.Expect(page.Locator("#site-bank")).ToContainTextAsync("mx.bank.test");
        await Assertions.Expect(page.Locator("table.listeners").First).ToContainTextAsync("starttls");
        await Browser.Shot(page, "lab");

        // Keyboard: the skip link is the first stop, then the navigation.
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator(".skip")).ToBeFocusedAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Live trace" }).ClickAsync();
        await page.WaitForURLAsync("**/trace", Browser.Committed);
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Live ·", new() { Timeout = 15_000 });

        string session = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "seen live");
        var row = page.Locator($".trace .rows .row[data-seq]:has-text('AuthSucceeded')");
        await Assertions.Expect(row.Last).ToContainTextAsync("alice@uc.test", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator($".trace .rows .row:has-text('QUIT')").Last).ToContainTextAsync(session);
        await Assertions.Expect(page.Locator(".trace .rows .row:has-text('ReplySent') span.ok").First).ToContainTextAsync("✓ ok");
        await Browser.Shot(page, "trace-live");
        // The rows come as view=row; the number links to the whole event, fields and all.
        string seq = (await row.Last.GetAttributeAsync("data-seq"))!;
        string href = (await row.Last.Locator("a").First.GetAttributeAsync("href"))!;
        Assert.Equal($"/api/trace?after={long.Parse(seq) - 1}&limit=1", href);
        var whole = await page.APIRequest.GetAsync(href);
        string json = await whole.TextAsync();
        Assert.Contains($"\"seq\":{seq},", json);
        Assert.Matches("\"fields\":\\{[^}]*\"alice@uc.test\"", json);

        // Pause: new events wait (counted in the status line), Resume shows them.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        string paused = await Submit(lab, "bank", "bob@bank.test", "lab-bob", "bob@bank.test", "while paused");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("new waiting", new() { Timeout = 15_000 });
        Assert.Equal(0, await page.Locator($".trace .rows .row:has-text('bob@bank.test')").CountAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(page.Locator(".trace .rows .row:has-text('AuthSucceeded')").Last).ToContainTextAsync("bob@bank.test");

        // Search narrows the list to what matches (server-side q=), and live events still arrive into it.
        await page.FillAsync("input[name=q]", "succeeded");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Live · 2 events", new() { Timeout = 15_000 });
        Assert.Contains("q=succeeded", page.Url);

        // Projector mode: larger type, kept across pages.
        await page.ClickAsync("#projector");
        await Assertions.Expect(page.Locator("html")).ToHaveClassAsync("projector");
        await Browser.Shot(page, "trace-projector");
        await page.GotoAsync("/sessions/" + paused);
        await Assertions.Expect(page.Locator("html")).ToHaveClassAsync("projector");
        await Assertions.Expect(page.Locator("#tls-boundary")).ToContainTextAsync("TLS established");
        await Browser.Shot(page, "session");

        // The Journey pages sit in the same layout: the list links each message, its page shows the journey.
        await page.GetByRole(AriaRole.Link, new() { Name = "Journey", Exact = true }).ClickAsync();
        await page.Locator("main table a").First.ClickAsync();
        await Assertions.Expect(page.Locator("#journey-title")).ToContainTextAsync("Journey of message");
        await Browser.Shot(page, "journey");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_ten_thousand_event_history_renders_whole_and_virtualised()
    {
        await using var lab = DashboardKit.Lab();
        for (int i = 0; i < 10_000; i++)
        {
            lab.Tracer.Emit("lab", TraceRole.WEB, null, null, TraceKind.WebRequest, $"GET /pki/ca.crt?n={i} from 127.0.0.1: 200",
                new Dictionary<string, object?> { ["Method"] = "GET", ["Path"] = "/pki/ca.crt", ["Query"] = $"?n={i}", ["Status"] = 200,
                    ["Client"] = "127.0.0.1", ["Octets"] = 1200L, ["DurationMs"] = 1 });
        }
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        var clock = Stopwatch.StartNew();
        await page.GotoAsync("/trace?kind=WebRequest");
        await page.WaitForSelectorAsync("#trace[data-loaded='10000']", new() { Timeout = 20_000 });
        clock.Stop();
        int renderMs = int.Parse((await page.GetAttributeAsync("#trace", "data-render-ms"))!);
        // How fast is measured by bench/dashboard/render.sh, never here: a test's timing varies with the machine's load.
        Console.WriteLine($"10,000 events: fetch + parse + render {renderMs} ms in the page; navigation to rendered {clock.ElapsedMilliseconds} ms");
        // The newest is on screen and only the rows on screen exist.
        await Assertions.Expect(page.Locator(".trace .rows .row").Last).ToContainTextAsync("n=9999");
        Assert.True(await page.Locator(".trace .rows .row").CountAsync() < 200);
        // Scrolling to the top shows the oldest.
        await page.FocusAsync(".trace .viewport");
        await page.Keyboard.PressAsync("Home");
        await Assertions.Expect(page.Locator(".trace .rows .row").First).ToContainTextAsync("n=0 ");
        await Browser.Shot(page, "trace-10000");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_flood_beyond_the_pages_rate_shows_as_a_gap_whose_button_loads_the_events()
    {
        await using var lab = DashboardKit.Lab();
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/trace?session=F1&rate=5");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Live ·", new() { Timeout = 15_000 });
        var flood = lab.Tracer.For("uc", TraceRole.MTA, "F1");
        for (int i = 1; i <= 60; i++) flood.Emit(TraceKind.CommandReceived, $"C: NOOP {i}");

        // Five a second come live; the rest is one gap row, said in words, with a button.
        var gap = page.Locator(".trace .rows .row.gap").First;
        await Assertions.Expect(gap).ToContainTextAsync("not shown live", new() { Timeout = 15_000 });
        await Assertions.Expect(gap.Locator("button.load-gap")).ToContainTextAsync("more than 5 a second came");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("gap");
        await Browser.Shot(page, "trace-gap");
        await gap.Locator("button.load-gap").ClickAsync();
        // Every one of the 60 is in the list after the gaps are filled (later gaps, if the flood outlasted a second, too).
        while (await page.Locator(".trace .rows .row.gap button.load-gap:not([disabled])").CountAsync() > 0)
        {
            await page.Locator(".trace .rows .row.gap button.load-gap:not([disabled])").First.ClickAsync();
        }
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Live · 60 events", new() { Timeout = 15_000 });
        await page.FocusAsync(".trace .viewport");
        await page.Keyboard.PressAsync("Home");
        await Assertions.Expect(page.Locator(".trace .rows .row").First).ToContainTextAsync("C: NOOP 1");
        await page.Keyboard.PressAsync("End");
        await Assertions.Expect(page.Locator(".trace .rows .row").Last).ToContainTextAsync("C: NOOP 60");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Beyond_loopback_a_student_signs_in_and_sees_only_their_own_sessions()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        string bob = await Submit(lab, "bank", "bob@bank.test", "lab-bob", "bob@bank.test", "bob's");
        string alice = await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "alice's");
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/trace");
        await page.WaitForURLAsync("**/signin?return=%2Ftrace", Browser.Committed);
        await page.FillAsync("#user", "alice@uc.test");
        await page.FillAsync("#password", "wrong");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("Wrong lab address or password");
        await Browser.Shot(page, "signin-refused");
        await page.FillAsync("#user", "alice@uc.test");
        await page.FillAsync("#password", "lab-alice");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/trace", Browser.Committed);
        await Assertions.Expect(page.Locator("#viewer")).ToHaveTextAsync("alice@uc.test");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Live ·", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator($".trace .rows .row a:text-is('{alice}')").First).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator($".trace .rows .row a:text-is('{bob}')").CountAsync());
        Assert.Equal(0, await page.Locator("input[name=student]").CountAsync());
        await Browser.Shot(page, "trace-student");
        var other = await page.GotoAsync("/sessions/" + bob);
        Assert.Equal(404, other!.Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/signin", Browser.Committed);
        await Assertions.Expect(page.Locator("#user")).ToBeVisibleAsync();
        Assert.Empty(errors);
    }
}
