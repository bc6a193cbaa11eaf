using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>One loaded zone: its origin, SOA and records by owner name. Immutable; a reload builds a new one.</summary>
internal sealed class Zone
{
    private readonly Dictionary<string, List<DnsRecord>> byName;
    private readonly HashSet<string> nonTerminals = new(StringComparer.Ordinal);

    /// <summary>Builds a zone from records that <see cref="ZoneFileParser"/> accepted (exactly one SOA, all names inside).</summary>
    public Zone(string origin, IReadOnlyList<DnsRecord> records, string site, string? file = null)
    {
        Origin = DnsNames.Normalize(origin);
        Records = records;
        Site = site;
        File = file;
        Soa = records.Single(r => r.Type == DnsType.SOA);
        byName = records.GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        // Names between the origin and a deeper owner exist (empty non-terminals): they answer NODATA, not NXDOMAIN (RFC 8020).
        foreach (string name in byName.Keys)
        {
            string n = name;
            while (n != Origin && n.IndexOf('.') is var dot and >= 0)
            {
                n = n[(dot + 1)..];
                nonTerminals.Add(n);
            }
        }
    }

    /// <summary>From a successful parse.</summary>
    public static Zone FromParse(ZoneParseResult parsed, string site, string? file = null) =>
        parsed.Ok ? new Zone(parsed.Origin!, parsed.Records, site, file) : throw new ArgumentException("the zone file has errors", nameof(parsed));

    /// <summary>The zone's top name (lower case, no trailing dot).</summary>
    public string Origin { get; }

    /// <summary>The lab site the zone belongs to, or "lab" (reverse zones).</summary>
    public string Site { get; }

    /// <summary>The file it was read from, if any.</summary>
    public string? File { get; }

    /// <summary>The SOA record.</summary>
    public DnsRecord Soa { get; }

    /// <summary>The signatures and NSEC chain when the zone is signed (RFC 4035 §2); null when served unsigned.</summary>
    public SignedZoneData? Dnssec { get; init; }

    /// <summary>All records in file order.</summary>
    public IReadOnlyList<DnsRecord> Records { get; }

    /// <summary>Records owned by <paramref name="name"/>; empty when there are none.</summary>
    public IReadOnlyList<DnsRecord> At(string name) => byName.TryGetValue(name, out var list) ? list : [];

    /// <summary>True when the name exists: it owns records or lies above a name that does.</summary>
    public bool Exists(string name) => byName.ContainsKey(name) || nonTerminals.Contains(name);

    /// <summary>
    /// The SOA for a negative answer: its TTL is the lesser of the SOA's TTL and its minimum field (RFC 2308 §3).
    /// </summary>
    public DnsRecord NegativeSoa => Soa with { Ttl = Math.Min(Soa.Ttl, ((SoaData)Soa.Data).Minimum) };
}

/// <summary>The zones served at one moment; a reload swaps in a new set.</summary>
internal sealed class ZoneSet
{
    /// <summary>Longest origin first, so the most specific zone wins.</summary>
    public ZoneSet(IEnumerable<Zone> zones) => Zones = zones.OrderByDescending(z => z.Origin.Length).ToList();

    /// <summary>An empty set.</summary>
    public static ZoneSet Empty { get; } = new([]);

    /// <summary>The zones, most specific first.</summary>
    public IReadOnlyList<Zone> Zones { get; }

    /// <summary>The zone that holds <paramref name="name"/>, or null when the lab is not authoritative for it.</summary>
    public Zone? Find(string name) => Zones.FirstOrDefault(z => DnsNames.IsAtOrBelow(name, z.Origin));

    /// <summary>The closest zone above <paramref name="zone"/> (the one holding its delegation), or null.</summary>
    public Zone? Parent(Zone zone) => Zones.FirstOrDefault(z => z.Origin != zone.Origin && DnsNames.IsAtOrBelow(zone.Origin, z.Origin));
}
