using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MailLab.Protocols.Dns;

/// <summary>
/// DNSKEY data (RFC 4034 §2.1): flags (256 a zone key, 257 a zone key that is a secure entry point,
/// the KSK), protocol (always 3), algorithm (13 ECDSA P-256/SHA-256, 8 RSA/SHA-256) and the public key.
/// </summary>
public sealed record DnskeyData(ushort Flags, byte Protocol, byte Algorithm, byte[] PublicKey) : DnsRData
{
    /// <summary>The flags of a zone-signing key (RFC 4034 §2.1.1: Zone Key bit).</summary>
    public const ushort ZoneKeyFlags = 256;

    /// <summary>The flags of a key-signing key: Zone Key and SEP (RFC 4034 §2.1.1, RFC 3757).</summary>
    public const ushort KeySigningKeyFlags = 257;

    /// <summary>Whether the SEP bit is set (the key the parent's DS points at).</summary>
    public bool IsSecureEntryPoint => (Flags & 1) != 0;

    /// <inheritdoc />
    public override string ToZoneText() => $"{Flags} {Protocol} {Algorithm} {Convert.ToBase64String(PublicKey)}";

    /// <inheritdoc />
    public bool Equals(DnskeyData? other) => other is not null && Flags == other.Flags && Protocol == other.Protocol
        && Algorithm == other.Algorithm && PublicKey.AsSpan().SequenceEqual(other.PublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Flags, Algorithm, PublicKey.Length);
}

/// <summary>
/// RRSIG data (RFC 4034 §3.1): the type covered, algorithm, labels of the original owner (without a
/// wildcard label), original TTL, validity window (seconds since 1970, RFC 1982 serial arithmetic),
/// key tag and signer (the zone) of the key that made <see cref="Signature"/>.
/// </summary>
public sealed record RrsigData(DnsType TypeCovered, byte Algorithm, byte Labels, uint OriginalTtl, uint Expiration, uint Inception,
    ushort KeyTag, string SignerName, byte[] Signature) : DnsRData
{
    /// <inheritdoc />
    public override string ToZoneText() =>
        $"{DnssecText.TypeName(TypeCovered)} {Algorithm} {Labels} {OriginalTtl} {DnssecText.Time(Expiration)} {DnssecText.Time(Inception)} {KeyTag} {DnsNames.Absolute(SignerName)} {Convert.ToBase64String(Signature)}";

    /// <inheritdoc />
    public bool Equals(RrsigData? other) => other is not null && TypeCovered == other.TypeCovered && Algorithm == other.Algorithm
        && Labels == other.Labels && OriginalTtl == other.OriginalTtl && Expiration == other.Expiration && Inception == other.Inception
        && KeyTag == other.KeyTag && SignerName == other.SignerName && Signature.AsSpan().SequenceEqual(other.Signature);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(TypeCovered, KeyTag, Expiration, Signature.Length);
}

/// <summary>
/// NSEC data (RFC 4034 §4.1): the next owner name of the zone in canonical order, and the types
/// present at this owner (a sorted list, written as the window bitmaps of §4.1.2).
/// </summary>
public sealed record NsecData(string NextName, IReadOnlyList<DnsType> Types) : DnsRData
{
    /// <inheritdoc />
    public override string ToZoneText() =>
        Types.Count == 0 ? DnsNames.Absolute(NextName) : $"{DnsNames.Absolute(NextName)} {string.Join(' ', Types.Select(DnssecText.TypeName))}";

    /// <inheritdoc />
    public bool Equals(NsecData? other) => other is not null && NextName == other.NextName && Types.SequenceEqual(other.Types);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(NextName, Types.Count);
}

/// <summary>
/// DS data (RFC 4034 §5.1): the parent's pointer to a child's key: key tag, algorithm, digest type
/// (2 = SHA-256, RFC 4509) and digest of the child's DNSKEY.
/// </summary>
public sealed record DsData(ushort KeyTag, byte Algorithm, byte DigestType, byte[] Digest) : DnsRData
{
    /// <inheritdoc />
    public override string ToZoneText() => $"{KeyTag} {Algorithm} {DigestType} {Convert.ToHexString(Digest)}";

    /// <inheritdoc />
    public bool Equals(DsData? other) => other is not null && KeyTag == other.KeyTag && Algorithm == other.Algorithm
        && DigestType == other.DigestType && Digest.AsSpan().SequenceEqual(other.Digest);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(KeyTag, Algorithm, DigestType);
}

/// <summary>Presentation-format helpers for the DNSSEC record types (RFC 4034 §2.2-5.3).</summary>
public static class DnssecText
{
    /// <summary>A type's mnemonic, or <c>TYPEnnn</c> for one without a name here (RFC 3597 §5).</summary>
    public static string TypeName(DnsType type) =>
        Enum.IsDefined(type) ? type.ToString() : $"TYPE{(ushort)type}";

