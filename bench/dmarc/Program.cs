// Full inbound authentication per second (issue 6's bench): what bank.test's MTA does for a mail from
// uc.test at the end of DATA - SPF (HELO and MAIL FROM), DKIM (both of uc's signatures) and DMARC -
// through the real lab DNS over UDP on loopback. Run: dotnet run -c Release --project bench/dmarc [seconds] [concurrency]
using System.Diagnostics;
using System.Net;
using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.MailAuth.Dmarc;
using MailLab.Server;
using MailLab.Server.Checks;
using MailLab.Server.Lab;
using MailLab.Server.Trace;

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 10;
var concurrency = args.Length > 1 && int.TryParse(args[1], out var c) ? c : 16;
const string Yaml = """
    name: bench
    dns: { port: 0 }
    sites:
      - { name: uc, domains: [uc.test], host-names: [mx.uc.test], address: 127.0.1.1, ports: { mta: 0, submission: 0, submissions: 0 } }
      - { name: bank, domains: [bank.test], host-names: [mx.bank.test], address: 127.0.2.1, ports: { mta: 0, submission: 0, submissions: 0 } }
    """;
var data = Directory.CreateTempSubdirectory("maillab-dmarc-bench").FullName;
var lab = LabDefinitionLoader.Parse(Yaml, "bench-lab.yml");
await using var runtime = LabRuntime.Start(lab, data, new Tracer(new TraceStream(), null, false));
var uc = runtime.Sites.First(x => x.Name == "uc");
var bank = runtime.Sites.First(x => x.Name == "bank");
var dns = runtime.ReceiveServicesOf("bank")!;

var body = "From: Alice <alice@uc.test>\r\nTo: bob@bank.test\r\nSubject: figures\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <bench@uc.test>\r\n\r\nThe quarterly figures.\r\n";
var message = Encoding.ASCII.GetBytes(body);
foreach (var key in runtime.DkimKeys(uc.Name).For("uc.test"))
{
    message = Encoding.ASCII.GetBytes(DkimSigner.Sign(message, key.Key, "uc.test", key.Selector, DateTimeOffset.UtcNow) + Encoding.ASCII.GetString(message));
}
var client = IPAddress.Parse("127.0.1.1");

async Task<DmarcCheckResult> CheckOne(CancellationToken ct)
{
    var spf = await SpfCheck.EvaluateAsync(dns.Spf, bank.HostName, client, "mx.uc.test", "alice@uc.test", false, ct);
    var dkim = await DkimCheck.VerifyAsync(dns.Dkim, message, ct);
    var inputs = dkim.Verifications.Select(v => new DmarcDkimInput(v.Domain ?? "", DkimVerifyStage.Outcome(v.Result), v.Selector)).ToList();
    return await DmarcCheck.EvaluateAsync(dns.Dmarc, FromExtractor.Extract(message), "alice@uc.test", spf, inputs, bank.Lab.Switches, ct);
}

var first = await CheckOne(default);
if (first.Result.Result != DmarcResultCode.Pass || !first.Result.SpfAligned || !first.Result.DkimAligned)
{
    Console.Error.WriteLine($"unexpected: {first.Result.Keyword} ({first.Result.Reason}); the bench lab is wrong");
    return 1;
}
Console.WriteLine($"one check: SPF pass aligned, {first.Result.Alignments.Count(a => a.Mechanism == "dkim")} DKIM signatures pass aligned, DMARC pass; {first.Result.Steps.Count} DMARC steps");
for (int i = 0; i < 500; i++) await CheckOne(default); // warm-up (JIT)

long count = 0;
var sw = Stopwatch.StartNew();
var until = TimeSpan.FromSeconds(seconds);
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
{
    while (sw.Elapsed < until)
    {
        var r = await CheckOne(default);
        if (r.Result.Result != DmarcResultCode.Pass) throw new InvalidOperationException(r.Result.Reason);
        Interlocked.Increment(ref count);
    }
})));
sw.Stop();
Console.WriteLine($"{count} full inbound checks (SPF+DKIM+DMARC, lab DNS over UDP) in {sw.Elapsed.TotalSeconds:F2} s with {concurrency} concurrent: {count / sw.Elapsed.TotalSeconds:F0} per second on {Environment.ProcessorCount} cores");
return 0;
