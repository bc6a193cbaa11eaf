using System.Globalization;

namespace MailLab.Protocols.Dns.Dnssec;

/// <summary>
/// Validates one answer along a chain of trust, without I/O (RFC 4035 §5): the trust anchor's DS (or DNSKEY)
/// authenticates its zone's DNSKEY RRset, each verified DNSKEY RRset authenticates the DS RRset (or the NSEC
/// proving none) of the next zone down, and the last zone's keys authenticate the answer or its denial.
/// Every step taken is written down; every failure has a reason. Work is bounded (<see cref="DnssecLimits"/>).
/// </summary>
public static class DnssecValidator
{
    /// <summary>
    /// Validates <paramref name="answer"/> with <paramref name="chain"/> (zones ordered from the trust
    /// anchor's zone down to the answer's zone) at time <paramref name="now"/>.
    /// </summary>
    public static DnssecValidation Validate(DnssecAnswer answer, IReadOnlyList<ChainZone> chain, TrustAnchor anchor,
        DateTimeOffset now, DnssecLimits? limits = null)
    {
        var run = new Run(limits ?? DnssecLimits.Default, (uint)now.ToUnixTimeSeconds());
        string name = DnsNames.Normalize(answer.Name);
        string anchorZone = DnsNames.Normalize(anchor.Zone);
        if (!DnsNames.IsAtOrBelow(name, anchorZone))
        {
            return run.Done(ValidationStatus.Indeterminate, $"no trust anchor covers {Abs(name)} (the anchor is {Abs(anchorZone)})");
        }
        if (chain.Count == 0 || DnsNames.Normalize(chain[0].Name) != anchorZone)
        {
            return run.Done(ValidationStatus.Indeterminate, $"the chain does not start at the trust anchor's zone {Abs(anchorZone)}");
        }
        if (chain.Count > run.Limits.MaxChainDepth)
        {
            return run.Done(ValidationStatus.Bogus, $"the chain has {chain.Count} zones, more than the {run.Limits.MaxChainDepth} allowed");
        }

        // RFC 4035 §5.2, RFC 6840 §5.2: a DS set of unsupported algorithms or digests only makes the zone insecure.
        var anchorDs = anchor.Ds.Where(Supported).ToList();
        if (anchor.Keys.Count == 0 && anchorDs.Count == 0)
        {
            return run.Done(ValidationStatus.Insecure, $"the trust anchor for {Abs(anchorZone)} uses no supported algorithm and digest (RFC 4035 §5.2)");
        }
        var keys = ZoneKeys(chain[0], anchorZone, anchorDs, anchor.Keys, run, out string? failure);
        if (keys is null) return run.Done(ValidationStatus.Bogus, failure);

        for (int i = 1; i < chain.Count; i++)
        {
            string parent = DnsNames.Normalize(chain[i - 1].Name), child = DnsNames.Normalize(chain[i].Name);
            if (child == parent || !DnsNames.IsAtOrBelow(child, parent) || !DnsNames.IsAtOrBelow(name, child))
            {
                return run.Done(ValidationStatus.Indeterminate, $"the chain is broken: {Abs(child)} does not follow {Abs(parent)} towards {Abs(name)}");
            }
            var zone = chain[i];
            if (zone.Ds is { } ds)
            {
                if (DnsNames.Normalize(ds.Owner) != child || ds.Type != DnsType.DS)
                {
                    return run.Done(ValidationStatus.Bogus, $"the DS RRset given for {Abs(child)} is {Abs(ds.Owner)} {ds.Type}");
                }
                failure = VerifyRRset(ds, keys, parent, run, "key");
                if (failure is not null) return run.Done(ValidationStatus.Bogus, failure);
                var dsData = ds.Records.Select(r => r.Data).OfType<DsData>().ToList();
                var usable = dsData.Where(Supported).ToList();
                if (usable.Count == 0)
                {
                    run.Step($"DS {Abs(child)}: no supported algorithm or digest among {dsData.Count} DS records");
                    return run.Done(ValidationStatus.Insecure, $"the DS records of {Abs(child)} use no supported algorithm and digest (RFC 4035 §5.2, RFC 6840 §5.2)");
                }
                keys = ZoneKeys(zone, child, usable, [], run, out failure);
                if (keys is null) return run.Done(ValidationStatus.Bogus, failure);
            }
            else if (zone.NoDsProof is { Count: > 0 } proof)
            {
                string? step = DnssecDenial.ProveNoDs(child, proof, out failure);
                if (step is null) return run.Done(ValidationStatus.Bogus, failure);
                failure = VerifyRRset(proof.First(p => p.Owner == child), keys, parent, run, "key");
                if (failure is not null) return run.Done(ValidationStatus.Bogus, failure);
                run.Step(step);
                return run.Done(ValidationStatus.Insecure, $"insecure delegation: {Abs(parent)} proves {Abs(child)} has no DS");
            }
            else
            {
                return run.Done(ValidationStatus.Bogus, $"{Abs(parent)} gives neither a DS for {Abs(child)} nor a signed proof that it has none");
            }
        }

        string last = DnsNames.Normalize(chain[^1].Name);
        if (!DnsNames.IsAtOrBelow(name, last))
        {
            return run.Done(ValidationStatus.Indeterminate, $"the chain ends at {Abs(last)}, which does not hold {Abs(name)}");
        }
        return Answer(answer, name, last, keys, run);
    }

