using Microsoft.Playwright;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard.Reports;

/// <summary>The DMARC reports page in Debian's chromium: the uPlot chart draws one series per source and result, beside the tables.</summary>
public sealed class DmarcReportsBrowserTests(ReportsFixture fx) : IClassFixture<ReportsFixture>
{
    [Fact]
    public async Task The_chart_draws_pass_and_fail_per_source_from_the_series_api_and_a_failure_report_reads()
    {
        using var http = await fx.SignedIn();
        var (_, series) = await Json(http, "/api/reports/dmarc/series");
        int sources = series.GetProperty("sources").GetArrayLength();
        Assert.True(sources >= 2);

        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(fx.Lab, errors);
        await page.GotoAsync("/signin?return=/reports");
        await page.FillAsync("#user", "instructor");
        await page.FillAsync("#password", InstructorPassword);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/reports");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("DMARC reports");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "DMARC reports" })).ToHaveAttributeAsync("aria-current", "page");

        // uPlot draws into a canvas; its legend names every series: time, then "IP pass" and "IP fail" per source.
        var chart = page.Locator("#dmarc-chart");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-series", (2 * sources).ToString(), new() { Timeout = 15_000 });
        await Assertions.Expect(chart.Locator("canvas")).ToHaveCountAsync(1);
        Assert.True((await chart.Locator("canvas").BoundingBoxAsync())!.Height > 100);
        await Assertions.Expect(chart.Locator(".u-legend .u-series")).ToHaveCountAsync(1 + 2 * sources);
        await Assertions.Expect(chart.Locator(".u-legend")).ToContainTextAsync("127.0.3.1 fail");
        await Assertions.Expect(chart.Locator(".u-legend")).ToContainTextAsync("127.0.2.1 pass");
        // The same numbers as a table, and the reports as tables.
        await Assertions.Expect(page.Locator("#series-table tr:has-text('127.0.3.1') td").Nth(3)).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#received")).ToContainTextAsync("127.0.3.1");
        await Assertions.Expect(page.Locator("#sent")).ToContainTextAsync("postmaster@bank.test");
        await Browser.Shot(page, "dmarc-reports");
        await page.Locator("#failures").ScrollIntoViewIfNeededAsync();
        await Browser.Shot(page, "dmarc-reports-tables");

        await page.Locator("#failures a").First.ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Failure report");
        await Assertions.Expect(page.Locator("#feedback")).ToContainTextAsync("auth-failure");
        await Assertions.Expect(page.Locator("#reported-headers")).ToContainTextAsync("From: The CEO <ceo@bank.test>");
        await Browser.Shot(page, "dmarc-failure-report");
        Assert.Empty(errors);
    }
}
