using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.OpenPgp;

/// <summary>A key's validity for one viewer: how sure the viewer is that the key belongs to its user ID (gpg's names).</summary>
public enum PgpValidity
{
    /// <summary>No certification path from a trusted introducer: the key may belong to anyone.</summary>
    Unknown,
    /// <summary>Certified by fewer marginally trusted introducers than needed.</summary>
    Marginal,
    /// <summary>Certified by one fully trusted or enough marginally trusted introducers.</summary>
    Full,
    /// <summary>The viewer's own key.</summary>
    Ultimate,
}

/// <summary>How far a viewer trusts a key's owner to certify other keys (gpg's ownertrust), set by the viewer, never by the key.</summary>
public enum OwnerTrust
{
    /// <summary>Their certifications count for nothing.</summary>
    None,
    /// <summary>Three such certifications make a key valid.</summary>
    Marginal,
    /// <summary>One such certification makes a key valid.</summary>
    Full,
    /// <summary>The viewer's own key.</summary>
    Ultimate,
}

/// <summary>The validity of a target key's user ID for a viewer, the certification paths that made it, and every step.</summary>
/// <param name="Validity">The best validity of the user IDs considered.</param>
/// <param name="UserId">The user ID the validity is for.</param>
/// <param name="Paths">Each certification path from the viewer to the target, as "alice -> carol -> bob".</param>
/// <param name="Steps">The whole computation, in order, one sentence each.</param>
public sealed record TrustResult(PgpValidity Validity, string UserId, IReadOnlyList<string> Paths, IReadOnlyList<string> Steps)
{
    /// <summary>The validity in lower case, as gpg prints it.</summary>
    public string Keyword => Validity.ToString().ToLowerInvariant();
}

/// <summary>
/// The classic PGP trust model (gpg's "pgp" model with its defaults): the viewer's own key is ultimately
/// valid; a key's user ID becomes fully valid with one certification (RFC 4880 §5.2.1 types 0x10-0x13) by a
/// fully valid key whose owner the viewer trusts fully, or three by marginally trusted ones; one or two marginal
/// ones make it marginally valid. Only fully valid keys introduce others, at most <see cref="MaxDepth"/> steps
/// from the viewer. Expired, revoked, unverifiable and self certifications do not count. Pure code, no I/O.
/// </summary>
public static class WebOfTrust
{
    /// <summary>gpg's --max-cert-depth default.</summary>
    public const int MaxDepth = 5;

    /// <summary>gpg's --completes-needed default.</summary>
    public const int CompletesNeeded = 1;

    /// <summary>gpg's --marginals-needed default.</summary>
    public const int MarginalsNeeded = 3;

    private sealed record Certification(PgpPublicKey Signer, string SignerName, int Type, DateTime Created);

    private sealed record Known(PgpValidity Validity, int Depth, string Path);

