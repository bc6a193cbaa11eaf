using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using Microsoft.Playwright;
using static MailLab.Tests.Dashboard.DnsKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The DNS pages in Debian's chromium: the zones and query log, and the zone editor refusing a broken record with its line.</summary>
public sealed class DnsBrowserTests
{
    [Fact]
    public async Task The_zone_editor_refuses_a_broken_record_and_marks_its_line()
    {
        await using var lab = DashboardKit.Lab();
        // Something in the query log: a lab resolver's lookup and a student's dig.
        Assert.True((await new DnsTransport(lab.Runtime!.Dns!.EndPoint, IPAddress.Parse("127.0.2.1"), labResolver: true).QueryAsync("uc.test", DnsType.MX)).Ok);
        await Ask(lab, "mx.bank.test", DnsType.A);
        string text = File.ReadAllText(ZoneFile(lab, "bank.test"));

        await using var browser = await Browser.Launch();
        var errors = new List<string>();
        var page = await browser.Page(lab, errors);
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "DNS", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/dns", Browser.Committed);
        await Assertions.Expect(page.Locator("table.zones")).ToContainTextAsync("bank.test.zone");
        await Assertions.Expect(page.Locator("#query-log tr.by-lab").First).ToContainTextAsync("lab (resolver)");
        await Assertions.Expect(page.Locator("#query-log tr.by-student").First).ToContainTextAsync("mx.bank.test.");
        await Browser.Shot(page, "dns-zones");

        await page.GetByRole(AriaRole.Link, new() { Name = "bank.test." }).ClickAsync();
        await page.WaitForURLAsync("**/dns/bank.test", Browser.Committed);
        await Assertions.Expect(page.Locator("table.records")).ToContainTextAsync("10 mx.bank.test.");
        await Assertions.Expect(page.Locator("#zone-gutter")).ToBeVisibleAsync(); // the script drew the line numbers

        // Type a broken record at the end and press Check: the form posts, the page lists the error with its line.
        int line = text.Count(c => c == '\n') + 1;
        var editor = page.Locator("#zone-text");
        await editor.FocusAsync();
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.TypeAsync("www IN A 10.0.0.300");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Assertions.Expect(page.Locator("#zone-errors li")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex($"^line {line}, column 10: .*10\\.0\\.0\\.300"));
        await Assertions.Expect(page.Locator("#zone-result")).ToContainTextAsync("✗ the check found errors");
        // The gutter marks that line with a symbol, not colour alone, and it is scrolled into view.
        var marker = page.Locator("#zone-gutter .err");
        await Assertions.Expect(marker).ToHaveTextAsync($"✗ {line}");
        await Assertions.Expect(marker).ToBeInViewportAsync();
        await Assertions.Expect(editor).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("www IN A 10\\.0\\.0\\.300$"));

        // Save refuses it too: the file and the served zone are unchanged.
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#zone-result")).ToContainTextAsync("✗ not saved");
        await page.Locator("#zone-result").ScrollIntoViewIfNeededAsync();
        await Browser.Shot(page, "dns-editor-error");
        Assert.Equal(text, File.ReadAllText(ZoneFile(lab, "bank.test")));
        Assert.Equal(DnsRcode.NXDomain, (await Ask(lab, "www.bank.test", DnsType.A)).Rcode);

        // Clicking the error selects its line; fixing it and saving serves the record.
        await page.Locator("#zone-errors a").ClickAsync();
        await Assertions.Expect(editor).ToBeFocusedAsync();
        Assert.Equal("www IN A 10.0.0.300", await editor.EvaluateAsync<string>("t => t.value.substring(t.selectionStart, t.selectionEnd)"));
        await page.Keyboard.TypeAsync("www IN A 10.0.0.30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/dns/bank.test?saved=1#edit", Browser.Committed);
        await Assertions.Expect(page.Locator("#zone-result")).ToContainTextAsync("✓ saved");
        Assert.Equal(IPAddress.Parse("10.0.0.30"), (await Ask(lab, "www.bank.test", DnsType.A)).AnswerData<AddressData>(DnsType.A).Single().Address);
        Assert.Empty(errors);
    }
}
