using System.Security.Cryptography;

namespace MailLab.Protocols.Dns.Dnssec;

/// <summary>
/// Signs one RRset with one key, and verifies one RRSIG over one RRset with one DNSKEY (RFC 4034 §3.1.8.1,
/// RFC 4035 §5.3). The chain of trust (which key, which DS, which time) is the validator's business.
/// </summary>
public static class RrsigSigner
{
    /// <summary>
    /// An RRSIG over <paramref name="rrset"/> (one owner, one type) made with <paramref name="key"/> of zone
    /// <paramref name="signer"/>; the original TTL is the RRset's TTL (RFC 4034 §3.1.4).
    /// </summary>
    public static RrsigData Sign(DnssecKey key, string signer, IReadOnlyList<DnsRecord> rrset, uint inception, uint expiration)
    {
        if (rrset.Count == 0) throw new ArgumentException("an RRset has at least one record", nameof(rrset));
        var first = rrset[0];
        var sig = new RrsigData(first.Type, key.Algorithm, DnssecCanonical.LabelCount(first.Name), first.Ttl, expiration, inception,
            key.KeyTag, DnsNames.Normalize(signer), []);
        byte[] data = DnssecCanonical.SignedData(sig, first.Name, first.Type, rrset);
        return sig with { Signature = key.Sign(data) };
    }

    /// <summary>
    /// Whether <paramref name="sig"/> is a signature by <paramref name="key"/> over <paramref name="rrset"/>
    /// owned by <paramref name="owner"/>. Checks the RFC 4035 §5.3.1 fields that bind the key (algorithm,
    /// key tag, protocol 3, Zone Key flag, signer at or above the owner, labels) and the signature itself;
    /// not the validity window (see <see cref="IsCurrent"/>). False with <paramref name="problem"/> saying why.
    /// </summary>
    public static bool Verify(RrsigData sig, string owner, IReadOnlyList<DnsRecord> rrset, DnskeyData key, out string? problem)
    {
        problem = null;
        owner = DnsNames.Normalize(owner);
        if (rrset.Count == 0 || rrset.Any(r => DnsNames.Normalize(r.Name) != owner || r.Type != sig.TypeCovered))
            problem = $"the RRset is empty or not all {sig.TypeCovered} records of {DnsNames.Absolute(owner)}";
        else if (sig.Algorithm != key.Algorithm)
            problem = $"the RRSIG is algorithm {sig.Algorithm}, the DNSKEY algorithm {key.Algorithm}";
        else if (sig.KeyTag != DnssecCanonical.KeyTag(key))
            problem = $"the RRSIG names key tag {sig.KeyTag}, the DNSKEY's tag is {DnssecCanonical.KeyTag(key)}";
        else if (key.Protocol != 3 || (key.Flags & DnskeyData.ZoneKeyFlags) == 0)
            problem = "the DNSKEY is not a zone key (protocol 3 and the Zone Key flag, RFC 4034 §2.1)";
        else if (!DnsNames.IsAtOrBelow(owner, DnsNames.Normalize(sig.SignerName)))
            problem = $"the signer {DnsNames.Absolute(sig.SignerName)} is not the owner's zone";
        else if (sig.Labels > DnssecCanonical.LabelCount(owner))
            problem = $"the RRSIG's labels ({sig.Labels}) exceed the owner's";
        if (problem is not null) return false;
        byte[] data = DnssecCanonical.SignedData(sig, owner, sig.TypeCovered, rrset);
        bool ok = sig.Algorithm switch
        {
            DnssecAlgorithm.EcdsaP256Sha256 => VerifyEcdsa(key.PublicKey, data, sig.Signature, out problem),
            DnssecAlgorithm.RsaSha256 => VerifyRsa(key.PublicKey, data, sig.Signature, out problem),
            _ => Unsupported(sig.Algorithm, out problem),
        };
        if (!ok) problem ??= "the signature does not match the RRset";
        return ok;
    }

    /// <summary>
    /// Whether <paramref name="now"/> (seconds since 1970) lies in the signature's validity window, in RFC 1982
    /// serial arithmetic as RFC 4034 §3.1.5 requires.
    /// </summary>
    public static bool IsCurrent(RrsigData sig, uint now) =>
        (int)(now - sig.Inception) >= 0 && (int)(sig.Expiration - now) >= 0;

    private static bool Unsupported(byte algorithm, out string? problem)
    {
        problem = $"algorithm {algorithm} is not supported here (8 and 13 are)";
        return false;
    }

    private static bool VerifyEcdsa(byte[] publicKey, byte[] data, byte[] signature, out string? problem)
    {
        problem = null;
        // RFC 6605 §4: Q is x|y (64 octets) and the signature r|s (64 octets).
        if (publicKey.Length != 64 || signature.Length != 64)
        {
            problem = $"an algorithm 13 key and signature have 64 octets each, not {publicKey.Length} and {signature.Length}";
            return false;
        }
        try
        {
            using var ec = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = publicKey[..32], Y = publicKey[32..] },
            });
            return ec.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException e)
        {
            problem = $"the DNSKEY is not a P-256 point: {e.Message}";
            return false;
        }
    }

    private static bool VerifyRsa(byte[] publicKey, byte[] data, byte[] signature, out string? problem)
    {
        problem = null;
        // RFC 3110 §2: exponent length (one octet, or zero and two octets), exponent, modulus.
        int p = 1, expLen = publicKey.Length > 0 ? publicKey[0] : 0;
        if (publicKey.Length > 0 && expLen == 0 && publicKey.Length >= 3)
        {
            expLen = (publicKey[1] << 8) | publicKey[2];
            p = 3;
        }
        if (publicKey.Length == 0 || expLen == 0 || p + expLen >= publicKey.Length)
        {
            problem = "the algorithm 8 DNSKEY is not an RFC 3110 RSA public key";
            return false;
        }
        try
        {
            using var rsa = RSA.Create(new RSAParameters { Exponent = publicKey[p..(p + expLen)], Modulus = publicKey[(p + expLen)..] });
            return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException e)
        {
            problem = $"the RSA key cannot be used: {e.Message}";
            return false;
        }
    }
}