    /// <summary>RFC 4034 §3.2: a signature time as YYYYMMDDHHmmSS in UTC.</summary>
    public static string Time(uint seconds) =>
        DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a signature time: YYYYMMDDHHmmSS, or a plain number of seconds (RFC 4034 §3.2 allows both).
    /// Null when it is neither.
    /// </summary>
    public static uint? ParseTime(string text)
    {
        if (text.Length == 14 && text.All(char.IsAsciiDigit)
            && DateTime.TryParseExact(text, "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
        {
            long s = new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeSeconds();
            return s is >= 0 and <= uint.MaxValue ? (uint)s : null;
        }
        return text.Length is > 0 and <= 10 && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) ? n : null;
    }

    /// <summary>A type from its mnemonic or <c>TYPEnnn</c> (RFC 3597 §5); null when unknown.</summary>
    public static DnsType? ParseType(string text)
    {
        if (text.StartsWith("TYPE", StringComparison.OrdinalIgnoreCase)
            && ushort.TryParse(text.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out ushort n)) return (DnsType)n;
        return Enum.TryParse<DnsType>(text, ignoreCase: true, out var t) && Enum.IsDefined(t) && !text.All(char.IsAsciiDigit) ? t : null;
    }
}

/// <summary>The wire form of the DNSSEC record data (RFC 4034 §2.1, §3.1, §4.1, §5.1), both ways, without I/O.</summary>
public static class DnssecWire
{
    /// <summary>RFC 4034 §4.1.2: the type bitmap, as windows of up to 32 octets; empty windows are left out.</summary>
    public static byte[] TypeBitmap(IEnumerable<DnsType> types)
    {
        var result = new List<byte>();
        foreach (var window in types.Select(t => (ushort)t).Distinct().OrderBy(t => t).GroupBy(t => t >> 8))
        {
            var bits = new byte[32];
            int used = 0;
            foreach (ushort t in window)
            {
                int low = t & 0xFF;
                bits[low / 8] |= (byte)(0x80 >> (low % 8));
                used = Math.Max(used, low / 8 + 1);
            }
            result.Add((byte)window.Key);
            result.Add((byte)used);
            result.AddRange(bits.Take(used));
        }
        return result.ToArray();
    }

    /// <summary>Reads type bitmaps (RFC 4034 §4.1.2); null with a reason when they are malformed.</summary>
    public static IReadOnlyList<DnsType>? ReadTypeBitmap(ReadOnlySpan<byte> b, out string? problem)
    {
        problem = null;
        var types = new List<DnsType>();
        int p = 0, lastWindow = -1;
        while (p < b.Length)
        {
            if (p + 2 > b.Length)
            {
                problem = "an NSEC type bitmap window is cut short";
                return null;
            }
            int window = b[p], len = b[p + 1];
            p += 2;
            if (window <= lastWindow || len is 0 or > 32 || p + len > b.Length)
            {
                problem = "an NSEC type bitmap window is out of order, empty, over 32 octets or cut short";
                return null;
            }
            for (int i = 0; i < len; i++)
            {
                for (int bit = 0; bit < 8; bit++)
                {
                    if ((b[p + i] & (0x80 >> bit)) != 0) types.Add((DnsType)((window << 8) | (i * 8) + bit));
                }
            }
            lastWindow = window;
            p += len;
        }
        return types;
    }

    /// <summary>
    /// Decodes DNSKEY, RRSIG, NSEC or DS data in <paramref name="m"/>[start..end]; names inside them are
    /// never compressed (RFC 4034 §3.1.7, §4.1.1) but are read with the message's reader anyway.
    /// Null with <paramref name="problem"/> when malformed; null without a problem for another type.
    /// </summary>
    public static DnsRData? Read(ReadOnlySpan<byte> m, int start, int end, DnsType type, out string? problem)
    {
        problem = null;
        var d = m[start..end];
        switch (type)
        {
            case DnsType.DNSKEY:
                if (d.Length < 4)
                {
                    problem = "DNSKEY data shorter than flags, protocol and algorithm";
                    return null;
                }
                return new DnskeyData(BinaryPrimitives.ReadUInt16BigEndian(d), d[2], d[3], d[4..].ToArray());
            case DnsType.DS:
                if (d.Length < 5)
                {
                    problem = "DS data shorter than key tag, algorithm, digest type and a digest";
                    return null;
                }
                return new DsData(BinaryPrimitives.ReadUInt16BigEndian(d), d[2], d[3], d[4..].ToArray());
            case DnsType.RRSIG:
            {
                if (d.Length < 19)
                {
                    problem = "RRSIG data shorter than its fixed fields";
                    return null;
                }
                int p = start + 18;
                string? signer = DnsWire.ReadName(m[..end], ref p, out problem);
                if (signer is null) return null;
                return new RrsigData((DnsType)BinaryPrimitives.ReadUInt16BigEndian(d), d[2], d[3], BinaryPrimitives.ReadUInt32BigEndian(d[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(d[8..]), BinaryPrimitives.ReadUInt32BigEndian(d[12..]),
                    BinaryPrimitives.ReadUInt16BigEndian(d[16..]), signer, m[p..end].ToArray());
            }
            case DnsType.NSEC:
            {
                int p = start;
                string? next = DnsWire.ReadName(m[..end], ref p, out problem);
                if (next is null) return null;
                var types = ReadTypeBitmap(m[p..end], out problem);
                return types is null ? null : new NsecData(next, types);
            }
            default:
                return null;
        }
    }

    /// <summary>The octets of a name in canonical wire form (RFC 4034 §6.2): lower case, uncompressed.</summary>
    public static byte[] CanonicalName(string name)
    {
        var b = new List<byte>(name.Length + 2);
        if (name.Length > 0)
        {
            foreach (var label in name.ToLowerInvariant().Split('.'))
            {
                byte[] octets = Encoding.Latin1.GetBytes(label);
                b.Add((byte)octets.Length);
                b.AddRange(octets);
            }
        }
        b.Add(0);
        return b.ToArray();
    }
}