    private static DnssecValidation Answer(DnssecAnswer answer, string name, string zone, IReadOnlyList<DnskeyData> keys, Run run)
    {
        string? failure;
        if (answer.RRset is { } rrset)
        {
            failure = VerifyRRset(rrset, keys, zone, run, "key", out var used);
            if (failure is not null) return run.Done(ValidationStatus.Bogus, failure);
            int labels = DnssecCanonical.LabelCount(rrset.Owner);
            if (used!.Labels < labels)
            {
                // RFC 4035 §5.3.4: an answer expanded from a wildcard is secure only with a signed NSEC proving that
                // no closer match exists, else a signed wildcard RRset could be replayed for a name that exists.
                foreach (var nsec in answer.Denial)
                {
                    failure = VerifyRRset(nsec, keys, zone, run, "key");
                    if (failure is not null) return run.Done(ValidationStatus.Bogus, failure);
                }
                string? proof = DnssecDenial.ProveWildcardExpansion(rrset.Owner, used.Labels, answer.Denial, out failure);
                if (proof is null) return run.Done(ValidationStatus.Bogus, failure);
                run.Step(proof);
            }
            return run.Done(ValidationStatus.Secure, null);
        }
        foreach (var nsec in answer.Denial)
        {
            failure = VerifyRRset(nsec, keys, zone, run, "key");
            if (failure is not null) return run.Done(ValidationStatus.Bogus, failure);
        }
        string? step = answer.NxDomain
            ? DnssecDenial.ProveNxDomain(name, zone, answer.Denial, out failure)
            : DnssecDenial.ProveNoData(name, answer.Type, answer.Denial, out failure);
        if (step is null) return run.Done(ValidationStatus.Bogus, failure);
        run.Step(step);
        return run.Done(ValidationStatus.Secure, null);
    }

    private static bool Supported(DsData ds) => DnssecAlgorithm.IsSupported(ds.Algorithm) && ds.DigestType == DnssecCanonical.DigestSha256;

    /// <summary>
    /// The zone keys of <paramref name="zone"/> once its DNSKEY RRset is authenticated: a DNSKEY that matches
    /// one of <paramref name="ds"/> (key tag, algorithm, digest; RFC 4035 §5.2) or equals one of
    /// <paramref name="anchorKeys"/> must sign the RRset. Null with the reason when it cannot be.
    /// </summary>
    private static IReadOnlyList<DnskeyData>? ZoneKeys(ChainZone chainZone, string zone, IReadOnlyList<DsData> ds,
        IReadOnlyList<DnskeyData> anchorKeys, Run run, out string? failure)
    {
        failure = null;
        if (chainZone.Dnskey is not { } set || DnsNames.Normalize(set.Owner) != zone || set.Type != DnsType.DNSKEY)
        {
            failure = $"no DNSKEY RRset for {Abs(zone)}";
            return null;
        }
        var all = set.Records.Select(r => r.Data).OfType<DnskeyData>().ToList();
        var entry = new List<DnskeyData>();
        foreach (var key in all.Where(k => anchorKeys.Contains(k)))
        {
            entry.Add(key);
            run.Step($"DNSKEY {Abs(zone)} key tag {DnssecCanonical.KeyTag(key)} {DnssecAlgorithm.Name(key.Algorithm)} is a trust anchor");
        }
        string? mismatch = null;
        foreach (var d in ds)
        {
            var tagged = all.Where(k => k.Algorithm == d.Algorithm && DnssecCanonical.KeyTag(k) == d.KeyTag).Take(run.Limits.MaxKeysPerSignature).ToList();
            var match = tagged.FirstOrDefault(k => DnssecCanonical.Ds(zone, k).Digest.AsSpan().SequenceEqual(d.Digest));
            if (match is null)
            {
                mismatch ??= tagged.Count > 0
                    ? $"DS digest mismatch: the DS of {Abs(zone)} for key tag {d.KeyTag} does not match DNSKEY {d.KeyTag}"
                    : $"no DNSKEY of {Abs(zone)} has key tag {d.KeyTag} algorithm {d.Algorithm} (the DS's)";
                continue;
            }
            if (!entry.Contains(match)) entry.Add(match);
            run.Step($"DS {Abs(zone)} key tag {d.KeyTag} {DnssecAlgorithm.Name(d.Algorithm)} SHA-256 matches DNSKEY {d.KeyTag}");
        }
        if (entry.Count == 0)
        {
            failure = mismatch ?? $"no DNSKEY of {Abs(zone)} matches its DS";
            return null;
        }
        failure = VerifyRRset(set, entry, zone, run, entry.All(k => k.IsSecureEntryPoint) ? "KSK" : "key");
        if (failure is not null) return null;
        return all.Where(k => k.Protocol == 3 && (k.Flags & DnskeyData.ZoneKeyFlags) != 0).ToList();
    }

