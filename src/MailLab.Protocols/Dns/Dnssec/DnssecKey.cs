using System.Security.Cryptography;

namespace MailLab.Protocols.Dns.Dnssec;

/// <summary>DNSSEC algorithm numbers the lab signs and verifies (IANA registry; RFC 8624 §3.1 says both are MUST).</summary>
public static class DnssecAlgorithm
{
    /// <summary>RSA/SHA-256 (RFC 5702).</summary>
    public const byte RsaSha256 = 8;

    /// <summary>ECDSA curve P-256 with SHA-256 (RFC 6605).</summary>
    public const byte EcdsaP256Sha256 = 13;

    /// <summary>Whether the lab can sign and verify with <paramref name="algorithm"/>.</summary>
    public static bool IsSupported(byte algorithm) => algorithm is RsaSha256 or EcdsaP256Sha256;

    /// <summary>The mnemonic (RFC 8624 §2): RSASHA256, ECDSAP256SHA256.</summary>
    public static string Name(byte algorithm) => algorithm switch
    {
        RsaSha256 => "RSASHA256",
        EcdsaP256Sha256 => "ECDSAP256SHA256",
        _ => $"algorithm {algorithm}",
    };
}

/// <summary>
/// A zone's signing key: the private key and its DNSKEY data. Algorithm 13 keys are P-256 (RFC 6605 §4:
/// the public key is x|y, 64 octets); algorithm 8 keys are 2048-bit RSA (RFC 5702 §2, RFC 3110 §2 key format).
/// </summary>
public sealed class DnssecKey : IDisposable
{
    private readonly AsymmetricAlgorithm key;

    private DnssecKey(AsymmetricAlgorithm key, byte algorithm, ushort flags)
    {
        this.key = key;
        Dnskey = new DnskeyData(flags, 3, algorithm, PublicKeyOf(key));
        KeyTag = DnssecCanonical.KeyTag(Dnskey);
    }

    /// <summary>The public DNSKEY data (protocol 3, RFC 4034 §2.1.2).</summary>
    public DnskeyData Dnskey { get; }

    /// <summary>The key tag (RFC 4034 Appendix B).</summary>
    public ushort KeyTag { get; }

    /// <summary>The algorithm number.</summary>
    public byte Algorithm => Dnskey.Algorithm;

    /// <summary>A new key; flags 257 for a KSK, 256 for a ZSK.</summary>
    public static DnssecKey Generate(byte algorithm, ushort flags) => algorithm switch
    {
        DnssecAlgorithm.EcdsaP256Sha256 => new DnssecKey(ECDsa.Create(ECCurve.NamedCurves.nistP256), algorithm, flags),
        DnssecAlgorithm.RsaSha256 => new DnssecKey(RSA.Create(2048), algorithm, flags),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "only algorithms 8 and 13 are supported"),
    };

    /// <summary>The private key as PKCS#8 PEM (for a 0600 file).</summary>
    public string ExportPrivateKeyPem() => key.ExportPkcs8PrivateKeyPem();

    /// <summary>
    /// A second instance of the same key, for signing on another thread: .NET's asymmetric algorithm
    /// instances are not documented as safe for concurrent use.
    /// </summary>
    public DnssecKey Clone()
    {
        AsymmetricAlgorithm copy = key is ECDsa ? ECDsa.Create() : RSA.Create();
        copy.ImportPkcs8PrivateKey(key.ExportPkcs8PrivateKey(), out _);
        return new DnssecKey(copy, Algorithm, Dnskey.Flags);
    }

    /// <summary>A key from PKCS#8 PEM, or null with <paramref name="problem"/> when the PEM does not hold a key of the algorithm.</summary>
    public static DnssecKey? Import(string pem, byte algorithm, ushort flags, out string? problem)
    {
        problem = null;
        AsymmetricAlgorithm? k = algorithm switch
        {
            DnssecAlgorithm.EcdsaP256Sha256 => ECDsa.Create(),
            DnssecAlgorithm.RsaSha256 => RSA.Create(),
            _ => null,
        };
        if (k is null)
        {
            problem = $"algorithm {algorithm} is not supported (8 or 13)";
            return null;
        }
        try
        {
            k.ImportFromPem(pem);
            if (k is ECDsa ec && ec.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                problem = "the EC key is not on curve P-256";
                k.Dispose();
                return null;
            }
            return new DnssecKey(k, algorithm, flags);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            problem = $"not a {DnssecAlgorithm.Name(algorithm)} private key: {e.Message}";
            k.Dispose();
            return null;
        }
    }

    /// <summary>Signs <paramref name="data"/> the way <see cref="Algorithm"/> says (RFC 6605 §4: r|s; RFC 5702 §3: PKCS #1 v1.5).</summary>
    public byte[] Sign(byte[] data) => key switch
    {
        ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
        RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new InvalidOperationException("unknown key type"),
    };

    private static byte[] PublicKeyOf(AsymmetricAlgorithm key)
    {
        if (key is ECDsa ec)
        {
            var p = ec.ExportParameters(false);
            return [.. p.Q.X!, .. p.Q.Y!];
        }
        var r = ((RSA)key).ExportParameters(false);
        byte[] e = r.Exponent!;
        // RFC 3110 §2: a one-octet exponent length, or zero and a two-octet length for a longer exponent.
        byte[] len = e.Length <= 255 ? [(byte)e.Length] : [0, (byte)(e.Length >> 8), (byte)e.Length];
        return [.. len, .. e, .. r.Modulus!];
    }

    /// <inheritdoc />
    public void Dispose() => key.Dispose();
}
