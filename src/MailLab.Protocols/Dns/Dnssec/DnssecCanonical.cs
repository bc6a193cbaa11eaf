using System.Buffers.Binary;
using System.Text;

namespace MailLab.Protocols.Dns.Dnssec;

/// <summary>
/// The canonical form and order of names, records and RRsets (RFC 4034 §6.1-6.3), the key tag
/// (Appendix B), the DS digest (RFC 4509 §2.1) and the data an RRSIG signs (§3.1.8.1). Sans-IO.
/// </summary>
public static class DnssecCanonical
{
    /// <summary>Digest type 2: SHA-256 (RFC 4509).</summary>
    public const byte DigestSha256 = 2;

    /// <summary>
    /// RFC 4034 §6.1 canonical name order: compare labels from the rightmost one, each as lower-case
    /// octets, unsigned; a name that runs out of labels first sorts first.
    /// </summary>
    public static int CompareNames(string a, string b)
    {
        string[] la = Labels(a), lb = Labels(b);
        for (int i = 1; i <= Math.Min(la.Length, lb.Length); i++)
        {
            int c = CompareLabel(la[^i], lb[^i]);
            if (c != 0) return c;
        }
        return la.Length.CompareTo(lb.Length);
    }

    /// <summary>A comparer for <see cref="CompareNames"/>.</summary>
    public static IComparer<string> NameOrder { get; } = Comparer<string>.Create(CompareNames);

    private static string[] Labels(string name) => name.Length == 0 ? [] : name.TrimEnd('.').Split('.');

    private static int CompareLabel(string a, string b)
    {
        byte[] x = Encoding.Latin1.GetBytes(AsciiLower(a)), y = Encoding.Latin1.GetBytes(AsciiLower(b));
        return x.AsSpan().SequenceCompareTo(y);
    }

    // RFC 4034 §6.2: only US-ASCII letters are folded; other octets keep their value.
    private static string AsciiLower(string s) => string.Create(s.Length, s, (span, src) =>
    {
        for (int i = 0; i < src.Length; i++) span[i] = src[i] is >= 'A' and <= 'Z' ? (char)(src[i] + 32) : src[i];
    });

    /// <summary>The number of labels of a name, not counting the root nor a leading wildcard label (RFC 4034 §3.1.3).</summary>
    public static byte LabelCount(string name)
    {
        var labels = Labels(name);
        return (byte)(labels.Length > 0 && labels[0] == "*" ? labels.Length - 1 : labels.Length);
    }

    /// <summary>The record data in canonical wire form (RFC 4034 §6.2): names uncompressed and lower case.</summary>
    public static byte[] RData(DnsRData data)
    {
        var w = new DnsWriter(compression: false);
        w.RData(data);
        return w.ToArray();
    }

    /// <summary>
    /// The records of one RRset in canonical order (RFC 4034 §6.3): by their canonical record data,
    /// compared as left-justified unsigned octet strings; duplicates are removed.
    /// </summary>
    public static IReadOnlyList<byte[]> OrderedRData(IEnumerable<DnsRecord> rrset)
    {
        var all = rrset.Select(r => RData(r.Data)).ToList();
        all.Sort((x, y) => x.AsSpan().SequenceCompareTo(y));
        var unique = new List<byte[]>(all.Count);
        foreach (var r in all)
        {
            if (unique.Count == 0 || !unique[^1].AsSpan().SequenceEqual(r)) unique.Add(r);
        }
        return unique;
    }

    /// <summary>The key tag of a DNSKEY (RFC 4034 Appendix B): a ones'-complement-like sum over its data.</summary>
    public static ushort KeyTag(DnskeyData key)
    {
        byte[] rdata = RData(key);
        uint ac = 0;
        for (int i = 0; i < rdata.Length; i++) ac += (i & 1) != 0 ? rdata[i] : (uint)rdata[i] << 8;
        ac += (ac >> 16) & 0xFFFF;
        return (ushort)(ac & 0xFFFF);
    }

    /// <summary>The DS record data pointing at <paramref name="key"/> of zone <paramref name="owner"/>: SHA-256 (RFC 4509 §2.1) over owner | DNSKEY RDATA.</summary>
    public static DsData Ds(string owner, DnskeyData key)
    {
        byte[] name = DnssecWire.CanonicalName(owner);
        byte[] rdata = RData(key);
        byte[] digest = System.Security.Cryptography.SHA256.HashData([.. name, .. rdata]);
        return new DsData(KeyTag(key), key.Algorithm, DigestSha256, digest);
    }

    /// <summary>
    /// The octets an RRSIG signs (RFC 4034 §3.1.8.1): its data without the signature, then every record
    /// of the RRset in canonical form and order, each with the original TTL. When the RRSIG's labels are
    /// fewer than the owner's, the owner is the wildcard it was expanded from (§3.1.8.1, RFC 4035 §5.3.2).
    /// </summary>
    public static byte[] SignedData(RrsigData sig, string owner, DnsType type, IEnumerable<DnsRecord> rrset)
    {
        var w = new DnsWriter(compression: false);
        w.RrsigFields(sig with { SignerName = sig.SignerName.ToLowerInvariant() });
        var prefix = new List<byte>(w.ToArray());
        string[] labels = Labels(owner.ToLowerInvariant());
        string signedOwner = labels.Length > sig.Labels
            ? "*" + (sig.Labels == 0 ? "" : "." + string.Join('.', labels[^sig.Labels..]))
            : owner.ToLowerInvariant();
        byte[] ownerWire = DnssecWire.CanonicalName(signedOwner);
        Span<byte> fixedPart = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[2..], 1); // class IN
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart[4..], sig.OriginalTtl);
        foreach (var rdata in OrderedRData(rrset))
        {
            prefix.AddRange(ownerWire);
            prefix.AddRange(fixedPart.ToArray());
            prefix.Add((byte)(rdata.Length >> 8));
            prefix.Add((byte)rdata.Length);
            prefix.AddRange(rdata);
        }
        return prefix.ToArray();
    }
}
