using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Dns;

// dotnet run -c Release --project bench/dnssec [resign | lookups [mode|all] [seconds]]
// Mode "resign" (the default): how long the lab DNS takes to sign a zone again after an edit, for a
// student-sized zone (< 100 records) and a zone of 10,000 records, with algorithms 13 and 8.
// Mode "lookups": validated lookups per second through a mail resolver (LookupBench.cs).
string mode = args.FirstOrDefault() ?? "resign";
switch (mode)
{
    case "resign":
        Console.WriteLine($"zone re-sign time, {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        foreach (byte algorithm in new[] { DnssecAlgorithm.EcdsaP256Sha256, DnssecAlgorithm.RsaSha256 })
        {
            foreach (int size in new[] { 60, 10_000 })
            {
                var records = Zone(size);
                int runs = size > 1000 ? 3 : 30;
                ZoneSigningTimer.Measure("bench.test", records, algorithm, 1); // warm-up
                var (wall, cpu) = ZoneSigningTimer.Measure("bench.test", records, algorithm, runs);
                Console.WriteLine($"  {DnssecAlgorithm.Name(algorithm),-16} {records.Count,6} records: {wall,9:0.0} ms per signing, {cpu,9:0.0} ms CPU (mean of {runs})");
            }
        }
        return 0;
    case "lookups":
        return await MailLab.Bench.Dnssec.LookupBench.RunAsync(args[1..]);
    default:
        Console.Error.WriteLine($"unknown mode '{mode}' (resign, lookups)");
        return 2;
}

// The 1-minute load average (Linux), so a figure measured on a busy machine says so.
static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

// A zone like the lab's: SOA, NS, MX, TXT at the apex, then hosts with an A record and every fifth with a TXT.
static List<DnsRecord> Zone(int size)
{
    var r = new List<DnsRecord>
    {
        new("bench.test", DnsType.SOA, 3600, new SoaData("ns.bench.test", "hostmaster.bench.test", 1, 3600, 900, 604800, 300)),
        new("bench.test", DnsType.NS, 3600, new NameData("ns.bench.test")),
        new("bench.test", DnsType.MX, 3600, new MxData(10, "mx.bench.test")),
        new("bench.test", DnsType.TXT, 3600, TxtData.FromText("v=spf1 ip4:127.0.5.1 -all")),
    };
    for (int i = 0; r.Count < size; i++)
    {
        r.Add(new($"h{i}.bench.test", DnsType.A, 3600, new AddressData(new IPAddress([127, 5, (byte)(i / 250), (byte)(i % 250 + 1)]))));
        if (i % 5 == 0 && r.Count < size) r.Add(new($"h{i}.bench.test", DnsType.TXT, 3600, TxtData.FromText($"host {i}")));
    }
    return r;
}
