using System.Globalization;
using System.Net;
using System.Text;

namespace MailLab.Protocols.Dns;

/// <summary>Resource record types the lab serves (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6698, RFC 7929; DNSSEC: RFC 4034).</summary>
public enum DnsType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    HINFO = 13,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    SRV = 33,
    OPT = 41,
    DS = 43,
    RRSIG = 46,
    NSEC = 47,
    DNSKEY = 48,
    TLSA = 52,
    OPENPGPKEY = 61,
    ANY = 255,
}

/// <summary>
/// One resource record. <see cref="Name"/> is absolute, lower case, without the trailing dot
/// (the root is the empty string); class is always IN.
/// </summary>
public sealed record DnsRecord(string Name, DnsType Type, uint Ttl, DnsRData Data)
{
    /// <summary>Zone-file syntax: <c>mx.uc.test. 3600 IN A 127.0.1.1</c>.</summary>
    public override string ToString() => $"{DnsNames.Absolute(Name)} {Ttl} IN {Type} {Data.ToZoneText()}";
}

/// <summary>The typed data of a record.</summary>
public abstract record DnsRData
{
    /// <summary>The data in zone-file syntax.</summary>
    public abstract string ToZoneText();
}

/// <summary>A or AAAA data.</summary>
public sealed record AddressData(IPAddress Address) : DnsRData
{
    public override string ToZoneText() => Address.ToString();
}

/// <summary>NS, CNAME or PTR data: one domain name.</summary>
public sealed record NameData(string Target) : DnsRData
{
    public override string ToZoneText() => DnsNames.Absolute(Target);
}

/// <summary>MX data; an empty exchange with preference 0 is the RFC 7505 null MX.</summary>
public sealed record MxData(ushort Preference, string Exchange) : DnsRData
{
    public override string ToZoneText() => $"{Preference} {DnsNames.Absolute(Exchange)}";
}

/// <summary>SOA data (RFC 1035 §3.3.13); <see cref="Minimum"/> is the negative-caching TTL (RFC 2308 §4).</summary>
public sealed record SoaData(string MName, string RName, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum) : DnsRData
{
    public override string ToZoneText() =>
        $"{DnsNames.Absolute(MName)} {DnsNames.Absolute(RName)} {Serial} {Refresh} {Retry} {Expire} {Minimum}";
}

/// <summary>TXT data: character-strings of at most 255 octets each (RFC 1035 §3.3.14).</summary>
public sealed record TxtData(IReadOnlyList<byte[]> Strings) : DnsRData
{
    /// <summary>The strings joined, as SPF (RFC 7208 §3.3) and DKIM read them.</summary>
    public string Text => string.Concat(Strings.Select(s => Encoding.UTF8.GetString(s)));

    /// <summary>TXT data for a text of any length, split into 255-octet strings.</summary>
    public static TxtData FromText(string text) => new(DnsNames.SplitCharacterStrings(Encoding.UTF8.GetBytes(text)));

    public override string ToZoneText() => string.Join(" ", Strings.Select(Quote));

    private static string Quote(byte[] s)
    {
        var b = new StringBuilder("\"");
        foreach (byte c in s)
        {
            if (c is (byte)'"' or (byte)'\\') b.Append('\\').Append((char)c);
            else if (c is < 0x20 or > 0x7e) b.Append('\\').Append(c.ToString("D3", CultureInfo.InvariantCulture));
            else b.Append((char)c);
        }
        return b.Append('"').ToString();
    }

    public bool Equals(TxtData? other) =>
        other is not null && Strings.Count == other.Strings.Count && Strings.Zip(other.Strings).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}

/// <summary>
/// HINFO data (RFC 1035 §3.3.2): two character-strings. The lab serves it only as the RFC 8482 §4.2
/// answer to ANY (<c>"RFC8482" ""</c>), never from zone files.
/// </summary>
public sealed record HinfoData(string Cpu, string Os) : DnsRData
{
    public override string ToZoneText() => $"\"{Cpu}\" \"{Os}\"";
}

