namespace MailLab.Protocols.Dns.Dnssec;

/// <summary>
/// What NSEC records prove (RFC 4035 §5.4, RFC 4034 §4, RFC 6840 §4.1, §4.4): a name does not exist, a
/// name has no records of a type, a delegation has no DS. Only the names and bitmaps are read here; the
/// validator verifies the NSEC RRsets' signatures before it trusts them.
/// </summary>
public static class DnssecDenial
{
    /// <summary>Whether the NSEC at <paramref name="owner"/> with next name <paramref name="next"/> covers <paramref name="name"/>: owner &lt; name &lt; next in canonical order, the last NSEC of a zone wrapping to the apex.</summary>
    public static bool Covers(string owner, string next, string name)
    {
        owner = DnsNames.Normalize(owner);
        next = DnsNames.Normalize(next);
        name = DnsNames.Normalize(name);
        int afterOwner = DnssecCanonical.CompareNames(name, owner);
        int beforeNext = DnssecCanonical.CompareNames(name, next);
        if (DnssecCanonical.CompareNames(owner, next) < 0) return afterOwner > 0 && beforeNext < 0;
        return afterOwner > 0 || beforeNext < 0; // the last NSEC: next is the apex (RFC 4034 §4.1.1)
    }

    /// <summary>
    /// RFC 4035 §5.3.4 (and §3.1.3.3): an RRset at <paramref name="name"/> expanded from the wildcard whose RRSIG has
    /// <paramref name="labels"/> labels needs an NSEC covering <paramref name="name"/>: the name itself does not exist.
    /// The step, or null with <paramref name="failure"/>.
    /// </summary>
    public static string? ProveWildcardExpansion(string name, int labels, IReadOnlyList<SignedRRset> nsecs, out string? failure)
    {
        failure = null;
        name = DnsNames.Normalize(name);
        var parts = name.Split('.');
        string source = "*" + (labels == 0 ? "" : "." + string.Join('.', parts[^labels..]));
        var cover = nsecs.FirstOrDefault(n => n.Records[0].Data is NsecData d && Covers(n.Owner, d.NextName, name));
        if (cover is null)
        {
            failure = $"{DnsNames.Absolute(name)} was answered from the wildcard {DnsNames.Absolute(source)}, but no NSEC proves that {DnsNames.Absolute(name)} itself does not exist";
            return null;
        }
        var c = (NsecData)cover.Records[0].Data;
        return $"wildcard {DnsNames.Absolute(source)} expanded for {DnsNames.Absolute(name)}: NSEC {DnsNames.Absolute(cover.Owner)} -> {DnsNames.Absolute(c.NextName)} proves no closer match";
    }

    /// <summary>
    /// RFC 4035 §3.1.3.1: NODATA is proven by the NSEC at the name whose bitmap has neither the type nor a
    /// CNAME. The step, or null with <paramref name="failure"/>.
    /// </summary>
    public static string? ProveNoData(string name, DnsType type, IReadOnlyList<SignedRRset> nsecs, out string? failure)
    {
        failure = null;
        var at = nsecs.FirstOrDefault(n => n.Owner == name);
        if (at?.Records[0].Data is not NsecData nsec)
        {
            failure = $"no NSEC at {DnsNames.Absolute(name)} proves it has no {DnssecText.TypeName(type)} records";
            return null;
        }
        if (nsec.Types.Contains(type) || nsec.Types.Contains(DnsType.CNAME))
        {
            failure = $"the NSEC at {DnsNames.Absolute(name)} lists {(nsec.Types.Contains(type) ? DnssecText.TypeName(type) : "CNAME")}, so it cannot prove NODATA";
            return null;
        }
        return $"NSEC at {DnsNames.Absolute(name)} ({string.Join(' ', nsec.Types.Select(DnssecText.TypeName))}) proves NODATA for {DnssecText.TypeName(type)}";
    }

