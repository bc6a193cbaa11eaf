using System.Globalization;
using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Trace;

namespace MailLab.Server.Dns;

/// <summary>
/// Signs the lab's zones (RFC 4033-4035) each time the <see cref="ZoneStore"/> loads an edit, when
/// <c>maillab dns break/repair</c> changes <see cref="BreakFile"/>, and a day after the last signing
/// (signatures are valid from an hour back to <see cref="Validity"/> ahead, so they never run out while the
/// lab runs). Every zone at or below <c>test.</c> is signed unless listed as unsigned; a root zone
/// <c>test.</c> is made when no zone file gives one, holding the NS and DS of every child zone (an
/// unsigned child gets NS only: an insecure delegation), so one KSK, that of <c>test.</c>, anchors the lab.
/// Zones outside <c>test.</c> (the reverse zone 127.in-addr.arpa) have no parent in the lab and are served unsigned.
/// </summary>
internal sealed class ZoneSigner
{
    /// <summary>The lab's root zone, the one trust anchor.</summary>
    public const string Root = "test";

    /// <summary>How far ahead signatures are valid.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);

    /// <summary>Re-signing interval: long before <see cref="Validity"/> runs out.</summary>
    public static readonly TimeSpan ResignAfter = TimeSpan.FromDays(1);

