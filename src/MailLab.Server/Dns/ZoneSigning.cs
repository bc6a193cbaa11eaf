using System.Collections.Concurrent;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;

namespace MailLab.Server.Dns;

/// <summary>What a signed zone carries besides its records: the RRSIGs by RRset, the NSEC chain, and the ZSK for online signing.</summary>
internal sealed class SignedZoneData
{
    private readonly Dictionary<(string Name, DnsType Type), List<DnsRecord>> rrsigs;
    private readonly List<DnsRecord> nsecs; // canonical order of their owners
    private readonly ConcurrentDictionary<string, DnsRecord> online = new(StringComparer.Ordinal);
    private readonly DnssecKey zsk;
    private readonly uint inception, expiration;

    public SignedZoneData(string origin, IEnumerable<DnsRecord> rrsigRecords, List<DnsRecord> nsecChain, DnssecKey zsk, uint inception, uint expiration)
    {
        Origin = origin;
        rrsigs = rrsigRecords.GroupBy(r => (r.Name, ((RrsigData)r.Data).TypeCovered)).ToDictionary(g => g.Key, g => g.ToList());
        nsecs = nsecChain;
        this.zsk = zsk;
        this.inception = inception;
        this.expiration = expiration;
    }

    public string Origin { get; }

    /// <summary>The RRSIGs over the RRset <paramref name="name"/>/<paramref name="type"/>.</summary>
    public IReadOnlyList<DnsRecord> Rrsigs(string name, DnsType type) => rrsigs.TryGetValue((name, type), out var l) ? l : [];

    /// <summary>
    /// The NSEC that owns <paramref name="name"/>, or else the one that covers it: the last owner before it in
    /// canonical order (RFC 4034 §6.1), the chain wrapping round to the apex.
    /// </summary>
    public DnsRecord NsecFor(string name)
    {
        int lo = 0, hi = nsecs.Count - 1, found = nsecs.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            int c = DnssecCanonical.CompareNames(nsecs[mid].Name, name);
            if (c == 0) return nsecs[mid];
            if (c < 0)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return nsecs[found];
    }

    /// <summary>An RRSIG made now over a synthesized RRset (the RFC 8482 HINFO), with the zone's window; kept per owner.</summary>
    public DnsRecord SignOnline(DnsRecord record) => online.GetOrAdd(record.Name + "/" + record.Type, _ =>
        new DnsRecord(record.Name, DnsType.RRSIG, record.Ttl, RrsigSigner.Sign(zsk, Origin, [record], inception, expiration)));
}

/// <summary>The figures of one zone signing, for the ZoneSigned trace and the bench.</summary>
internal sealed record ZoneSigningReport(string Zone, byte Algorithm, ushort KskTag, ushort ZskTag, int RrsetsSigned, int NsecCount,
    uint Serial, double Milliseconds, string? Broken);

/// <summary>
/// Signs one zone (RFC 4035 §2): DNSKEY RRset (KSK and ZSK) at the apex, an NSEC chain over the
/// authoritative names in canonical order (§2.3), and an RRSIG over every authoritative RRset (§2.2):
/// the DNSKEY RRset by the KSK, the rest by the ZSK; NS at a delegation and glue below it are not signed.
/// Sans-IO: keys and times come in, a new <see cref="Zone"/> comes out.
/// </summary>
internal static class ZoneSigning
{
    /// <summary>The break modes of <c>maillab dns break</c>.</summary>
    public const string ExpiredRrsig = "expired-rrsig", BadDs = "bad-ds";

