using Microsoft.Playwright;
using static MailLab.Tests.Dashboard.MailboxKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The Mailboxes pages in Debian's chromium: a student signs in, sees only their mailbox, opens a message.</summary>
public sealed class MailboxBrowserTests
{
    [Fact]
    public async Task A_student_opens_a_message_of_their_own_mailbox_with_the_trace_headers_marked()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "bob@bank.test", "not for alice's eyes"), "bob@bank.test");
        var pdf = new byte[2048];
        new Random(3).NextBytes(pdf);
        await Deliver(lab, "bank", "bob@bank.test", "lab-bob", WithAttachment("bob@bank.test", "alice@uc.test", "Quarterly report", pdf), "alice@uc.test");
        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/mailboxes");
        await page.WaitForURLAsync("**/signin?return=%2Fmailboxes", Browser.Committed);
        await page.FillAsync("#user", "alice@uc.test");
        await page.FillAsync("#password", "lab-alice");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/mailboxes", Browser.Committed);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Mailboxes");
        await Assertions.Expect(page.Locator("table.mailboxes tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table.mailboxes")).ToContainTextAsync("alice@uc.test");
        await Assertions.Expect(page.Locator("table.mailboxes")).Not.ToContainTextAsync("bob@bank.test");

        await page.GetByRole(AriaRole.Link, new() { Name = "alice@uc.test" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Mailbox alice@uc.test");
        await Assertions.Expect(page.Locator(".folders a[aria-current=page]")).ToHaveTextAsync("INBOX");
        await Browser.Shot(page, "mailbox-folder");
        await page.GetByRole(AriaRole.Link, new() { Name = "Quarterly report" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Quarterly report");
        // Trace headers: a row class, the symbol and the word in the table; a <mark> in the raw source.
        await Assertions.Expect(page.Locator("table.headers tr.trace-header").First).ToContainTextAsync("Return-Path");
        Assert.True(await page.Locator("table.headers tr.trace-header:has-text('Received')").CountAsync() >= 2);
        await Assertions.Expect(page.Locator("table.headers tr.trace-header:has-text('DKIM-Signature') .trace-mark").First).ToHaveTextAsync("⚑ trace");
        await Assertions.Expect(page.Locator("table.headers tr:not(.trace-header) th").GetByText("Subject", new() { Exact = true })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table.headers tr.trace-header th").GetByText("Subject", new() { Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("pre.raw mark.trace-line").First).ToContainTextAsync("Return-Path: <bob@bank.test>");
        await Assertions.Expect(page.Locator("ul.mime > li > ul > li").Nth(1)).ToContainTextAsync("report.pdf");
        await page.Locator("#headers").ScrollIntoViewIfNeededAsync();
        await Browser.Shot(page, "mailbox-message");
        await page.Locator("#raw").ScrollIntoViewIfNeededAsync();
        await Browser.Shot(page, "mailbox-message-raw");
        Assert.Empty(errors);
    }
}