    /// <summary>
    /// The validity of <paramref name="target"/> (its user IDs with <paramref name="email"/>, or all when null)
    /// for the viewer whose own key is <paramref name="viewer"/>, over <paramref name="keyring"/> (primary keys;
    /// the target and the viewer need not be in it) with the viewer's <paramref name="ownerTrust"/> by fingerprint.
    /// </summary>
    public static TrustResult Evaluate(IEnumerable<PgpPublicKey> keyring, PgpPublicKey viewer,
        IReadOnlyDictionary<string, OwnerTrust> ownerTrust, PgpPublicKey target, string? email, DateTime? now = null)
    {
        var at = now ?? DateTime.UtcNow;
        var keys = new Dictionary<string, PgpPublicKey>();
        foreach (var k in keyring.Append(viewer).Append(target)) keys.TryAdd(PgpText.Fingerprint(k), k);
        var byId = keys.Values.ToLookup(k => k.KeyId);
        var steps = new List<string>();
        var viewerFpr = PgpText.Fingerprint(viewer);
        var known = new Dictionary<string, Known> { [viewerFpr] = new(PgpValidity.Ultimate, 0, Name(viewer)) };
        steps.Add($"depth 0: {Describe(viewer)} is your own key: ultimate validity and trust");
        var certs = keys.Values.ToDictionary(PgpText.Fingerprint, k => Certifications(k, byId, at));
        var targetFpr = PgpText.Fingerprint(target);
        // Rounds, as gpg's trust database walks them: each round may make keys valid that the next round's introducers certify.
        for (int round = 1; round <= MaxDepth; round++)
        {
            bool changed = false;
            foreach (var (fpr, key) in keys)
            {
                if (known.TryGetValue(fpr, out var had) && had.Validity >= PgpValidity.Full) continue;
                var (got, why) = Validate(key, fpr == targetFpr ? email : null, certs[fpr], known, viewerFpr, ownerTrust);
                if (got is null || (had is not null && got.Validity <= had.Validity)) continue;
                known[fpr] = got;
                steps.AddRange(why);
                changed = true;
            }
            if (!changed) break;
        }
        var found = known.GetValueOrDefault(targetFpr);
        var uidShown = UserIds(target).FirstOrDefault(u => email is null || HasEmail(u, email)) ?? UserIds(target).FirstOrDefault() ?? "(no user ID)";
        if (found is null || found.Validity < PgpValidity.Full)
        {
            // Why not more: every certification on the target and what it counted for.
            var (_, why) = Validate(target, email, certs[targetFpr], known, viewerFpr, ownerTrust);
            if (why.Count == 0 || why.All(w => w.StartsWith("result", StringComparison.Ordinal))) steps.Add($"\"{uidShown}\" {Describe(target)} carries no certification by another key you know");
            else steps.AddRange(why.Where(w => !steps.Contains(w)));
        }
        if (email is not null && !UserIds(target).Any(u => HasEmail(u, email))) steps.Add($"{Describe(target)} has no user ID with {email}: unknown validity for that address");
        var validity = found?.Validity ?? PgpValidity.Unknown;
        steps.Add(found is null
            ? $"result: {Describe(target)} has unknown validity: no certification path from your key through introducers you trust (max depth {MaxDepth})"
            : $"result: {Describe(target)} has {validity.ToString().ToLowerInvariant()} validity (path {found.Path})");
        return new TrustResult(validity, uidShown, found is null ? [] : [found.Path], steps);
    }

    // One key's best user ID validity from the certifications of keys already valid, with a sentence per certification.
    private static (Known? Result, List<string> Steps) Validate(PgpPublicKey key, string? email, List<(string Uid, Certification Cert)> certs,
        Dictionary<string, Known> known, string viewerFpr, IReadOnlyDictionary<string, OwnerTrust> ownerTrust)
    {
        Known? best = null;
        var bestSteps = new List<string>();
        foreach (var uid in UserIds(key).Where(u => email is null || HasEmail(u, email)))
        {
            int full = 0, marginal = 0;
            Known? via = null;
            var steps = new List<string>();
            foreach (var (_, c) in certs.Where(c => c.Uid == uid))
            {
                var signerFpr = PgpText.Fingerprint(c.Signer);
                var signer = known.GetValueOrDefault(signerFpr);
                var trust = Trust(signerFpr, viewerFpr, ownerTrust);
                var head = $"\"{uid}\" certified by {c.SignerName} (type 0x{c.Type:X2}, {c.Created:yyyy-MM-dd})";
                if (signer is null || signer.Validity < PgpValidity.Full)
                {
                    steps.Add($"{head}: the signer's key is {(signer is null ? "not valid" : "only marginally valid")} for you: does not count");
                    continue;
                }
                if (signer.Depth >= MaxDepth)
                {
                    steps.Add($"{head}: the signer is {signer.Depth} steps from you (max depth {MaxDepth}): does not count");
                    continue;
                }
                steps.Add(head + ": " + trust switch
                {
                    OwnerTrust.Ultimate => "your own key: counts as full",
                    OwnerTrust.Full => "you trust the signer fully as introducer: counts as full",
                    OwnerTrust.Marginal => "you trust the signer marginally as introducer: counts as marginal",
                    _ => "the signer's key is valid but you do not trust its owner as introducer: does not count",
                });
                if (trust is OwnerTrust.Full or OwnerTrust.Ultimate) full++;
                else if (trust == OwnerTrust.Marginal) marginal++;
                else continue;
                if (via is null || signer.Depth + 1 < via.Depth) via = new Known(PgpValidity.Unknown, signer.Depth + 1, signer.Path + " -> " + Name(key));
            }
            if (via is null)
            {
                if (best is null) bestSteps = steps;
                continue;
            }
            var validity = full >= CompletesNeeded || marginal >= MarginalsNeeded ? PgpValidity.Full : PgpValidity.Marginal;
            steps.Add($"result for \"{uid}\" {Describe(key)}: {full} full and {marginal} marginal certification(s) (need {CompletesNeeded} full or {MarginalsNeeded} marginal): {validity.ToString().ToLowerInvariant()} validity at depth {via.Depth}");
            if (best is null || validity > best.Validity)
            {
                best = via with { Validity = validity };
                bestSteps = steps;
            }
        }
        return (best, bestSteps);
    }