    /// <summary>Signs <paramref name="zone"/>; <paramref name="delegations"/> are NS/DS records the parent adds for its child zones.</summary>
    public static (Zone Zone, ZoneSigningReport Report) Sign(Zone zone, DnssecKey ksk, DnssecKey zsk, IReadOnlyList<DnsRecord> delegations,
        uint inception, uint expiration, uint serial, string? broken)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        string apex = zone.Origin;
        var soa = zone.Soa with { Data = (SoaData)zone.Soa.Data with { Serial = serial } };
        uint dnskeyTtl = zone.Soa.Ttl;
        // The lab makes DNSKEY, RRSIG and NSEC itself; such records in the file are left out.
        var records = zone.Records
            .Where(r => r.Type is not (DnsType.RRSIG or DnsType.NSEC or DnsType.SOA) && !(r.Name == apex && r.Type is DnsType.DNSKEY or DnsType.DS))
            .Prepend(soa)
            .Concat(delegations.Where(d => !(d.Type == DnsType.NS && zone.At(d.Name).Any(r => r.Type == DnsType.NS))))
            .Append(new DnsRecord(apex, DnsType.DNSKEY, dnskeyTtl, ksk.Dnskey))
            .Append(new DnsRecord(apex, DnsType.DNSKEY, dnskeyTtl, zsk.Dnskey))
            .ToList();
        var cuts = records.Where(r => r.Type == DnsType.NS && r.Name != apex).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        // RFC 4035 §2.2: names below a zone cut (glue) are not authoritative: neither signed nor in the NSEC chain.
        bool Occluded(string name) => cuts.Any(c => name != c && DnsNames.IsAtOrBelow(name, c));
        var byName = records.Where(r => !Occluded(r.Name)).GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var owners = byName.Keys.ToList();
        owners.Sort(DnssecCanonical.NameOrder);
        var soaData = (SoaData)soa.Data;
        uint nsecTtl = Math.Min(soa.Ttl, soaData.Minimum); // RFC 4035 §2.3, RFC 9077 §3
        var nsecs = new List<DnsRecord>(owners.Count);
        for (int i = 0; i < owners.Count; i++)
        {
            var types = byName[owners[i]].Select(r => r.Type).Append(DnsType.RRSIG).Append(DnsType.NSEC).Distinct().Order().ToList();
            nsecs.Add(new DnsRecord(owners[i], DnsType.NSEC, nsecTtl, new NsecData(owners[(i + 1) % owners.Count], types)));
        }
        var jobs = new List<(string Owner, List<DnsRecord> RRset, bool Keys, uint From, uint Until)>();
        for (int i = 0; i < owners.Count; i++)
        {
            string owner = owners[i];
            foreach (var rrset in byName[owner].Append(nsecs[i]).GroupBy(r => r.Type))
            {
                if (rrset.Key == DnsType.NS && cuts.Contains(owner)) continue; // the child's NS is the child's to sign
                var list = rrset.Select(r => r with { Ttl = rrset.First().Ttl }).ToList(); // RFC 2181 §5.2: one TTL per RRset
                bool keys = rrset.Key == DnsType.DNSKEY;
                // expired-rrsig: the ZSK's signatures ended a day ago (RFC 4035 §5.3.1: a validator must reject them).
                (uint from, uint until) = broken == ExpiredRrsig && !keys ? (inception - 8 * 86400, inception - 86400 + 3600) : (inception, expiration);
                jobs.Add((owner, list, keys, from, until));
            }
        }
        var sigs = SignAll(jobs, ksk, zsk, apex);
        int rrsets = sigs.Length;
        var all = records.Concat(nsecs).Concat(sigs).ToList();
        var signed = new Zone(apex, all, zone.Site, zone.File)
        {
            Dnssec = new SignedZoneData(apex, sigs, nsecs, zsk, inception, expiration),
        };
        double ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return (signed, new ZoneSigningReport(apex, ksk.Algorithm, ksk.KeyTag, zsk.KeyTag, rrsets, nsecs.Count, serial, ms, broken));
    }

    /// <summary>
    /// One RRSIG per job, in job order. The private-key operations are most of a re-sign (an RSA-2048 signature
    /// costs about 0.5 ms), so a zone of more than a few RRsets is signed in one slice per core, each slice
    /// with its own copy of the keys.
    /// </summary>
    private static DnsRecord[] SignAll(List<(string Owner, List<DnsRecord> RRset, bool Keys, uint From, uint Until)> jobs,
        DnssecKey ksk, DnssecKey zsk, string apex)
    {
        var sigs = new DnsRecord[jobs.Count];
        int slices = jobs.Count < 16 ? 1 : Math.Min(Environment.ProcessorCount, jobs.Count / 8);
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = slices }, slice =>
        {
            using var k = slice == 0 ? null : ksk.Clone();
            using var z = slice == 0 ? null : zsk.Clone();
            for (int i = slice; i < jobs.Count; i += slices)
            {
                var (owner, list, keys, from, until) = jobs[i];
                var sig = RrsigSigner.Sign(keys ? k ?? ksk : z ?? zsk, apex, list, from, until);
                sigs[i] = new DnsRecord(owner, DnsType.RRSIG, list[0].Ttl, sig);
            }
        });
        return sigs;
    }

    /// <summary>
    /// The serial of the signed copy: the file's serial plus the seconds since 2026-01-01, so it grows with
    /// every re-signing and every raise of the file's serial (RFC 1982 arithmetic, which wraps).
    /// </summary>
    public static uint SignedSerial(uint fileSerial, DateTimeOffset now) =>
        unchecked(fileSerial + (uint)Math.Max(0, now.ToUnixTimeSeconds() - SerialEpoch));

    private const long SerialEpoch = 1_767_225_600; // 2026-01-01T00:00:00Z
}

/// <summary>For bench/dnssec: times <see cref="ZoneSigning.Sign"/> over a zone given as records, with fresh keys.</summary>
public static class ZoneSigningTimer
{
    /// <summary>
    /// The mean wall-clock and process CPU milliseconds (user + system, all threads) of <paramref name="runs"/>
    /// signings of the zone <paramref name="origin"/>: CPU time says what a signing costs when other work shares the cores.
    /// </summary>
    public static (double WallMs, double CpuMs) Measure(string origin, IReadOnlyList<DnsRecord> records, byte algorithm, int runs)
    {
        using var ksk = DnssecKey.Generate(algorithm, DnskeyData.KeySigningKeyFlags);
        using var zsk = DnssecKey.Generate(algorithm, DnskeyData.ZoneKeyFlags);
        var zone = new Zone(origin, records, "bench");
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) ZoneSigning.Sign(zone, ksk, zsk, [], now - 3600, now + 7 * 86400, 1, null);
        double wall = watch.Elapsed.TotalMilliseconds / runs;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalMilliseconds / runs);
    }
}
