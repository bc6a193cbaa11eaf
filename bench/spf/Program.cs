// SPF evaluations per second on one thread against an in-memory resolver (issue 4's bench):
// a record with three includes and an mx, evaluated for an address that only the mx matches, so
// every term is walked. Run: dotnet run -c Release --project bench/spf [seconds]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailLab.MailAuth.Spf;

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 5;
var resolver = new TableResolver();
var evaluator = new SpfEvaluator(resolver, receiver: "bench.test");
var client = IPAddress.Parse("192.0.2.77");

var first = await evaluator.CheckMailFromAsync(client, "user@example.test", "mx.example.test");
if (first.Result != SpfResultCode.Pass || first.DecidingTerm != "mx")
{
    Console.Error.WriteLine($"unexpected result {first.Result} at {first.DecidingTerm}: the bench record is wrong");
    return 1;
}
Console.WriteLine($"record: {TableResolver.Record}; {first.Steps.Count} steps, deciding term {first.DecidingTerm}");

for (int i = 0; i < 20_000; i++) await evaluator.CheckMailFromAsync(client, "user@example.test", "mx.example.test"); // warm-up (JIT)

long count = 0;
var sw = Stopwatch.StartNew();
var until = TimeSpan.FromSeconds(seconds);
var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
while (sw.Elapsed < until)
{
    for (int i = 0; i < 1000; i++) await evaluator.CheckMailFromAsync(client, "user@example.test", "mx.example.test");
    count += 1000;
}
sw.Stop();
var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
Console.WriteLine($"{count} evaluations in {sw.Elapsed.TotalSeconds:F2} s on one thread: {count / sw.Elapsed.TotalSeconds:F0} per second, {allocated / count} bytes allocated each");
return 0;

/// <summary>Fixed answers, returned synchronously: the bench measures the evaluator, not a DNS.</summary>
sealed class TableResolver : ISpfResolver
{
    public const string Record = "v=spf1 include:a.example.test include:b.example.test include:c.example.test mx -all";

    private static readonly Dictionary<string, DnsAnswer<string>> Txt = new(StringComparer.OrdinalIgnoreCase)
    {
        ["example.test"] = DnsAnswer<string>.Found([Record, "unrelated text"]),
        ["a.example.test"] = DnsAnswer<string>.Found(["v=spf1 ip4:198.51.100.0/24 -all"]),
        ["b.example.test"] = DnsAnswer<string>.Found(["v=spf1 ip4:203.0.113.0/25 ip6:2001:db8::/32 -all"]),
        ["c.example.test"] = DnsAnswer<string>.Found(["v=spf1 a:relay.example.test -all"]),
    };

    private static readonly Task<DnsAnswer<MxRecord>> Mx = Task.FromResult(DnsAnswer<MxRecord>.Found([new MxRecord(10, "mx.example.test")]));
    private static readonly Task<DnsAnswer<IPAddress>> MxA = Task.FromResult(DnsAnswer<IPAddress>.Found([IPAddress.Parse("192.0.2.77")]));
    private static readonly Task<DnsAnswer<IPAddress>> RelayA = Task.FromResult(DnsAnswer<IPAddress>.Found([IPAddress.Parse("192.0.2.10")]));
    private static readonly Task<DnsAnswer<IPAddress>> NoAddress = Task.FromResult(DnsAnswer<IPAddress>.None());

    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) =>
        Task.FromResult(Txt.TryGetValue(name.TrimEnd('.'), out var a) ? a : DnsAnswer<string>.None());

    public Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct) =>
        family != AddressFamily.InterNetwork ? NoAddress
        : name.TrimEnd('.').Equals("mx.example.test", StringComparison.OrdinalIgnoreCase) ? MxA
        : name.TrimEnd('.').Equals("relay.example.test", StringComparison.OrdinalIgnoreCase) ? RelayA
        : NoAddress;

    public Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct) => Mx;

    public Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct) => Task.FromResult(DnsAnswer<string>.None());
}
