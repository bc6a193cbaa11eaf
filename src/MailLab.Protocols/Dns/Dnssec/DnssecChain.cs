namespace MailLab.Protocols.Dns.Dnssec;

/// <summary>What validation says of an answer (RFC 4035 §4.3).</summary>
public enum ValidationStatus
{
    /// <summary>A chain of verified DNSKEY and DS RRsets from the trust anchor reaches the answer.</summary>
    Secure,

    /// <summary>A verified proof (NSEC, or a DS RRset of unsupported algorithms only) says the answer's zone is unsigned.</summary>
    Insecure,

    /// <summary>The chain says the answer should be signed, but a signature, key, digest or denial does not check.</summary>
    Bogus,

    /// <summary>No trust anchor covers the name, or a part of the chain is missing.</summary>
    Indeterminate,
}

/// <summary>One RRset (one owner, one type) with the RRSIGs that came with it.</summary>
public sealed record SignedRRset(string Owner, DnsType Type, IReadOnlyList<DnsRecord> Records, IReadOnlyList<RrsigData> Signatures)
{
    /// <summary>
    /// The <paramref name="type"/> RRset at <paramref name="owner"/> in <paramref name="records"/> (a response
    /// section), with the RRSIGs there that cover it; null when there is no such record.
    /// </summary>
    public static SignedRRset? From(IEnumerable<DnsRecord> records, string owner, DnsType type)
    {
        owner = DnsNames.Normalize(owner);
        var all = records.Where(r => DnsNames.Normalize(r.Name) == owner).ToList();
        var set = all.Where(r => r.Type == type).ToList();
        if (set.Count == 0) return null;
        var sigs = all.Select(r => r.Data).OfType<RrsigData>().Where(s => s.TypeCovered == type).ToList();
        return new SignedRRset(owner, type, set, sigs);
    }

    /// <summary>Every NSEC RRset in <paramref name="records"/>, each with its RRSIGs.</summary>
    public static IReadOnlyList<SignedRRset> Nsecs(IEnumerable<DnsRecord> records)
    {
        var list = records.ToList();
        return list.Where(r => r.Type == DnsType.NSEC).Select(r => DnsNames.Normalize(r.Name)).Distinct()
            .Select(o => From(list, o, DnsType.NSEC)!).ToList();
    }
}

/// <summary>
/// One zone on the chain from the trust anchor down: its DNSKEY RRset, and how the parent vouches for it:
/// the DS RRset at the zone's name (signed by the parent), or the parent's NSEC proving there is no DS
/// (an insecure delegation, RFC 4035 §5.2). For the trust anchor's own zone both are ignored.
/// </summary>
public sealed record ChainZone(string Name, SignedRRset? Dnskey, SignedRRset? Ds = null, IReadOnlyList<SignedRRset>? NoDsProof = null);

/// <summary>
/// A trust anchor (RFC 4033 §2): DS data or DNSKEY data for one zone (the lab's <c>test.</c>).
/// </summary>
public sealed record TrustAnchor(string Zone, IReadOnlyList<DsData> Ds, IReadOnlyList<DnskeyData> Keys)
{
    /// <summary>A trust anchor given as DS records.</summary>
    public static TrustAnchor FromDs(string zone, params DsData[] ds) => new(DnsNames.Normalize(zone), ds, []);

    /// <summary>A trust anchor given as DNSKEY records.</summary>
    public static TrustAnchor FromKeys(string zone, params DnskeyData[] keys) => new(DnsNames.Normalize(zone), [], keys);
}

/// <summary>
/// The answer to validate: the RRset asked for, or a negative answer (<paramref name="NxDomain"/>, or
/// NODATA when <paramref name="RRset"/> is null) with the NSEC RRsets of its authority section.
/// </summary>
public sealed record DnssecAnswer(string Name, DnsType Type, SignedRRset? RRset, IReadOnlyList<SignedRRset> Denial, bool NxDomain = false);

/// <summary>Limits of one validation (KeyTrap, CVE-2023-50387: bounded work per answer whatever the zones hold).</summary>
public sealed record DnssecLimits(int MaxKeysPerSignature = 4, int MaxSignatureChecks = 32, int MaxChainDepth = 8)
{
    /// <summary>The limits the lab uses.</summary>
    public static DnssecLimits Default { get; } = new();
}

/// <summary>
/// The outcome of one validation: the status, the reason when it is not secure, the steps taken (in
/// order, one readable line each) and the number of signature verifications made.
/// </summary>
public sealed record DnssecValidation(ValidationStatus Status, string? Reason, IReadOnlyList<string> Steps, int SignatureChecks);
