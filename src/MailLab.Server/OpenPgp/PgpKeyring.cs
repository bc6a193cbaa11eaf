using System.Collections.Concurrent;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.OpenPgp;

/// <summary>
/// The lab's local keyring as read at one moment: every <c>&lt;data&gt;/pgp/public/*.asc</c> and the users'
/// ownertrust files. Immutable; <see cref="PgpKeyStore.Keyring"/> reads a new one only when a file changed,
/// and trust results are remembered per viewer and key, so a verification at delivery reads no file.
/// </summary>
public sealed class PgpKeyring
{
    private readonly Dictionary<string, PgpPublicKeyRing> byAddress;
    private readonly Dictionary<string, IReadOnlyDictionary<string, OwnerTrust>> trust;
    private readonly ConcurrentDictionary<(string, string, string?), TrustResult> results = new();

    internal PgpKeyring(Dictionary<string, PgpPublicKeyRing> byAddress, Dictionary<string, IReadOnlyDictionary<string, OwnerTrust>> trust,
        IReadOnlyList<string> problems)
    {
        this.byAddress = byAddress;
        this.trust = trust;
        Problems = problems;
    }

    /// <summary>Files that could not be read (each with why); their keys are not in the keyring.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The number of keys.</summary>
    public int Count => byAddress.Count;

    /// <summary>Every primary key.</summary>
    public IEnumerable<PgpPublicKey> PrimaryKeys => byAddress.Values.Select(r => r.GetPublicKey());

    /// <summary>The lab key of <paramref name="address"/>, or null.</summary>
    public PgpPublicKeyRing? Of(string address) => byAddress.GetValueOrDefault(address.ToLowerInvariant());

    /// <summary>The key ring that has a key (primary or subkey) with <paramref name="keyId"/>, and whose file it is.</summary>
    public (PgpPublicKeyRing Ring, string Address)? Find(long keyId)
    {
        foreach (var (address, ring) in byAddress)
        {
            if (ring.GetPublicKey(keyId) is not null) return (ring, address);
        }
        return null;
    }

    /// <summary>The ownertrust of <paramref name="viewer"/> by fingerprint (from their file), with <paramref name="extra"/> (address or fingerprint to trust) on top.</summary>
    public IReadOnlyDictionary<string, OwnerTrust> OwnerTrustOf(string viewer, IReadOnlyDictionary<string, OwnerTrust>? extra = null)
    {
        var own = trust.GetValueOrDefault(viewer.ToLowerInvariant()) ?? new Dictionary<string, OwnerTrust>();
        if (extra is null || extra.Count == 0) return own;
        var merged = new Dictionary<string, OwnerTrust>(own);
        foreach (var (who, level) in extra) merged[Resolve(who) ?? who.ToUpperInvariant()] = level;
        return merged;
    }

    // An address names that user's lab key; 40 hex digits name a key by fingerprint.
    private string? Resolve(string who) => who.Contains('@') ? Of(who) is { } r ? PgpText.Fingerprint(r.GetPublicKey()) : null : who.ToUpperInvariant();

    /// <summary>
    /// The validity of <paramref name="target"/> for the lab user <paramref name="viewer"/> (their key ultimate,
    /// their ownertrust file); null when the viewer has no key. Remembered per viewer, key and address.
    /// </summary>
    public TrustResult? Validity(string viewer, PgpPublicKey target, string? email, IReadOnlyDictionary<string, OwnerTrust>? extra = null)
    {
        if (Of(viewer) is not { } own) return null;
        var evaluate = () => WebOfTrust.Evaluate(PrimaryKeys, own.GetPublicKey(), OwnerTrustOf(viewer, extra), target, email);
        if (extra is { Count: > 0 }) return evaluate();
        return results.GetOrAdd((viewer.ToLowerInvariant(), PgpText.Fingerprint(target), email?.ToLowerInvariant()), _ => evaluate());
    }

    /// <summary>Reads an ownertrust file: lines <c>ADDRESS-or-FINGERPRINT full|marginal|none</c>, # comments.</summary>
    internal static IReadOnlyDictionary<string, OwnerTrust> ReadTrust(string text, Func<string, string?> fingerprintOf, List<string> problems, string file)
    {
        var map = new Dictionary<string, OwnerTrust>();
        int n = 0;
        foreach (var raw in text.Split('\n'))
        {
            n++;
            var line = (raw.IndexOf('#') is var h and >= 0 ? raw[..h] : raw).Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !Enum.TryParse<OwnerTrust>(parts[1], ignoreCase: true, out var level) || level == OwnerTrust.Ultimate)
            {
                problems.Add($"{file}:{n}: expected 'ADDRESS full|marginal|none', got '{line}'");
                continue;
            }
            if (fingerprintOf(parts[0]) is { } fpr) map[fpr] = level;
            else problems.Add($"{file}:{n}: {parts[0]} has no key in the lab keyring");
        }
        return map;
    }
}
