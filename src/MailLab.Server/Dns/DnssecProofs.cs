using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>
/// Adds what a DNSSEC-aware client asked for with DO (RFC 4035 §3.1): the RRSIGs of every RRset in the
/// answer (§3.1.1), and for NXDOMAIN and NODATA the SOA's RRSIG and the NSEC records that prove the
/// denial, with their RRSIGs (§3.1.3). Unsigned zones add nothing.
/// </summary>
internal static class DnssecProofs
{
    public static DnsAnswer Add(ZoneSet zones, DnsAnswer answer, string qname, ushort qtype)
    {
        if (answer.Zone is null) return answer;
        var answers = new List<DnsRecord>();
        foreach (var rrset in Runs(answer.Answers))
        {
            answers.AddRange(rrset);
            var r = rrset[0];
            // The DS of a zone is the parent's (RFC 4035 §3.1.4.1); everything else is signed by the zone holding it.
            var zone = r.Type == DnsType.DS && zones.Find(r.Name) is { } z && z.Origin == r.Name ? zones.Parent(z) : zones.Find(r.Name);
            if (zone?.Dnssec is not { } signed) continue;
            if (r.Type == DnsType.HINFO && answer.Last is not null && signed.Rrsigs(r.Name, r.Type).Count == 0)
            {
                answers.Add(signed.SignOnline(r)); // RFC 8482 §4.2: the synthesized HINFO is signed like any RRset
                continue;
            }
            answers.AddRange(signed.Rrsigs(r.Name, r.Type));
        }
        var authority = answer.Authority.ToList();
        if (answer.Last is { Zone.Dnssec: { } proofs } last && authority.Any(a => a.Type == DnsType.SOA))
        {
            string name = last.Name;
            var soa = last.Zone.NegativeSoa;
            var nsec = new List<DnsRecord> { proofs.NsecFor(name) };
            if (answer.Rcode == DnsRcode.NXDomain)
            {
                // RFC 4035 §3.1.3.2: the NSEC covering the name, and the one proving no wildcard at the closest encloser.
                string encloser = name;
                while (encloser != last.Zone.Origin && !last.Zone.Exists(encloser)) encloser = encloser[(encloser.IndexOf('.') + 1)..];
                nsec.Add(proofs.NsecFor("*." + encloser));
            }
            authority = [soa, .. proofs.Rrsigs(soa.Name, DnsType.SOA)];
            foreach (var n in nsec.DistinctBy(n => n.Name))
            {
                authority.Add(n);
                authority.AddRange(proofs.Rrsigs(n.Name, DnsType.NSEC));
            }
        }
        return answer with { Answers = answers, Authority = authority };
    }

    /// <summary>Consecutive records of one owner and type: the RRsets of an answer, in order.</summary>
    private static IEnumerable<List<DnsRecord>> Runs(IReadOnlyList<DnsRecord> records)
    {
        var run = new List<DnsRecord>();
        foreach (var r in records)
        {
            if (run.Count > 0 && (run[0].Name != r.Name || run[0].Type != r.Type))
            {
                yield return run;
                run = [];
            }
            run.Add(r);
        }
        if (run.Count > 0) yield return run;
    }
}
