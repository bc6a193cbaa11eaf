using System.Security.Cryptography;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.X509;

namespace MailLab.Server.Smime;

/// <summary>
/// The RSA check of a SignerInfo's signature (RFC 5652 §5.6) with .NET's RSA (OpenSSL underneath): about a
/// hundred times faster here than BouncyCastle's SignerInformation.Verify, whose managed big-integer RSA and
/// per-call set-up cost tens of milliseconds per message, far from the 2,000 verifications a second that
/// delivery must sustain. Algorithms .NET does not take the same way (other PSS parameters, non-RSA keys)
/// fall back to BouncyCastle. The content hash is compared by the caller before this runs.
/// </summary>
internal static class SignatureCheck
{
    private const string RsaEncryption = "1.2.840.113549.1.1.1";
    private const string RsaPss = "1.2.840.113549.1.1.10";

    public static bool Verify(SignerInformation si, X509Certificate certificate, SmimeTrust.CertificateFacts facts, byte[] content)
    {
        var hash = HashOf(si.DigestAlgorithmID.Algorithm.Id);
        var algorithm = si.SignatureAlgorithm.Algorithm.Id;
        var padding = algorithm == RsaPss ? PssWithHashLengthSalt(si, hash) : algorithm is RsaEncryption or "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12" or "1.2.840.113549.1.1.13" ? RSASignaturePadding.Pkcs1 : null;
        if (facts.Rsa is not { } rsa || hash is not { } h || padding is null) return FallBack(si, certificate);
        // With signed attributes the signature covers their DER SET (§5.4); without, the content itself.
        var signed = si.GetEncodedSignedAttributes() ?? content;
        return rsa.VerifyData(signed, si.GetSignature(), h, padding);
    }

    /// <summary>.NET's RSA public key of a certificate with an RSA key, else null (made once per certificate).</summary>
    public static RSA? RsaOf(X509Certificate certificate)
    {
        if (certificate.GetPublicKey() is not RsaKeyParameters { IsPrivate: false } key) return null;
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = key.Modulus.ToByteArrayUnsigned(), Exponent = key.Exponent.ToByteArrayUnsigned() });
        return rsa;
    }

    /// <summary>The .NET hash of a digest algorithm OID, or null when .NET is not used for it.</summary>
    public static HashAlgorithmName? HashOf(string oid) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
        "1.3.14.3.2.26" => HashAlgorithmName.SHA1,
        _ => null,
    };

    // RFC 4056 §3: .NET's PSS is MGF1 with the same hash and a salt as long as the hash; anything else goes to BouncyCastle.
    private static RSASignaturePadding? PssWithHashLengthSalt(SignerInformation si, HashAlgorithmName? hash)
    {
        if (hash is null || si.SignatureAlgorithm.Parameters is null) return null;
        var p = Org.BouncyCastle.Asn1.Pkcs.RsassaPssParameters.GetInstance(si.SignatureAlgorithm.Parameters);
        int length = hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : hash == HashAlgorithmName.SHA512 ? 64 : 20;
        bool same = p.HashAlgorithm.Algorithm.Id == si.DigestAlgorithmID.Algorithm.Id && p.SaltLength.IntValueExact == length;
        return same ? RSASignaturePadding.Pss : null;
    }

    private static bool FallBack(SignerInformation si, X509Certificate certificate)
    {
        try
        {
            return si.Verify(certificate);
        }
        catch (CmsException)
        {
            return false;
        }
    }
}