/// <summary>SRV data (RFC 2782).</summary>
public sealed record SrvData(ushort Priority, ushort Weight, ushort Port, string Target) : DnsRData
{
    public override string ToZoneText() => $"{Priority} {Weight} {Port} {DnsNames.Absolute(Target)}";
}

/// <summary>TLSA data (RFC 6698 §2.1) for DANE.</summary>
public sealed record TlsaData(byte Usage, byte Selector, byte MatchingType, byte[] Association) : DnsRData
{
    public override string ToZoneText() => $"{Usage} {Selector} {MatchingType} {Convert.ToHexString(Association)}";

    public bool Equals(TlsaData? other) =>
        other is not null && Usage == other.Usage && Selector == other.Selector && MatchingType == other.MatchingType
        && Association.AsSpan().SequenceEqual(other.Association);

    public override int GetHashCode() => HashCode.Combine(Usage, Selector, MatchingType, Association.Length);
}

/// <summary>
/// OPENPGPKEY data (RFC 7929 §2.1): one OpenPGP transferable public key, binary. Its zone-file form is
/// base64 (§2.3), which a zone file may split by blanks and parentheses.
/// </summary>
public sealed record OpenPgpKeyData(byte[] Key) : DnsRData
{
    public override string ToZoneText() => Convert.ToBase64String(Key);

    public bool Equals(OpenPgpKeyData? other) => other is not null && Key.AsSpan().SequenceEqual(other.Key);

    public override int GetHashCode() => Key.Length;
}

/// <summary>Helpers for domain names as the lab stores them (lower case, no trailing dot).</summary>
public static class DnsNames
{
    /// <summary>Lower case, trailing dot removed.</summary>
    public static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();

    /// <summary>
    /// The reverse-lookup name of <paramref name="address"/>: <c>1.2.0.127.in-addr.arpa</c> (RFC 1035 §3.5),
    /// or the nibbles of an IPv6 address under <c>ip6.arpa</c> (RFC 3596 §2.5); no trailing dot.
    /// </summary>
    public static string ReverseName(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        byte[] b = address.GetAddressBytes();
        if (b.Length == 4) return $"{b[3]}.{b[2]}.{b[1]}.{b[0]}.in-addr.arpa";
        var nibbles = b.Reverse().SelectMany(x => new[] { x & 0xF, x >> 4 }).Select(n => n.ToString("x", CultureInfo.InvariantCulture));
        return string.Join('.', nibbles) + ".ip6.arpa";
    }

    /// <summary>The name with its trailing dot, as zone files and dig print it.</summary>
    public static string Absolute(string name) => name.Length == 0 ? "." : name + ".";

    /// <summary>
    /// Whether a name can exist in the DNS at all (RFC 1035 §2.3.4: labels of 1 to 63 octets, at
    /// most 253 octets without the root dot). A name that cannot exist has no records.
    /// </summary>
    public static bool CanExist(string name)
    {
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0 || Encoding.UTF8.GetByteCount(trimmed) > 253) return false;
        foreach (var label in trimmed.Split('.'))
        {
            var octets = Encoding.UTF8.GetByteCount(label);
            if (octets is 0 or > 63) return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="name"/> equals <paramref name="zone"/> or lies below it.</summary>
    public static bool IsAtOrBelow(string name, string zone) =>
        zone.Length == 0 || name == zone || name.EndsWith("." + zone, StringComparison.Ordinal);

    /// <summary>RFC 1035 §3.3: a character-string holds at most 255 octets, so longer text is split.</summary>
    public static IReadOnlyList<byte[]> SplitCharacterStrings(byte[] bytes)
    {
        var parts = new List<byte[]>();
        for (int i = 0; i < bytes.Length; i += 255)
        {
            parts.Add(bytes[i..Math.Min(bytes.Length, i + 255)]);
        }
        if (parts.Count == 0) parts.Add([]);
        return parts;
    }
}
