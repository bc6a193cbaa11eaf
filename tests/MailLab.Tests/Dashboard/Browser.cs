using Microsoft.Playwright;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// Debian's chromium driven by Playwright (its node driver ships in the NuGet package; no browser is downloaded:
/// <c>ExecutablePath=/usr/bin/chromium</c>). Screenshots go to <c>TestResults/screenshots</c> at the repository root.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright playwright;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        Instance = browser;
    }

    public IBrowser Instance { get; }

    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(Repository.Root, "TestResults", "screenshots")).FullName;

    public static async Task<Browser> Launch()
    {
        Assert.True(File.Exists(Chromium), "the browser tests need Debian's chromium (tests/run.sh installs it)");
        var playwright = await Playwright.CreateAsync();
        // --no-sandbox: the tests may run as root (CI), where chromium refuses its sandbox.
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        return new Browser(playwright, browser);
    }

    /// <summary>A fresh page (own cookies) at the dashboard's base URL, failing the test on any script error.</summary>
    public async Task<IPage> Page(TestLab lab, List<string> errors)
    {
        var context = await Instance.NewContextAsync(new() { BaseURL = lab.Runtime!.Dashboard!.Url, ViewportSize = new() { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.PageError += (_, e) => errors.Add(e);
        // A 401 or 404 the test asks for is logged as "Failed to load resource"; script errors are what count.
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) errors.Add(m.Text); };
        return page;
    }

    /// <summary>
    /// How the tests wait for a navigation: until its document commits, never for its load event. Under load
    /// (load average 15 to 40 on these 2 cores) Playwright's wait for "load" ran out now and then though the URL was
    /// right and the network idle; the step after every wait is an assertion or action that waits for the content itself.
    /// </summary>
    public static PageWaitForURLOptions Committed => new() { WaitUntil = WaitUntilState.Commit };

    public static Task Shot(IPage page, string name) => page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = false });

    public async ValueTask DisposeAsync()
    {
        await Instance.CloseAsync();
        playwright.Dispose();
    }
}
