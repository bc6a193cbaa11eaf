namespace MailLab.Server.Relay;

/// <summary>
/// One MTA's MTA-STS policy cache (RFC 8461 §5.1), with the clock given so its rules are tested without waiting:
/// a policy is kept for its max_age; it is fetched again when the <c>_mta-sts</c> TXT id differs from the cached
/// one's; when there is no (valid) TXT record or the fetch fails, an unexpired cached policy stays in force
/// (a sender must not let an attacker who blocks the TXT or the HTTPS fetch turn the policy off).
/// </summary>
internal sealed class MtaStsCache(Func<DateTimeOffset> now)
{
    private readonly Dictionary<string, Entry> entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock gate = new();

    private sealed record Entry(MtaStsPolicy Policy, string Id, DateTimeOffset Expires);

    /// <summary>Cached domains at most; a full cache drops its expired entries, then refuses new ones (a lab has a few domains).</summary>
    public const int MaxEntries = 1000;

    /// <summary>
    /// The policy of <paramref name="domain"/> given its TXT records (<paramref name="txt"/>; null when the lookup
    /// failed), fetching the policy body with <paramref name="fetch"/> only when needed. <paramref name="fetch"/>
    /// returns the body or an error.
    /// </summary>
    public async Task<MtaStsLookup> LookupAsync(string domain, IReadOnlyList<string>? txt,
        Func<CancellationToken, Task<(string? Body, string? Error)>> fetch, CancellationToken ct)
    {
        var cached = Cached(domain);
        // RFC 8461 §3.1: records not starting with v=STSv1 are discarded; anything but exactly one valid one is no record.
        var sts = (txt ?? []).Where(t => t.StartsWith("v=STSv1", StringComparison.Ordinal)).ToList();
        string? id = sts.Count == 1 ? MtaStsPolicy.TxtId(sts[0]) : null;
        string txtSays = txt is null ? "TXT lookup failed" : sts.Count == 0 ? "no _mta-sts TXT record" : id is null ? $"_mta-sts TXT invalid ({sts.Count} record(s))" : $"_mta-sts TXT id={id}";
        if (id is null)
        {
            return cached is null
                ? MtaStsLookup.None(txtSays)
                : new MtaStsLookup(cached.Policy, cached.Id, "cached", $"{txtSays}; cached policy id={cached.Id} in force until {cached.Expires:u}");
        }
        if (cached is not null && cached.Id == id)
        {
            return new MtaStsLookup(cached.Policy, id, "cached", $"{txtSays}, same as the cached policy (until {cached.Expires:u})");
        }
        var (body, error) = await fetch(ct).ConfigureAwait(false);
        MtaStsPolicy? policy = null;
        if (body is not null)
        {
            policy = MtaStsPolicy.Parse(body, out var parseError);
            if (policy is null) error = $"the policy does not parse: {parseError}";
        }
        if (policy is null)
        {
            // RFC 8461 §5.1: a failed refresh keeps an unexpired cached policy.
            return cached is null
                ? MtaStsLookup.None($"{txtSays}; policy fetch failed: {error}")
                : new MtaStsLookup(cached.Policy, cached.Id, "cached", $"{txtSays}; policy fetch failed ({error}): cached policy id={cached.Id} stays in force");
        }
        var at = now();
        lock (gate)
        {
            if (entries.Count >= MaxEntries)
            {
                foreach (var k in entries.Where(e => e.Value.Expires <= at).Select(e => e.Key).ToList()) entries.Remove(k);
            }
            if (entries.Count < MaxEntries || entries.ContainsKey(domain)) entries[domain] = new Entry(policy, id, at + policy.MaxAge);
        }
        return new MtaStsLookup(policy, id, "fetched", $"{txtSays}; policy fetched: mode {policy.Mode.ToString().ToLowerInvariant()}, max_age {(long)policy.MaxAge.TotalSeconds}");
    }

    private Entry? Cached(string domain)
    {
        lock (gate)
        {
            return entries.TryGetValue(domain, out var e) && e.Expires > now() ? e : null;
        }
    }
}
