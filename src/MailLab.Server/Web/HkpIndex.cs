using System.Globalization;
using System.Text;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.Web;

/// <summary>
/// The index answers of HKP (op=index and op=vindex): the machine-readable listing gpg reads
/// (draft-shaw-openpgp-hkp-00 §5.2, <c>options=mr</c>) and a plain-text one for people and curl.
/// vindex adds the signatures on each user ID: who certified whom, the raw material of the web of trust.
/// </summary>
internal static class HkpIndex
{
    /// <summary>
    /// <c>info:1:N</c>, then per key <c>pub:FINGERPRINT:ALGO:BITS:CREATED:EXPIRES:FLAGS</c> and its
    /// <c>uid:ESCAPED:CREATED:EXPIRES:FLAGS</c> lines; vindex adds <c>sig:KEYID:CREATED:TYPE</c> lines after each uid
    /// (a reader of the draft's format skips record types it does not know).
    /// </summary>
    public static string MachineReadable(IReadOnlyList<PgpPublicKeyRing> rings, bool verbose)
    {
        var text = new StringBuilder($"info:1:{rings.Count}\n");
        foreach (var ring in rings)
        {
            var key = ring.GetPublicKey();
            long created = new DateTimeOffset(key.CreationTime, TimeSpan.Zero).ToUnixTimeSeconds();
            long valid = key.GetValidSeconds();
            string expires = valid > 0 ? (created + valid).ToString(CultureInfo.InvariantCulture) : "";
            string flags = (key.HasRevocation() ? "r" : "") + (valid > 0 && created + valid < DateTimeOffset.UtcNow.ToUnixTimeSeconds() ? "e" : "");
            text.Append(CultureInfo.InvariantCulture, $"pub:{PgpKeyText.Fingerprint(ring)}:{(int)key.Algorithm}:{key.BitStrength}:{created}:{expires}:{flags}\n");
            foreach (string uid in PgpKeyText.UserIds(ring))
            {
                text.Append(CultureInfo.InvariantCulture, $"uid:{Escape(uid)}:{created}::\n");
                if (!verbose) continue;
                foreach (var sig in Signatures(key, uid))
                {
                    long at = new DateTimeOffset(sig.CreationTime, TimeSpan.Zero).ToUnixTimeSeconds();
                    text.Append(CultureInfo.InvariantCulture, $"sig:{sig.KeyId:X16}:{at}:{sig.SignatureType:x2}\n");
                }
            }
        }
        return text.ToString();
    }

    /// <summary>A listing for people: each key, its user IDs and (vindex) who signed each.</summary>
    public static string HumanReadable(IReadOnlyList<PgpPublicKeyRing> rings, bool verbose, Func<long, string?> userIdOf)
    {
        var text = new StringBuilder($"{rings.Count} key{(rings.Count == 1 ? "" : "s")} found\n");
        foreach (var ring in rings)
        {
            var key = ring.GetPublicKey();
            text.Append(CultureInfo.InvariantCulture,
                $"\npub  {key.Algorithm}/{key.BitStrength} 0x{PgpKeyText.KeyId(key)} {key.CreationTime:yyyy-MM-dd}{(key.HasRevocation() ? " [revoked]" : "")}\n");
            text.Append(CultureInfo.InvariantCulture, $"     fingerprint {PgpKeyText.Fingerprint(ring)}\n");
            foreach (string uid in PgpKeyText.UserIds(ring))
            {
                text.Append(CultureInfo.InvariantCulture, $"uid  {uid}\n");
                if (!verbose) continue;
                foreach (var sig in Signatures(key, uid))
                {
                    string who = sig.KeyId == key.KeyId ? "[selfsig]" : userIdOf(sig.KeyId) ?? "[signer's key not on this server]";
                    text.Append(CultureInfo.InvariantCulture, $"sig  0x{sig.KeyId:X16} {sig.CreationTime:yyyy-MM-dd} {TypeName(sig.SignatureType)} {who}\n");
                }
            }
        }
        return text.ToString();
    }

    private static IEnumerable<PgpSignature> Signatures(PgpPublicKey key, string uid) =>
        key.GetSignaturesForId(uid) ?? Enumerable.Empty<PgpSignature>();

    // RFC 4880 §5.2.1: the certification levels a user ID signature states.
    private static string TypeName(int type) => type switch
    {
        0x10 => "generic-certification",
        0x11 => "persona-certification",
        0x12 => "casual-certification",
        0x13 => "positive-certification",
        0x30 => "certification-revocation",
        _ => $"type-0x{type:x2}",
    };

    /// <summary>draft-shaw-openpgp-hkp-00 §5.2: ':' and '%' and octets outside printable ASCII as %XX (of the UTF-8 octets).</summary>
    private static string Escape(string uid)
    {
        var text = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(uid))
        {
            if (b is (byte)':' or (byte)'%' or < 0x20 or > 0x7e) text.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            else text.Append((char)b);
        }
        return text.ToString();
    }
}
