// Validated lookups per second through a site's mail resolver (issue 16 part 2), against the real lab DNS
// over loopback: the default zones signed by the lab's signer, the resolver asking from 127.0.0.1 with the
// DO bit and validating from the lab trust anchor. Modes:
//   validate-warm  one resolver, its cache warm (answers and DS/DNSKEY kept up to 2 s, then fetched again)
//   validate-cold  a new resolver per lookup: every DS and DNSKEY of the chain fetched and every signature checked
//   plain-warm, plain-cold  the same without validation, for comparison
// Each lookup is ResolveMx("bank.test"): the MX, then mx.bank.test's A and AAAA (three answers validated).
// Run: dotnet run -c Release --project bench/dnssec lookups [mode|all] [seconds]
// The bench asks far more than a student: no response rate limit.
using System.Diagnostics;
using MailLab.Server.Dns;
using MailLab.Server.Trace;

namespace MailLab.Bench.Dnssec;

/// <summary>The "lookups" mode: validated MX lookups per second through a mail resolver.</summary>
internal static class LookupBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "all";
        double seconds = args.Length > 1 && double.TryParse(args[1], out var s) ? s : 5;
        string[] modes = mode == "all" ? ["validate-warm", "validate-cold", "plain-warm", "plain-cold"] : [mode];

        string dir = Directory.CreateTempSubdirectory("maillab-dnssec-bench").FullName;
        string zonesDir = Directory.CreateDirectory(Path.Combine(dir, "zones")).FullName;
        foreach (var (name, text) in LabZones.DefaultZones()) File.WriteAllText(Path.Combine(zonesDir, name), text);
        var tracer = new Tracer(new TraceStream(), null, false);
        var signer = new ZoneSigner(Path.Combine(dir, "dnssec"), MailLab.Protocols.Dns.Dnssec.DnssecAlgorithm.EcdsaP256Sha256, [], "127.0.9.1", tracer);
        await using var zones = new ZoneStore(zonesDir, origin => origin.Split('.')[0], tracer) { Signer = signer };
        await using var dns = new LabDnsServer("127.0.9.1", 0, zones, tracer, null, rateLimit: 0);
        dns.Bind();
        zones.Start();
        dns.Start();
        var anchor = LabResolver.ReadAnchorFile(signer.DsAnchorFile) ?? throw new InvalidOperationException("no trust anchor written");

        LabResolver Make(bool validate) => new(dns.EndPoint, generation: () => zones.Current)
        {
            Validation = validate ? new ResolverValidation(() => anchor, null) : null,
        };

        foreach (var m in modes)
        {
            bool validate = m.StartsWith("validate", StringComparison.Ordinal), cold = m.EndsWith("cold", StringComparison.Ordinal);
            var warm = Make(validate);
            var first = await warm.ResolveMxAsync("bank.test");
            if (first.TempError is not null || first.Dnssec != (validate ? DnssecStatus.Secure : DnssecStatus.Unchecked))
            {
                Console.Error.WriteLine($"{m}: unexpected answer {first.Dnssec} {first.TempError}");
                return 1;
            }
            for (int i = 0; i < 200; i++) await (cold ? Make(validate) : warm).ResolveMxAsync("bank.test"); // warm-up (JIT)
            long count = 0;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                var r = await (cold ? Make(validate) : warm).ResolveMxAsync("bank.test");
                if (r.TempError is not null) throw new InvalidOperationException(r.TempError);
                count++;
            }
            sw.Stop();
            Console.WriteLine($"{m,-14} {count,8} MX lookups in {sw.Elapsed.TotalSeconds:F2} s: {count / sw.Elapsed.TotalSeconds,9:F0} per second");
        }
        return 0;
    }
}