    private static OwnerTrust Trust(string fpr, string viewerFpr, IReadOnlyDictionary<string, OwnerTrust> ownerTrust) =>
        fpr == viewerFpr ? OwnerTrust.Ultimate : ownerTrust.GetValueOrDefault(fpr, OwnerTrust.None);

    // Every certification on the key's user IDs that counts: by another key in the ring, verified, not expired, not revoked.
    private static List<(string Uid, Certification Cert)> Certifications(PgpPublicKey key, ILookup<long, PgpPublicKey> byId, DateTime now)
    {
        var list = new List<(string, Certification)>();
        if (key.HasRevocation()) return list;
        foreach (var uid in UserIds(key))
        {
            var sigs = key.GetSignaturesForId(uid)?.ToList() ?? [];
            foreach (var sig in sigs)
            {
                if (sig.SignatureType is < PgpSignature.DefaultCertification or > PgpSignature.PositiveCertification || sig.KeyId == key.KeyId) continue;
                foreach (var signer in byId[sig.KeyId])
                {
                    if (!Verifies(sig, signer, uid, key) || Expired(sig, now) || signer.HasRevocation()) continue;
                    // RFC 4880 §5.2.1 0x30: a later revocation by the same signer on the same user ID withdraws it.
                    if (sigs.Any(r => r.SignatureType == PgpSignature.CertificationRevocation && r.KeyId == sig.KeyId
                        && r.CreationTime >= sig.CreationTime && Verifies(r, signer, uid, key))) continue;
                    list.Add((uid, new Certification(signer, Describe(signer), sig.SignatureType, sig.CreationTime)));
                }
            }
        }
        return list;
    }

    private static bool Verifies(PgpSignature sig, PgpPublicKey signer, string uid, PgpPublicKey key)
    {
        try
        {
            // The signature objects belong to the shared keyring; InitVerify keeps state in them, and two
            // deliveries may compute trust at once.
            lock (sig)
            {
                sig.InitVerify(signer);
                return sig.VerifyCertification(uid, key);
            }
        }
        catch (Exception ex) when (ex is PgpException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return false;
        }
    }

    // RFC 4880 §5.2.3.10: signature expiration time, seconds after creation; 0 means never.
    private static bool Expired(PgpSignature sig, DateTime now)
    {
        var seconds = sig.GetHashedSubPackets()?.GetSignatureExpirationTime() ?? 0;
        return seconds > 0 && sig.CreationTime.AddSeconds(seconds) < now;
    }

    /// <summary>The key's user IDs (text ones).</summary>
    public static IEnumerable<string> UserIds(PgpPublicKey key) => key.GetUserIds().OfType<string>();

    /// <summary>Whether a user ID names <paramref name="email"/> (in angle brackets, or as the whole ID).</summary>
    public static bool HasEmail(string uid, string email)
    {
        var lt = uid.LastIndexOf('<');
        var gt = uid.LastIndexOf('>');
        var addr = lt >= 0 && gt > lt ? uid[(lt + 1)..gt] : uid;
        return addr.Trim().Equals(email.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    private static string Name(PgpPublicKey key) => UserIds(key).FirstOrDefault() is { } u && u.LastIndexOf('<') is var lt and >= 0 && u.LastIndexOf('>') > lt
        ? u[(lt + 1)..u.LastIndexOf('>')] : PgpText.KeyId(key.KeyId);

    /// <summary>"user ID (0xKEYID)" for the steps.</summary>
    public static string Describe(PgpPublicKey key) => $"{UserIds(key).FirstOrDefault() ?? "(no user ID)"} (0x{PgpText.KeyId(key.KeyId)})";
}
