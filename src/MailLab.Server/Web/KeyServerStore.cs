using MailLab.Server.Store;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.Web;

/// <summary>What storing one key did: new, merged (new user IDs or certifications), or nothing new.</summary>
internal enum KeyStoreOutcome
{
    Added,
    Merged,
    Unchanged,
}

/// <summary>
/// The key server's keys: one ASCII-armored file per primary-key fingerprint in <c>&lt;data&gt;/keyserver</c>,
/// replaced atomically (<see cref="DurableFile"/>), so a crash leaves the old key or the merged one, never
/// half. Like the classic SKS servers it keeps whatever it is given and merges an upload into the key of
/// the same fingerprint: packets are added, never removed.
/// </summary>
internal sealed class KeyServerStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, PgpPublicKeyRing> keys = new(StringComparer.Ordinal);

    /// <summary>Opens the store, reading the keys already in <paramref name="directory"/>; a file that is not a key is skipped.</summary>
    public KeyServerStore(string directory)
    {
        Directory = directory;
        if (!System.IO.Directory.Exists(directory)) return;
        foreach (string file in System.IO.Directory.GetFiles(directory, "*.asc"))
        {
            var parsed = PgpKeyText.Parse(File.ReadAllBytes(file));
            foreach (var ring in parsed.Keys)
            {
                keys[PgpKeyText.Fingerprint(ring)] = ring;
            }
        }
    }

    /// <summary>Where the keys are kept.</summary>
    public string Directory { get; }

    /// <summary>How many keys the store holds.</summary>
    public int Count
    {
        get
        {
            lock (gate) return keys.Count;
        }
    }

    /// <summary>Stores <paramref name="ring"/>, merged with the key of the same fingerprint if there is one.</summary>
    public KeyStoreOutcome Add(PgpPublicKeyRing ring)
    {
        string fingerprint = PgpKeyText.Fingerprint(ring);
        lock (gate)
        {
            var outcome = KeyStoreOutcome.Added;
            if (keys.TryGetValue(fingerprint, out var existing))
            {
                var merged = PgpPublicKeyRing.Join(existing, ring);
                if (merged is null || merged.GetEncoded().AsSpan().SequenceEqual(existing.GetEncoded())) return KeyStoreOutcome.Unchanged;
                ring = merged;
                outcome = KeyStoreOutcome.Merged;
            }
            System.IO.Directory.CreateDirectory(Directory);
            DurableFile.WriteAllTextAtomic(Path.Combine(Directory, fingerprint + ".asc"), PgpKeyText.Armor([ring]));
            keys[fingerprint] = ring;
            return outcome;
        }
    }

    /// <summary>
    /// The keys <paramref name="search"/> finds (HKP search, draft-gallagher-openpgp-hkp §3.1.1): a
    /// fingerprint (40 or 64 hex digits) or a key ID (16 or 8 hex digits), with or without <c>0x</c>,
    /// matches a primary key or subkey; anything else matches user IDs as a case-insensitive substring.
    /// </summary>
    public (IReadOnlyList<PgpPublicKeyRing> Keys, string Match) Find(string search)
    {
        string hex = search.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? search[2..] : search;
        bool isHex = hex.Length > 0 && hex.All(char.IsAsciiHexDigit);
        Func<PgpPublicKeyRing, bool> match;
        string kind;
        if (isHex && hex.Length is 40 or 64)
        {
            kind = "fingerprint";
            match = r => AllKeys(r).Any(k => Convert.ToHexString(k.GetFingerprint()).Equals(hex, StringComparison.OrdinalIgnoreCase));
        }
        else if (isHex && hex.Length == 16)
        {
            kind = "keyid";
            match = r => AllKeys(r).Any(k => PgpKeyText.KeyId(k).Equals(hex, StringComparison.OrdinalIgnoreCase));
        }
        else if (isHex && hex.Length == 8 && search.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            kind = "short-keyid";
            match = r => AllKeys(r).Any(k => PgpKeyText.KeyId(k)[8..].Equals(hex, StringComparison.OrdinalIgnoreCase));
        }
        else
        {
            kind = "text";
            match = r => PgpKeyText.UserIds(r).Any(u => u.Contains(search, StringComparison.OrdinalIgnoreCase));
        }
        lock (gate)
        {
            return (keys.Values.Where(match).OrderBy(PgpKeyText.Fingerprint, StringComparer.Ordinal).ToList(), kind);
        }
    }

    /// <summary>The user ID of the key whose key ID is <paramref name="keyId"/>, for naming certifiers in vindex; null when unknown.</summary>
    public string? UserIdOf(long keyId)
    {
        lock (gate)
        {
            return keys.Values.FirstOrDefault(r => r.GetPublicKey().KeyId == keyId) is { } ring
                ? PgpKeyText.UserIds(ring).FirstOrDefault() : null;
        }
    }

    private static IEnumerable<PgpPublicKey> AllKeys(PgpPublicKeyRing ring) => ring.GetPublicKeys();
}