    private readonly byte algorithm;
    private readonly HashSet<string> unsigned;
    private readonly string nsAddress;
    private readonly Tracer? tracer;
    private readonly Dictionary<string, (DnssecKey Ksk, DnssecKey Zsk)> keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Zone Source, string Delegations, string? Broken, DateTimeOffset At, Zone Signed)> cache = new(StringComparer.Ordinal);
    private DateTimeOffset signedAt = DateTimeOffset.MinValue;
    private DateTime breakStamp = DateTime.MinValue;

    /// <param name="directory"><c>&lt;data&gt;/dnssec</c>: keys, break state, trust anchors, signed copies.</param>
    /// <param name="algorithm">13 or 8.</param>
    /// <param name="unsignedZones">Zones served unsigned.</param>
    /// <param name="nsAddress">The lab DNS's address, for the NS of <c>test.</c>.</param>
    /// <param name="tracer">Where ZoneSigned goes; null: not traced (CLI, bench).</param>
    public ZoneSigner(string directory, byte algorithm, IEnumerable<string> unsignedZones, string nsAddress, Tracer? tracer)
    {
        Directory = Path.GetFullPath(directory);
        this.algorithm = algorithm;
        unsigned = unsignedZones.Select(DnsNames.Normalize).ToHashSet(StringComparer.Ordinal);
        this.nsAddress = nsAddress;
        this.tracer = tracer;
    }

    /// <summary>The key, state and anchor directory.</summary>
    public string Directory { get; }

    /// <summary>The break state: lines <c>ZONE MODE</c> written by <c>maillab dns break</c>.</summary>
    public string BreakFile => Path.Combine(Directory, "broken");

    /// <summary>The trust anchor for delv and BIND (<c>trust-anchors { test. static-ds ...; };</c>).</summary>
    public string BindAnchorFile => Path.Combine(Directory, "trust-anchors.conf");

    /// <summary>The trust anchor for Unbound's trust-anchor-file: the DS of <c>test.</c> as a zone-file line.</summary>
    public string DsAnchorFile => Path.Combine(Directory, "test.ds");

    /// <summary>Where the signed copy of a zone is written after each signing (<c>maillab dns export</c>).</summary>
    public string SignedFile(string zone) => Path.Combine(Directory, DnsNames.Normalize(zone), "signed.zone");

    /// <summary>Whether a zone of this origin is signed.</summary>
    public bool IsSigned(string origin) => DnsNames.IsAtOrBelow(origin, Root) && !unsigned.Contains(origin);

    /// <summary>True when the break state changed or the last signing is a day old.</summary>
    public bool NeedsResign(DateTimeOffset now) => now - signedAt >= ResignAfter || BreakStamp() != breakStamp;

    private DateTime BreakStamp() => File.Exists(BreakFile) ? File.GetLastWriteTimeUtc(BreakFile) : DateTime.MinValue;

    /// <summary>The broken zones and their modes, as <see cref="BreakFile"/> says.</summary>
    public IReadOnlyDictionary<string, string> Broken()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(BreakFile)) return map;
        foreach (var line in File.ReadAllLines(BreakFile))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] is ZoneSigning.ExpiredRrsig or ZoneSigning.BadDs) map[DnsNames.Normalize(parts[0])] = parts[1];
        }
        return map;
    }

    /// <summary>
    /// Sets (<paramref name="mode"/> <c>expired-rrsig</c> or <c>bad-ds</c>) or clears (null) the break of a zone in
    /// <c>&lt;dnssec&gt;/broken</c>; a running lab re-signs on its next poll. False with a reason for an unknown mode.
    /// </summary>
    public static bool SetBroken(string directory, string zone, string? mode, out string? problem)
    {
        problem = null;
        if (mode is not (null or ZoneSigning.ExpiredRrsig or ZoneSigning.BadDs))
        {
            problem = $"unknown break '{mode}': use {ZoneSigning.ExpiredRrsig} or {ZoneSigning.BadDs}";
            return false;
        }
        zone = DnsNames.Normalize(zone);
        if (!DnsNames.CanExist(zone))
        {
            problem = $"'{zone}' is not a zone name";
            return false;
        }
        System.IO.Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, "broken");
        var lines = File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } z && DnsNames.Normalize(z) != zone).ToList() : [];
        if (mode is not null) lines.Add($"{zone} {mode}");
        string tmp = file + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, file, overwrite: true);
        return true;
    }

    /// <summary>The zones of <paramref name="input"/>, signed, with <c>test.</c> added when missing.</summary>
    public ZoneSet Sign(ZoneSet input, DateTimeOffset now)
    {
        breakStamp = BreakStamp();
        var broken = Broken();
        if (now - signedAt >= ResignAfter) signedAt = now;
        var zones = input.Zones.ToList();
        if (!zones.Any(z => z.Origin == Root)) zones.Add(RootZone());
        var result = new List<Zone>();
        foreach (var zone in zones)
        {
            var delegations = new List<DnsRecord>();
            foreach (var child in zones.Where(c => c != zone && Parent(zones, c) == zone))
            {
                delegations.AddRange(child.At(child.Origin).Where(r => r.Type == DnsType.NS));
                if (!IsSigned(child.Origin)) continue; // RFC 4035 §2.4: no DS, an insecure delegation
                var ds = DnssecCanonical.Ds(child.Origin, Keys(child.Origin).Ksk.Dnskey);
                // bad-ds: the parent publishes a digest that matches no key of the child.
                if (broken.GetValueOrDefault(child.Origin) == ZoneSigning.BadDs) ds = ds with { Digest = [.. ds.Digest[..^1], (byte)(ds.Digest[^1] ^ 0xFF)] };
                delegations.Add(new DnsRecord(child.Origin, DnsType.DS, zone.Soa.Ttl, ds));
            }
            if (!IsSigned(zone.Origin))
            {
                result.Add(delegations.Count == 0 ? zone : new Zone(zone.Origin, [.. zone.Records, .. delegations], zone.Site, zone.File));
                continue;
            }
            string key = string.Join('\n', delegations.Select(d => d.ToString()));
            string? mode = broken.GetValueOrDefault(zone.Origin);
            if (cache.TryGetValue(zone.Origin, out var c) && c.Source == zone && c.Delegations == key && c.Broken == mode && c.At == signedAt)
            {
                result.Add(c.Signed);
                continue;
            }
            var (ksk, zsk) = Keys(zone.Origin);
            uint inception = (uint)(signedAt - TimeSpan.FromHours(1)).ToUnixTimeSeconds();
            uint expiration = (uint)(signedAt + Validity).ToUnixTimeSeconds();
            uint serial = ZoneSigning.SignedSerial(((SoaData)zone.Soa.Data).Serial, now);
            // bad-ds is the parent's fault: the child itself is signed as usual.
            var (signed, report) = ZoneSigning.Sign(zone, ksk, zsk, delegations, inception, expiration, serial,
                mode == ZoneSigning.ExpiredRrsig ? mode : null);
            report = report with { Broken = mode };
            cache[zone.Origin] = (zone, key, mode, signedAt, signed);
            result.Add(signed);
            WriteSignedCopy(signed);
            Trace(zone.Site, report);
        }
        WriteTrustAnchors();
        return new ZoneSet(result);
    }

    /// <summary>The closest other zone that contains <paramref name="child"/>, or null.</summary>
    private static Zone? Parent(List<Zone> zones, Zone child) => zones
        .Where(p => p != child && p.Origin != child.Origin && DnsNames.IsAtOrBelow(child.Origin, p.Origin))
        .OrderByDescending(p => p.Origin.Length).FirstOrDefault();

    /// <summary>The root zone <c>test.</c> when no file gives one: SOA, NS ns.test. and its address.</summary>
    private Zone RootZone()
    {
        var records = new List<DnsRecord>
        {
            new(Root, DnsType.SOA, 3600, new SoaData("ns.test", "hostmaster.test", 1, 3600, 900, 604800, 300)),
            new(Root, DnsType.NS, 3600, new NameData("ns.test")),
        };
        if (IPAddress.TryParse(nsAddress, out var address)) records.Add(new("ns.test", DnsType.A, 3600, new AddressData(address)));
        return new Zone(Root, records, "lab");
    }

    /// <summary>The KSK and ZSK of a zone: read from <c>&lt;zone&gt;/ksk-ALG.pem</c> and <c>zsk-ALG.pem</c>, made (0600) when missing.</summary>
    public (DnssecKey Ksk, DnssecKey Zsk) Keys(string zone)
    {
        zone = DnsNames.Normalize(zone);
        if (keys.TryGetValue(zone, out var k)) return k;
        string dir = Path.Combine(Directory, zone);
        System.IO.Directory.CreateDirectory(dir);
        k = (Key(dir, "ksk", DnskeyData.KeySigningKeyFlags), Key(dir, "zsk", DnskeyData.ZoneKeyFlags));
        return keys[zone] = k;
    }

    private DnssecKey Key(string dir, string role, ushort flags)
    {
        string file = Path.Combine(dir, $"{role}-{algorithm.ToString(CultureInfo.InvariantCulture)}.pem");
        if (File.Exists(file) && DnssecKey.Import(File.ReadAllText(file), algorithm, flags, out _) is { } loaded) return loaded;
        var key = DnssecKey.Generate(algorithm, flags);
        WritePrivate(file, key.ExportPrivateKeyPem());
        return key;
    }

    private static void WritePrivate(string file, string text)
    {
        string tmp = file + ".tmp";
        using (var s = new StreamWriter(Store.DurableFile.CreateFresh(tmp, secret: true))) s.Write(text);
        File.Move(tmp, file, overwrite: true);
    }

    /// <summary>The DS of the <c>test.</c> KSK: the lab's one trust anchor.</summary>
    public DsData TrustAnchor() => DnssecCanonical.Ds(Root, Keys(Root).Ksk.Dnskey);

    private void WriteTrustAnchors()
    {
        var ds = TrustAnchor();
        string bind = $"trust-anchors {{\n    test. static-ds {ds.KeyTag} {ds.Algorithm} {ds.DigestType} \"{Convert.ToHexString(ds.Digest)}\";\n}};\n";
        string unbound = $"test. 3600 IN DS {ds.ToZoneText()}\n";
        if (!File.Exists(BindAnchorFile) || File.ReadAllText(BindAnchorFile) != bind) File.WriteAllText(BindAnchorFile, bind);
        if (!File.Exists(DsAnchorFile) || File.ReadAllText(DsAnchorFile) != unbound) File.WriteAllText(DsAnchorFile, unbound);
    }

    private void WriteSignedCopy(Zone signed)
    {
        string file = SignedFile(signed.Origin);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var lines = signed.Records.OrderBy(r => r.Name, DnssecCanonical.NameOrder).ThenBy(r => r.Type != DnsType.SOA).ThenBy(r => (ushort)r.Type)
            .Select(r => r.ToString());
        string tmp = file + ".tmp";
        File.WriteAllText(tmp, $"; {DnsNames.Absolute(signed.Origin)} as the lab DNS serves it, signed\n" + string.Join('\n', lines) + "\n");
        File.Move(tmp, file, overwrite: true);
    }

    private void Trace(string site, ZoneSigningReport r)
    {
        if (tracer is null) return;
        string broken = r.Broken is null ? "" : $"; BROKEN on purpose: {r.Broken}";
        tracer.ForLab(LabOrigin.Host, site, TraceRole.DNS).Emit(TraceKind.ZoneSigned,
            $"zone {DnsNames.Absolute(r.Zone)} signed with {DnssecAlgorithm.Name(r.Algorithm)} (KSK {r.KskTag}, ZSK {r.ZskTag}): {r.RrsetsSigned} RRsets, {r.NsecCount} NSEC, serial {r.Serial}, {r.Milliseconds:0.0} ms{broken}",
            ("Zone", r.Zone), ("Algorithm", (int)r.Algorithm), ("KskTag", (int)r.KskTag), ("ZskTag", (int)r.ZskTag), ("Rrsets", r.RrsetsSigned),
            ("Nsec", r.NsecCount), ("Serial", (long)r.Serial), ("Milliseconds", Math.Round(r.Milliseconds, 2)), ("Broken", r.Broken));
    }
}
