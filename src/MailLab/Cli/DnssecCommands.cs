using System.CommandLine;
using MailLab.Server.Dns;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab dns break ZONE expired-rrsig|bad-ds</c>, <c>maillab dns repair ZONE</c> and <c>maillab dns export ZONE</c>:
/// the DNSSEC exercise's tools; and the trust anchor lines <c>maillab dns</c> prints.
/// </summary>
internal static class DnssecCommands
{
    public static void AddTo(Command dns)
    {
        var zone = new Argument<string>("ZONE") { Description = "The zone, e.g. bank.test" };
        var mode = new Argument<string>("MODE") { Description = "expired-rrsig (its signatures ended a day ago) or bad-ds (test.'s DS for it matches no key)" };
        var data = CommonOptions.Data();
        var brk = new Command("break", "Serve a zone with broken DNSSEC on purpose (the running lab re-signs within a second)");
        brk.Arguments.Add(zone);
        brk.Arguments.Add(mode);
        brk.Options.Add(data);
        brk.SetAction(parse => CommonOptions.Existing(parse.GetValue(data)) is { } dir ? Set(dir, parse.GetValue(zone)!, parse.GetValue(mode)) : 1);
        dns.Subcommands.Add(brk);

        var rzone = new Argument<string>("ZONE") { Description = "The zone, e.g. bank.test" };
        var rdata = CommonOptions.Data();
        var repair = new Command("repair", "Serve a broken zone correctly signed again");
        repair.Arguments.Add(rzone);
        repair.Options.Add(rdata);
        repair.SetAction(parse => CommonOptions.Existing(parse.GetValue(rdata)) is { } dir ? Set(dir, parse.GetValue(rzone)!, null) : 1);
        dns.Subcommands.Add(repair);

        var ezone = new Argument<string>("ZONE") { Description = "The zone, e.g. bank.test or test" };
        var edata = CommonOptions.Data();
        var export = new Command("export", "Print a zone as the lab DNS serves it, signed (for ldns-verify-zone or reading)");
        export.Arguments.Add(ezone);
        export.Options.Add(edata);
        export.SetAction(parse => CommonOptions.Existing(parse.GetValue(edata)) is { } dir ? Export(dir, parse.GetValue(ezone)!) : 1);
        dns.Subcommands.Add(export);
    }

    private static int Set(string data, string zone, string? mode)
    {
        string origin = zone.TrimEnd('.').ToLowerInvariant();
        if (origin != DnssecFiles.Root && !File.Exists(Path.Combine(data, "zones", origin + ".zone")))
        {
            Console.Error.WriteLine($"maillab: no zone {origin}. in {Path.Combine(data, "zones")}");
            return 1;
        }
        if (!DnssecFiles.SetBroken(data, origin, mode, out string? problem))
        {
            Console.Error.WriteLine($"maillab: {problem}");
            return 1;
        }
        Console.WriteLine(mode is null
            ? $"{origin}. repaired: the running lab signs it correctly again within a second (trace: ZoneSigned)"
            : $"{origin}. broken ({mode}): the running lab serves it so within a second (trace: ZoneSigned with Broken {mode}); 'maillab dns repair {origin}' undoes it");
        return 0;
    }

    private static int Export(string data, string zone)
    {
        if (DnssecFiles.SignedZone(data, zone) is not { } file)
        {
            Console.Error.WriteLine($"maillab: no signed copy of {zone.TrimEnd('.')}. in {DnssecFiles.Directory(data)}: the zone is unsigned, or the lab has not served it yet ('maillab up')");
            return 1;
        }
        Console.Write(File.ReadAllText(file));
        return 0;
    }

    /// <summary>The DNSSEC lines of <c>maillab dns</c>: the trust anchor and any broken zone.</summary>
    public static void List(string data)
    {
        if (DnssecFiles.TrustAnchors(data) is not { } anchors)
        {
            Console.WriteLine("DNSSEC: no trust anchor yet (the lab writes it on start)");
            return;
        }
        Console.WriteLine($"DNSSEC trust anchor (the KSK of test.): {File.ReadAllText(anchors.Unbound).Trim()}");
        Console.WriteLine($"  delv/BIND: {anchors.Bind}   (delv @ADDR -p PORT -a {anchors.Bind} +root=test mx bank.test)");
        Console.WriteLine($"  Unbound:   {anchors.Unbound}   (trust-anchor-file)");
        foreach (var (z, m) in DnssecFiles.Broken(data)) Console.WriteLine($"  BROKEN on purpose: {z}. {m} ('maillab dns repair {z}')");
    }
}
