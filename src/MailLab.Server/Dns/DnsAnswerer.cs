using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>The answer to one question, before it is put on the wire.</summary>
internal sealed record DnsAnswer(DnsRcode Rcode, bool Authoritative, IReadOnlyList<DnsRecord> Answers, IReadOnlyList<DnsRecord> Authority, Zone? Zone)
{
    /// <summary>The zone and name the answer ended at (after any CNAME chain), for the DNSSEC proofs.</summary>
    public (Zone Zone, string Name)? Last { get; init; }

    /// <summary>"NOERROR", "NXDOMAIN" ... as dig prints the status.</summary>
    public string Status => DnsAnswerer.StatusName(Rcode);
}

/// <summary>
/// Answers questions from the lab zones, without I/O: authoritative only, never recursive.
/// </summary>
internal static class DnsAnswerer
{
    /// <summary>Longest CNAME chain followed, so a loop in a student's zone ends.</summary>
    public const int MaxChain = 8;

    /// <summary>TTL of the synthesized RFC 8482 HINFO (an hour, like the lab's own records).</summary>
    public const uint AnyHinfoTtl = 3600;

    /// <summary>
    /// Answers <paramref name="qname"/>/<paramref name="qtype"/> (class IN) from <paramref name="zones"/>; with
    /// <paramref name="dnssec"/> (the query's DO bit, RFC 3225) the RRSIGs and NSEC proofs of signed zones are added.
    /// </summary>
    public static DnsAnswer Answer(ZoneSet zones, string qname, ushort qtype, bool dnssec = false)
    {
        string name = DnsNames.Normalize(qname);
        Zone? first = zones.Find(name);
        if (first is null)
        {
            // Not ours, and we do not recurse (RA=0): refuse rather than pretend (RFC 1035 §4.1.1).
            return new DnsAnswer(DnsRcode.Refused, false, [], [], null);
        }
        // RFC 4035 §3.1.4.1: a DS lives in the parent zone; when the lab serves the parent, it answers.
        if (qtype == (ushort)DnsType.DS && first.Origin == name && zones.Parent(first) is { } parent) first = parent;
        var full = Answer(zones, first, name, qtype);
        return dnssec ? DnssecProofs.Add(zones, full, name, qtype) : full;
    }

    private static DnsAnswer Answer(ZoneSet zones, Zone first, string name, ushort qtype)
    {
        var answers = new List<DnsRecord>();
        Zone zone = first;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            if (!zone.Exists(name))
            {
                // RFC 2308 §2.1: NXDOMAIN with the SOA in authority; a CNAME chain keeps its CNAMEs (RFC 6604 §3).
                return new DnsAnswer(DnsRcode.NXDomain, true, answers, [zone.NegativeSoa], first) { Last = (zone, name) };
            }
            var here = zone.At(name);
            var cname = here.FirstOrDefault(r => r.Type == DnsType.CNAME);
            if (cname is not null && qtype != (ushort)DnsType.CNAME && qtype != (ushort)DnsType.ANY)
            {
                // RFC 1034 §3.6.2 and §4.3.2 step 3a: give the CNAME and go on with its target.
                answers.Add(cname);
                seen.Add(name);
                string target = ((NameData)cname.Data).Target;
                Zone? next = zones.Find(target);
                if (next is null || seen.Contains(target) || seen.Count >= MaxChain)
                {
                    return new DnsAnswer(DnsRcode.NoError, true, answers, [], first);
                }
                (name, zone) = (target, next);
                continue;
            }
            if (qtype == (ushort)DnsType.ANY && here.Count > 0)
            {
                // RFC 8482 §4.2: ANY gets one synthesized HINFO "RFC8482" "" instead of every RRset,
                // so the lab DNS is no amplifier; a client that wants a type asks for it.
                answers.Add(new DnsRecord(name, DnsType.HINFO, AnyHinfoTtl, new HinfoData("RFC8482", "")));
                return new DnsAnswer(DnsRcode.NoError, true, answers, [], first) { Last = (zone, name) };
            }
            var matching = here.Where(r => (ushort)r.Type == qtype).ToList();
            if (matching.Count == 0)
            {
                // RFC 2308 §2.2: NODATA is NOERROR with an empty answer and the SOA in authority.
                return new DnsAnswer(DnsRcode.NoError, true, answers, [zone.NegativeSoa], first) { Last = (zone, name) };
            }
            answers.AddRange(matching);
            return new DnsAnswer(DnsRcode.NoError, true, answers, [], first) { Last = (zone, name) };
        }
    }

    /// <summary>The status names dig prints.</summary>
    public static string StatusName(DnsRcode rcode) => rcode switch
    {
        DnsRcode.NoError => "NOERROR",
        DnsRcode.FormErr => "FORMERR",
        DnsRcode.ServFail => "SERVFAIL",
        DnsRcode.NXDomain => "NXDOMAIN",
        DnsRcode.NotImp => "NOTIMP",
        DnsRcode.Refused => "REFUSED",
        _ => ((int)rcode).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The name of a query type, or TYPEnnn (RFC 3597 §5).</summary>
    public static string TypeName(ushort qtype) =>
        Enum.IsDefined((DnsType)qtype) ? ((DnsType)qtype).ToString() : $"TYPE{qtype}";
}
