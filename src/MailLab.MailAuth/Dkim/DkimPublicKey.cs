using System.Collections.Concurrent;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace MailLab.MailAuth.Dkim;

/// <summary>
/// A DKIM key record (RFC 6376 §3.6.1) and the public key in it. RSA uses .NET's RSA (OpenSSL);
/// Ed25519 (RFC 8463) uses BouncyCastle, which MimeKit already brings, as .NET has no Ed25519 type.
/// Parsed keys are shared and safe to use from several threads.
/// </summary>
public sealed class DkimPublicKey
{
    /// <summary>Parsed records kept, by record text; importing a key costs more than the signature check itself.</summary>
    public const int CacheSize = 512;

    private static readonly ConcurrentDictionary<string, (DkimPublicKey? Key, string? Error)> Cache = new(StringComparer.Ordinal);
    private readonly RSA? rsa;
    private readonly Ed25519.PublicPoint? ed25519;

    private DkimPublicKey(string keyType, RSA? rsa, Ed25519.PublicPoint? ed25519, int bits, DkimTags tags)
    {
        KeyType = keyType;
        this.rsa = rsa;
        this.ed25519 = ed25519;
        Bits = bits;
        Tags = tags;
        // Read once: a cached key answers these for every message it checks.
        var flags = (tags["t"] ?? "").Split(':').Select(DkimTags.Trim).ToList();
        Testing = flags.Contains("y");
        Strict = flags.Contains("s");
        hashes = tags["h"] is { } h ? h.Split(':').Select(x => DkimTags.Trim(x).ToLowerInvariant()).ToArray() : null;
    }

    // h= of the key record, lower-cased: the hashes it allows; null when absent (all allowed).
    private readonly string[]? hashes;

    /// <summary>"rsa" or "ed25519" (k=).</summary>
    public string KeyType { get; }

    /// <summary>Key size in bits (256 for Ed25519).</summary>
    public int Bits { get; }

    /// <summary>The record's tags.</summary>
    public DkimTags Tags { get; }

    /// <summary>t=y: the domain is testing DKIM (RFC 6376 §3.6.1).</summary>
    public bool Testing { get; }

    /// <summary>t=s: i= must be exactly d=, not a subdomain (RFC 6376 §3.6.1).</summary>
    public bool Strict { get; }

    /// <summary>
    /// <see cref="Parse"/> through a process-wide cache keyed by the record text, so a busy MTA imports
    /// each key once (the text is the key: a changed record is a new entry).
    /// </summary>
    public static DkimPublicKey? ParseCached(string record, out string? error)
    {
        if (!Cache.TryGetValue(record, out var entry))
        {
            if (Cache.Count >= CacheSize) Cache.Clear();
            entry = (Parse(record, out var e), e);
            Cache[record] = entry;
        }
        error = entry.Error;
        return entry.Key;
    }

    /// <summary>
    /// Parses a key record. Returns null with <paramref name="error"/> for a record that is not a usable
    /// key: bad syntax, wrong version, unknown k=, revoked (empty p=) or an undecodable key.
    /// </summary>
    public static DkimPublicKey? Parse(string record, out string? error)
    {
        var tags = DkimTags.Parse(record, out error);
        if (tags is null) return null;
        // RFC 6376 §3.6.1 v=: if present it MUST be "DKIM1" and the first tag.
        if (tags["v"] is { } v && (v != "DKIM1" || tags.Order[0] != "v"))
        {
            error = tags.Order[0] == "v" ? $"v={v} is not DKIM1" : "v= is present but not the first tag";
            return null;
        }
        if (tags["p"] is not { } p)
        {
            error = "the key record has no p= tag (RFC 6376 §3.6.1)";
            return null;
        }
        p = DkimTags.StripWhitespace(p);
        if (p.Length == 0)
        {
            error = "the key is revoked (empty p=, RFC 6376 §3.6.1)";
            return null;
        }
        if (tags["s"] is { } s && !s.Split(':').Select(DkimTags.Trim).Any(x => x is "*" or "email"))
        {
            error = $"s={s}: the key is not for email (RFC 6376 §3.6.1)";
            return null;
        }
        byte[] der;
        try
        {
            der = Convert.FromBase64String(p);
        }
        catch (FormatException)
        {
            error = "p= is not valid base64";
            return null;
        }
        string k = (tags["k"] ?? "rsa").ToLowerInvariant();
        if (k == "ed25519")
        {
            // RFC 8463 §4.2: p= is the 32-octet public key itself, not wrapped in ASN.1.
            if (der.Length != Ed25519.PublicKeySize)
            {
                error = $"an Ed25519 key must be 32 octets, p= has {der.Length}";
                return null;
            }
            if (Ed25519.ValidatePublicKeyPartialExport(der) is not { } point)
            {
                error = "p= is not a valid Ed25519 public key (not a curve point)";
                return null;
            }
            return new DkimPublicKey(k, null, point, 256, tags);
        }
        if (k != "rsa")
        {
            error = $"k={k} is not a known key type (RFC 6376 §3.6.1, RFC 8463)";
            return null;
        }
        var key = RSA.Create();
        try
        {
            try
            {
                key.ImportSubjectPublicKeyInfo(der, out _); // RFC 6376 §3.6.1: SubjectPublicKeyInfo ...
            }
            catch (CryptographicException)
            {
                key.ImportRSAPublicKey(der, out _); // ... but bare PKCS#1 RSAPublicKey is met in the wild and accepted
            }
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            error = $"p= is not an RSA public key ({ex.Message.TrimEnd('.')})";
            return null;
        }
        return new DkimPublicKey(k, key, null, key.KeySize, tags);
    }

    /// <summary>Whether k= fits the signature's algorithm and h= (if any) allows its hash (RFC 6376 §3.6.1).</summary>
    public string? Mismatch(DkimAlgorithm a)
    {
        bool ed = a == DkimAlgorithm.Ed25519Sha256;
        if (ed != (KeyType == "ed25519")) return $"the key is k={KeyType} but the signature is a={DkimSignature.Name(a)}";
        string hash = a == DkimAlgorithm.RsaSha1 ? "sha1" : "sha256";
        if (hashes is not null && Array.IndexOf(hashes, hash) < 0)
        {
            return $"the key's h={Tags["h"]} does not allow {hash}";
        }
        return null;
    }

    /// <summary>
    /// Checks <paramref name="signature"/> over the canonical header data. RSA hashes the data itself
    /// (RFC 6376 §3.3.1, PKCS#1 v1.5); Ed25519 signs the SHA-256 of the data (RFC 8463 §3).
    /// </summary>
    public bool Verify(DkimAlgorithm a, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (ed25519 is not null)
        {
            if (signature.Length != Ed25519.SignatureSize) return false;
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(data, hash);
            return Ed25519.Verify(signature, ed25519, hash);
        }
        var name = a == DkimAlgorithm.RsaSha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        lock (rsa!) // a cached key may be used by several sessions at once
        {
            return rsa.VerifyData(data, signature, name, RSASignaturePadding.Pkcs1);
        }
    }
}
