using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace MailLab.MailAuth.Dkim;

/// <summary>
/// A DKIM signing key: RSA (rsa-sha256) or Ed25519 (ed25519-sha256, RFC 8463). Stored as PKCS#8 PEM
/// ("PRIVATE KEY"), which OpenSSL reads too; the public side is rendered as the DNS key record.
/// </summary>
public sealed class DkimPrivateKey : IDisposable
{
    // RFC 8410 §7: PKCS#8 for Ed25519 is this fixed DER prefix followed by the 32-octet seed.
    private static readonly byte[] Ed25519Pkcs8Prefix = Convert.FromHexString("302e020100300506032b657004220420");
    private readonly RSA? rsa;
    private readonly byte[]? seed;
    private readonly byte[]? edPublic;

    private DkimPrivateKey(RSA? rsa, byte[]? seed)
    {
        this.rsa = rsa;
        this.seed = seed;
        if (seed is not null)
        {
            edPublic = new byte[Ed25519.PublicKeySize];
            Ed25519.GeneratePublicKey(seed, 0, edPublic, 0);
        }
    }

    /// <summary>The signing algorithm this key makes.</summary>
    public DkimAlgorithm Algorithm => rsa is null ? DkimAlgorithm.Ed25519Sha256 : DkimAlgorithm.RsaSha256;

    /// <summary>Key size in bits.</summary>
    public int Bits => rsa?.KeySize ?? 256;

    /// <summary>A new RSA key (2048 bits unless told: RFC 8301 §3.2 asks for at least 1024, 2048 recommended).</summary>
    public static DkimPrivateKey CreateRsa(int bits = 2048) => new(RSA.Create(bits), null);

    /// <summary>A new Ed25519 key.</summary>
    public static DkimPrivateKey CreateEd25519()
    {
        var s = new byte[Ed25519.SecretKeySize];
        RandomNumberGenerator.Fill(s);
        return new DkimPrivateKey(null, s);
    }

    /// <summary>An Ed25519 key from its 32-octet seed (the form dkimpy and RFC 8032 print, base64).</summary>
    public static DkimPrivateKey FromEd25519Seed(byte[] seed) =>
        seed.Length == Ed25519.SecretKeySize ? new(null, seed.ToArray()) : throw new ArgumentException("an Ed25519 seed is 32 octets", nameof(seed));

    /// <summary>Reads a PKCS#8 PEM (RSA or Ed25519), or a PKCS#1 "RSA PRIVATE KEY" PEM.</summary>
    public static DkimPrivateKey FromPem(string pem)
    {
        var field = PemEncoding.Find(pem);
        var label = pem[field.Label];
        var der = Convert.FromBase64String(pem[field.Base64Data]);
        if (label == "PRIVATE KEY" && der.Length == Ed25519Pkcs8Prefix.Length + Ed25519.SecretKeySize
            && der.AsSpan(0, Ed25519Pkcs8Prefix.Length).SequenceEqual(Ed25519Pkcs8Prefix))
        {
            return new DkimPrivateKey(null, der[Ed25519Pkcs8Prefix.Length..]);
        }
        var key = RSA.Create();
        key.ImportFromPem(pem);
        return new DkimPrivateKey(key, null);
    }

    /// <summary>The key as PKCS#8 PEM.</summary>
    public string ToPem() => rsa is not null
        ? rsa.ExportPkcs8PrivateKeyPem()
        : PemEncoding.WriteString("PRIVATE KEY", [.. Ed25519Pkcs8Prefix, .. seed!]);

    /// <summary>
    /// The key record to publish at selector._domainkey.domain (RFC 6376 §3.6.1): p= is the
    /// SubjectPublicKeyInfo for RSA and the bare 32-octet key for Ed25519 (RFC 8463 §4.2).
    /// </summary>
    public string ToDnsRecord() => rsa is not null
        ? $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}"
        : $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(edPublic!)}";

    /// <summary>Signs the canonical header data: PKCS#1 v1.5 over SHA-256 (RFC 6376 §3.3.2), or Ed25519 over its SHA-256 (RFC 8463 §3).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        if (rsa is not null) return rsa.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var hash = SHA256.HashData(data);
        var sig = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(seed!, 0, hash, 0, hash.Length, sig, 0);
        return sig;
    }

    /// <inheritdoc />
    public void Dispose() => rsa?.Dispose();
}
