using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.Web;

/// <summary>What an upload held: its public keys, or why it is refused.</summary>
internal sealed record ParsedKeys(IReadOnlyList<PgpPublicKeyRing> Keys, string? Problem);

/// <summary>
/// OpenPGP transferable public keys (RFC 4880 §11.1, RFC 9580 §10.1) as text and bytes: parsing an
/// upload (armored or binary), armoring for HKP, fingerprints and user IDs for the trace. BouncyCastle
/// reads the packets; this class only decides what is a key and what is not.
/// </summary>
internal static class PgpKeyText
{
    /// <summary>
    /// The public keys in <paramref name="data"/> (ASCII armor, RFC 4880 §6.2, or binary). Anything else, a
    /// secret key too, is a problem: the key server takes public keys only and never half an upload.
    /// </summary>
    public static ParsedKeys Parse(byte[] data)
    {
        var keys = new List<PgpPublicKeyRing>();
        try
        {
            using var input = PgpUtilities.GetDecoderStream(new MemoryStream(data));
            var factory = new PgpObjectFactory(input);
            while (factory.NextPgpObject() is { } item)
            {
                switch (item)
                {
                    case PgpPublicKeyRing ring:
                        keys.Add(ring);
                        break;
                    case PgpSecretKeyRing:
                        return new([], "this is a SECRET key: a key server publishes public keys only (gpg --export, never --export-secret-keys); nothing was stored");
                    default:
                        return new([], $"not an OpenPGP public key: found {Describe(item)}; nothing was stored");
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Untrusted input: any parse failure of BouncyCastle is a refusal, never a crash.
            return new([], $"not a well-formed OpenPGP public key ({ex.GetType().Name}: {ex.Message}); nothing was stored");
        }
        foreach (var ring in keys)
        {
            try
            {
                ReadAll(ring);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return new([], $"a malformed OpenPGP public key: a packet inside it cannot be read ({ex.GetType().Name}: {ex.Message}); nothing was stored");
            }
        }
        return keys.Count == 0 ? new([], "no OpenPGP public key found in the upload; nothing was stored") : new(keys, null);
    }

    /// <summary>
    /// Reads every part the key server later lists or sends. BouncyCastle decodes signature subpackets
    /// only when asked, so a key with a malformed one (afl++ found a 3-octet key expiration time) parses,
    /// and would then break every index that lists it: it is refused here, at the door.
    /// </summary>
    private static void ReadAll(PgpPublicKeyRing ring)
    {
        _ = ring.GetEncoded();
        foreach (PgpPublicKey key in ring.GetPublicKeys())
        {
            _ = (key.CreationTime, key.GetValidSeconds(), key.HasRevocation(), key.BitStrength, key.Algorithm, key.KeyId, key.GetFingerprint());
            foreach (var sig in key.GetSignatures())
            {
                _ = (sig.KeyId, sig.CreationTime, sig.SignatureType, sig.GetHashedSubPackets(), sig.GetUnhashedSubPackets());
            }
        }
        var primary = ring.GetPublicKey();
        foreach (string uid in UserIds(ring))
        {
            foreach (var sig in primary.GetSignaturesForId(uid) ?? Enumerable.Empty<PgpSignature>())
            {
                _ = (sig.KeyId, sig.CreationTime, sig.SignatureType);
            }
        }
    }

    private static string Describe(object item) => item switch
    {
        PgpSignatureList => "a signature",
        PgpCompressedData => "compressed data",
        PgpEncryptedDataList => "an encrypted message",
        PgpLiteralData => "a literal data packet (a message)",
        PgpOnePassSignatureList => "a signed message",
        PgpMarker => "a marker packet",
        _ => item.GetType().Name,
    };

    /// <summary>The fingerprint of a key ring's primary key, upper-case hex.</summary>
    public static string Fingerprint(PgpPublicKeyRing ring) => Convert.ToHexString(ring.GetPublicKey().GetFingerprint());

    /// <summary>The primary key's 64-bit key ID, upper-case hex (16 digits).</summary>
    public static string KeyId(PgpPublicKey key) => key.KeyId.ToString("X16");

    /// <summary>The text user IDs of a key ring (user attributes such as photos are left out).</summary>
    public static IReadOnlyList<string> UserIds(PgpPublicKeyRing ring) =>
        ring.GetPublicKey().GetUserIds().OfType<string>().ToList();

    /// <summary>Key rings in one ASCII-armored block (RFC 4880 §6.2), without a Version header.</summary>
    public static string Armor(IEnumerable<PgpPublicKeyRing> rings)
    {
        var buffer = new MemoryStream();
        // The builder's stream has no Version header (no product banner, RFC 9580 §6.2.2.1 discourages it).
        using (var armored = ArmoredOutputStream.Build().Build(buffer))
        {
            foreach (var ring in rings)
            {
                ring.Encode(armored);
            }
        }
        return Encoding.ASCII.GetString(buffer.ToArray());
    }
}
