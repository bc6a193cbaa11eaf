using Microsoft.Playwright;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The Exercises grid in Debian's chromium: the instructor watches a student's demo turn the cells to met, live.</summary>
public sealed class ExerciseGridBrowserTests
{
    [Fact]
    public async Task The_instructor_grid_turns_met_without_reload_when_a_demo_runs_and_a_cell_opens_its_evidence()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/exercises");
        await page.WaitForURLAsync("**/signin?return=%2Fexercises", Browser.Committed);
        await page.FillAsync("#user", "instructor");
        await page.FillAsync("#password", InstructorPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/exercises", Browser.Committed);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Exercises");
        await Assertions.Expect(page.Locator("table.exercises tbody tr").First).ToContainTextAsync("0 of 5");
        await Browser.Shot(page, "exercises-list");
        await page.GetByRole(AriaRole.Link, new() { Name = "SMTP by hand, and the envelope versus the header From" }).ClickAsync();
        await page.WaitForURLAsync("**/exercises/1", Browser.Committed);
        await Assertions.Expect(page.Locator("#live-status")).ToContainTextAsync("Live ·", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#grid tr[data-student='alice@uc.test'] td[data-objective='greeted-mta']")).ToContainTextAsync("✗ not yet");
        Assert.Equal(0, await page.Locator($"#grid tr[data-student='{ExerciseGridApiTests.Workstation}']").CountAsync());
        // A mark in the page's own state: a reload would lose it.
        await page.EvaluateAsync("() => { window.stillTheSamePage = true; }");

        await ExerciseGridApiTests.RunDemo1(lab);

        var row = page.Locator($"#grid tr[data-student='{ExerciseGridApiTests.Workstation}']");
        await Assertions.Expect(row.Locator("td[data-objective='delivered-by-hand']")).ToContainTextAsync("✓ met (2)", new() { Timeout = 15_000 });
        foreach (var objective in new[] { "greeted-mta", "bad-sequence", "header-from-differs" })
        {
            await Assertions.Expect(row.Locator($"td[data-objective='{objective}']")).ToContainTextAsync("✓ met");
        }
        await Assertions.Expect(row.Locator("td.total")).ToHaveTextAsync("4 of 4");
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillTheSamePage === true"), "the page reloaded");
        await Assertions.Expect(page.Locator("#grid tr[data-student='alice@uc.test'] td[data-objective='greeted-mta']")).ToContainTextAsync("✗ not yet");

        // A met cell opens its evidence in place: the events, with their session and message linked.
        await row.Locator("td[data-objective='delivered-by-hand'] a").ClickAsync();
        var panel = page.Locator("#evidence");
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await Assertions.Expect(panel.Locator("h2").First).ToBeFocusedAsync();
        await Assertions.Expect(panel).ToContainTextAsync("MessageReceived");
        await Assertions.Expect(panel).ToContainTextAsync("LocalDelivery");
        await Assertions.Expect(panel.Locator("a[href^='/journey/']").First).ToBeVisibleAsync();
        await Assertions.Expect(panel.Locator("a[href^='/sessions/']").First).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillTheSamePage === true"), "opening the evidence left the page");
        await Browser.Shot(page, "exercises-grid");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_student_sees_their_own_progress_with_its_evidence()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        await Submit(lab, "uc", "alice@uc.test", "lab-alice", "alice@uc.test", "over STARTTLS");
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/exercises/3");
        await page.FillAsync("#user", "alice@uc.test");
        await page.FillAsync("#password", "lab-alice");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/exercises/3", Browser.Committed);
        await Assertions.Expect(page.Locator("#live-status")).ToContainTextAsync("2 of 4 objectives met", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("section[data-objective='auth-over-tls'] h2")).ToContainTextAsync("✓ met");
        await Assertions.Expect(page.Locator("section[data-objective='auth-over-tls'] ol.evidence li")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("section[data-objective='plaintext-auth'] h2")).ToContainTextAsync("✗ not yet");
        Assert.Equal(0, await page.Locator("#grid").CountAsync());
        await Browser.Shot(page, "exercises-student");
        Assert.Empty(errors);
    }
}