    /// <summary>
    /// RFC 4035 §5.3: one of the RRset's RRSIGs, by <paramref name="zone"/>, current, must verify with one of
    /// <paramref name="keys"/>. Null when one does (the step is recorded), else the first reason found.
    /// </summary>
    private static string? VerifyRRset(SignedRRset set, IReadOnlyList<DnskeyData> keys, string zone, Run run, string keyWord) =>
        VerifyRRset(set, keys, zone, run, keyWord, out _);

    /// <summary>As above; <paramref name="used"/> is the RRSIG that verified (its Labels field tells a wildcard expansion).</summary>
    private static string? VerifyRRset(SignedRRset set, IReadOnlyList<DnskeyData> keys, string zone, Run run, string keyWord, out RrsigData? used)
    {
        used = null;
        string what = $"{Abs(set.Owner)} {DnssecText.TypeName(set.Type)}";
        var sigs = set.Signatures.Where(s => s.TypeCovered == set.Type).ToList();
        if (sigs.Count == 0) return $"missing RRSIG over {what} in the signed zone {Abs(zone)}";
        string? first = null;
        foreach (var sig in sigs)
        {
            if (DnsNames.Normalize(sig.SignerName) != zone)
            {
                first ??= $"the RRSIG over {what} is by {Abs(sig.SignerName)}, not by its zone {Abs(zone)}";
                continue;
            }
            if (!DnssecAlgorithm.IsSupported(sig.Algorithm))
            {
                first ??= $"the RRSIG over {what} uses unsupported algorithm {sig.Algorithm}"; // skipped (RFC 6840 §5.2)
                continue;
            }
            if ((int)(run.Now - sig.Inception) < 0)
            {
                first ??= $"RRSIG over {what} by key tag {sig.KeyTag} is not yet valid: from {Time(sig.Inception)}";
                continue;
            }
            if ((int)(sig.Expiration - run.Now) < 0)
            {
                first ??= $"RRSIG over {what} by key tag {sig.KeyTag} expired {Time(sig.Expiration)}";
                continue;
            }
            var candidates = keys.Where(k => k.Algorithm == sig.Algorithm && DnssecCanonical.KeyTag(k) == sig.KeyTag)
                .Take(run.Limits.MaxKeysPerSignature).ToList();
            if (candidates.Count == 0)
            {
                first ??= $"no matching key: no DNSKEY of {Abs(zone)} has key tag {sig.KeyTag} {DnssecAlgorithm.Name(sig.Algorithm)} (the RRSIG over {what})";
                continue;
            }
            foreach (var key in candidates)
            {
                if (run.Checks >= run.Limits.MaxSignatureChecks)
                {
                    return $"more than {run.Limits.MaxSignatureChecks} signature checks for one answer (the KeyTrap limit, CVE-2023-50387)";
                }
                run.Checks++;
                if (RrsigSigner.Verify(sig, set.Owner, set.Records, key, out string? problem))
                {
                    used = sig;
                    run.Step($"RRSIG over {what} by {keyWord} {sig.KeyTag} {DnssecAlgorithm.Name(sig.Algorithm)} valid {Time(sig.Inception)} to {Time(sig.Expiration)}: verified");
                    return null;
                }
                first ??= $"bad signature: RRSIG over {what} by key tag {sig.KeyTag} does not verify ({problem})";
            }
        }
        return first;
    }

    private static string Abs(string name) => DnsNames.Absolute(DnsNames.Normalize(name));

    private static string Time(uint seconds) =>
        DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class Run(DnssecLimits limits, uint now)
    {
        private readonly List<string> steps = [];

        public DnssecLimits Limits { get; } = limits;

        public uint Now { get; } = now;

        public int Checks { get; set; }

        public void Step(string step) => steps.Add(step);

        public DnssecValidation Done(ValidationStatus status, string? reason) => new(status, reason, steps, Checks);
    }
}
