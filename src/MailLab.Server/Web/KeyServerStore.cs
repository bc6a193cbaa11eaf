using MailLab.Server.Store;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.Web;

/// <summary>What storing one key did: new, merged (new user IDs or certifications), nothing new, or refused.</summary>
internal enum KeyStoreOutcome
{
    Added,
    Merged,
    Unchanged,
    /// <summary>The key, merged, would pass <see cref="KeyServerStore.DefaultMaxKeyOctets"/>: nothing stored.</summary>
    TooLarge,
    /// <summary>The store holds <see cref="KeyServerStore.DefaultMaxKeys"/> keys or <see cref="KeyServerStore.DefaultMaxTotalOctets"/> octets already: nothing stored.</summary>
    Full,
}

/// <summary>The outcome of storing one key, and for a refusal the reason.</summary>
internal sealed record KeyStoreResult(KeyStoreOutcome Outcome, string? Problem = null);

/// <summary>
/// The key server's keys: one ASCII-armored file per primary-key fingerprint in <c>&lt;data&gt;/keyserver</c>,
/// replaced atomically (<see cref="DurableFile"/>), so a crash leaves the old key or the merged one, never
/// half. Like the classic SKS servers it keeps whatever it is given and merges an upload into the key of
/// the same fingerprint: packets are added, never removed.
/// </summary>
internal sealed class KeyServerStore
{
    /// <summary>
    /// Largest key (binary, with all its user IDs and certifications): 1 MiB. Merging never removes
    /// packets, so without a cap anyone could flood a key with certifications until no client can import it
    /// (the 2019 attack on the SKS keyservers).
    /// </summary>
    public const int DefaultMaxKeyOctets = 1024 * 1024;

    /// <summary>Most keys the server keeps (10,000): uploads are unchecked, so the disk needs a bound.</summary>
    public const int DefaultMaxKeys = 10_000;

    /// <summary>
    /// Most octets of all keys together (64 MiB): every key is held in memory as well as on disk, so the
    /// per-key and key-count caps alone (10,000 x 1 MiB) would still let a flood take gigabytes.
    /// </summary>
    public const long DefaultMaxTotalOctets = 64L * 1024 * 1024;

    private readonly Lock gate = new();
    private readonly Dictionary<string, PgpPublicKeyRing> keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> octetsOf = new(StringComparer.Ordinal);
    private readonly int maxKeyOctets;
    private readonly int maxKeys;
    private readonly long maxTotalOctets;
    private long totalOctets;

    /// <summary>Opens the store, reading the keys already in <paramref name="directory"/>; a file that is not a key is skipped.</summary>
    public KeyServerStore(string directory, int maxKeyOctets = DefaultMaxKeyOctets, int maxKeys = DefaultMaxKeys,
        long maxTotalOctets = DefaultMaxTotalOctets)
    {
        this.maxKeyOctets = maxKeyOctets;
        this.maxKeys = maxKeys;
        this.maxTotalOctets = maxTotalOctets;
        Directory = directory;
        if (!System.IO.Directory.Exists(directory)) return;
        foreach (string file in System.IO.Directory.GetFiles(directory, "*.asc"))
        {
            var parsed = PgpKeyText.Parse(File.ReadAllBytes(file));
            foreach (var ring in parsed.Keys)
            {
                Keep(PgpKeyText.Fingerprint(ring), ring, ring.GetEncoded().Length);
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
    public KeyStoreResult Add(PgpPublicKeyRing ring)
    {
        string fingerprint = PgpKeyText.Fingerprint(ring);
        lock (gate)
        {
            var outcome = KeyStoreOutcome.Added;
            if (keys.TryGetValue(fingerprint, out var existing))
            {
                var merged = PgpPublicKeyRing.Join(existing, ring);
                if (merged is null || merged.GetEncoded().AsSpan().SequenceEqual(existing.GetEncoded())) return new(KeyStoreOutcome.Unchanged);
                ring = merged;
                outcome = KeyStoreOutcome.Merged;
            }
            else if (keys.Count >= maxKeys)
            {
                return new(KeyStoreOutcome.Full, $"the key server holds {maxKeys} keys, its limit; {fingerprint} was not stored");
            }
            int octets = ring.GetEncoded().Length;
            if (octets > maxKeyOctets)
            {
                return new(KeyStoreOutcome.TooLarge,
                    $"{fingerprint} would be {octets} octets, over the limit of {maxKeyOctets} (certificate flooding, the 2019 SKS attack); it was not changed");
            }
            long total = totalOctets - octetsOf.GetValueOrDefault(fingerprint) + octets;
            if (total > maxTotalOctets)
            {
                return new(KeyStoreOutcome.Full, $"the key server would hold {total} octets of keys, over its limit of {maxTotalOctets}; {fingerprint} was not stored");
            }
            System.IO.Directory.CreateDirectory(Directory);
            DurableFile.WriteAllTextAtomic(Path.Combine(Directory, fingerprint + ".asc"), PgpKeyText.Armor([ring]));
            Keep(fingerprint, ring, octets);
            return new(outcome);
        }
    }

    private void Keep(string fingerprint, PgpPublicKeyRing ring, int octets)
    {
        totalOctets += octets - octetsOf.GetValueOrDefault(fingerprint);
        octetsOf[fingerprint] = octets;
        keys[fingerprint] = ring;
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