    /// <summary>
    /// RFC 4035 §3.1.3.2, §5.4: NXDOMAIN needs an NSEC covering the name and one covering the wildcard at
    /// its closest encloser (no wildcard could have answered). The step, or null with <paramref name="failure"/>.
    /// </summary>
    public static string? ProveNxDomain(string name, string zone, IReadOnlyList<SignedRRset> nsecs, out string? failure)
    {
        failure = null;
        var cover = nsecs.FirstOrDefault(n => n.Records[0].Data is NsecData d && Covers(n.Owner, d.NextName, name));
        if (cover?.Records[0].Data is not NsecData c)
        {
            failure = $"no NSEC covers {DnsNames.Absolute(name)}, so NXDOMAIN is not proven";
            return null;
        }
        // RFC 6840 §4.1: an NSEC at a delegation (NS without SOA) speaks for the parent only, not for names below it.
        if (c.Types.Contains(DnsType.NS) && !c.Types.Contains(DnsType.SOA) && DnsNames.IsAtOrBelow(name, cover.Owner))
        {
            failure = $"the NSEC at the delegation {DnsNames.Absolute(cover.Owner)} cannot deny {DnsNames.Absolute(name)}";
            return null;
        }
        string encloser = ClosestEncloser(name, cover.Owner, DnsNames.Normalize(c.NextName));
        if (!DnsNames.IsAtOrBelow(encloser, zone)) encloser = zone;
        string wildcard = "*." + encloser;
        if (nsecs.Any(n => n.Owner == wildcard))
        {
            failure = $"{DnsNames.Absolute(wildcard)} exists, so {DnsNames.Absolute(name)} should have been answered from it";
            return null;
        }
        if (!nsecs.Any(n => n.Records[0].Data is NsecData d && Covers(n.Owner, d.NextName, wildcard)))
        {
            failure = $"no NSEC covers the wildcard {DnsNames.Absolute(wildcard)}, so NXDOMAIN is not proven";
            return null;
        }
        return $"NSEC {DnsNames.Absolute(cover.Owner)} -> {DnsNames.Absolute(c.NextName)} proves NXDOMAIN for {DnsNames.Absolute(name)}, and no wildcard {DnsNames.Absolute(wildcard)}";
    }

    /// <summary>
    /// RFC 4035 §5.2, RFC 6840 §4.4: an insecure delegation is proven by the parent's NSEC at the child's
    /// name with NS set and neither DS nor SOA. The step, or null with <paramref name="failure"/>.
    /// </summary>
    public static string? ProveNoDs(string child, IReadOnlyList<SignedRRset> nsecs, out string? failure)
    {
        failure = null;
        var at = nsecs.FirstOrDefault(n => n.Owner == child);
        if (at?.Records[0].Data is not NsecData nsec)
        {
            failure = $"no NSEC at {DnsNames.Absolute(child)} proves it has no DS";
            return null;
        }
        if (nsec.Types.Contains(DnsType.DS) || nsec.Types.Contains(DnsType.SOA) || !nsec.Types.Contains(DnsType.NS))
        {
            failure = $"the NSEC at {DnsNames.Absolute(child)} ({string.Join(' ', nsec.Types.Select(DnssecText.TypeName))}) is not a delegation without DS (NS, no DS, no SOA)";
            return null;
        }
        return $"NSEC at {DnsNames.Absolute(child)} ({string.Join(' ', nsec.Types.Select(DnssecText.TypeName))}) proves no DS: {DnsNames.Absolute(child)} is unsigned";
    }

    // The longest ancestor of name that is an ancestor of (or equal to) the NSEC's owner or next name (RFC 4035 §5.4).
    private static string ClosestEncloser(string name, string owner, string next)
    {
        string best = "";
        foreach (var other in new[] { owner, next })
        {
            string common = CommonSuffix(name, other);
            if (common.Length > best.Length) best = common;
        }
        return best;
    }

    private static string CommonSuffix(string a, string b)
    {
        string[] la = a.Split('.'), lb = b.Split('.');
        int n = 0;
        while (n < la.Length && n < lb.Length && la[^(n + 1)] == lb[^(n + 1)]) n++;
        if (n == la.Length) n--; // an encloser is a proper ancestor of the name
        return n <= 0 ? "" : string.Join('.', la[^n..]);
    }
}
