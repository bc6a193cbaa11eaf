// The Live trace page's 10,000-event history (issue 17: "renders in under a second"), timed in Debian's chromium:
// a real `maillab up`, 10,000 WebRequest events made by real GETs to its web service, then the page opened
// RUNS times; the page itself reports fetch + parse + render (#trace's data-render-ms). A bench, not a test:
// the time depends on the machine and its load, so it is reported, never asserted.
// Usage: dotnet run -c Release --project bench/dashboard/render -- MAILLAB-EXECUTABLE [RUNS]
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

string exe = args.Length > 0 ? Path.GetFullPath(args[0]) : throw new ArgumentException("usage: RenderBench MAILLAB-EXECUTABLE [RUNS]");
int runs = args.Length > 1 ? int.Parse(args[1]) : 5;
const int Events = 10_000;
string dir = Directory.CreateTempSubdirectory("maillab-renderbench-").FullName;
string lab = Path.Combine(dir, "lab.yml");
File.WriteAllText(lab, """
    name: renderbench
    dns: { port: 0 }
    web: { port: 0 }
    sites:
      - name: uc
        domains: [uc.test]
        host-names: [mx.uc.test]
        address: 127.0.1.1
        ports: { mta: 0, submission: 0, submissions: 0 }
        users:
          - { address: alice@uc.test, password: lab-alice }
    """);
var up = Process.Start(new ProcessStartInfo(exe, ["up", "--quiet", "--lab", lab, "--data", Path.Combine(dir, "data")]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
_ = up.StandardOutput.ReadToEndAsync();
_ = up.StandardError.ReadToEndAsync();
try
{
    string listeners = Path.Combine(dir, "data", "listeners.json");
    for (int i = 0; i < 600 && !File.Exists(listeners); i++) await Task.Delay(100);
    await Task.Delay(200);
    using var doc = JsonDocument.Parse(File.ReadAllText(listeners));
    string Url(string role) => doc.RootElement.EnumerateArray().Where(l => l.GetProperty("role").GetString() == role)
        .Select(l => $"http://{l.GetProperty("address").GetString()}:{l.GetProperty("port").GetInt32()}").First();
    string web = Url("WEB"), dashboard = Url("DASHBOARD");

    using (var http = new HttpClient { BaseAddress = new Uri(web) })
    {
        for (int i = 0; i < Events; i++) (await http.GetAsync($"/pki/ca.crt?n={i}")).Dispose();
    }
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
    var times = new List<int>();
    for (int r = 0; r <= runs; r++)
    {
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        await page.GotoAsync(dashboard + "/trace?kind=WebRequest");
        await page.WaitForSelectorAsync($"#trace[data-loaded='{Events}']", new() { Timeout = 60_000 });
        int ms = int.Parse((await page.GetAttributeAsync("#trace", "data-render-ms"))!);
        if (r > 0) times.Add(ms); // the first load warms chromium and the server: not counted
        await page.CloseAsync();
    }
    times.Sort();
    double load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    Console.WriteLine($"10,000-event history on the Live trace page, {runs} loads in chromium: median {times[times.Count / 2]} ms, "
        + $"min {times[0]} ms, max {times[^1]} ms (fetch + parse + render, as the page measures it); load average {load} on {Environment.ProcessorCount} cores");
}
finally
{
    up.Kill(entireProcessTree: true);
    await up.WaitForExitAsync();
    Directory.Delete(dir, recursive: true);
}
