namespace MailLab.Server.Relay;

/// <summary>
/// The relay's TLS-RPT counts (RFC 8460 §4.4): per sending site, policy domain and policy, the sessions that succeeded
/// and the failures by type and MX host, since the last report. Kept in memory (a restart starts a new period).
/// Thread-safe; <see cref="Take"/> empties one site's counts.
/// </summary>
internal sealed class TlsReportCounter
{
    /// <summary>Policies counted per period at most; a new one past this is not counted (bounded memory whatever students publish).</summary>
    public const int MaxPolicies = 1000;

    /// <summary>Distinct failure rows (type, host, reason) per policy at most; further ones are added to the last row's total only.</summary>
    public const int MaxFailureRows = 100;

    private readonly Dictionary<(string Site, string Domain, string PolicyType, string Policy), Counts> counts = [];
    private readonly Lock gate = new();

    /// <summary>The counts of one policy: successes and failures by (type, receiving MX host, detail).</summary>
    internal sealed class Counts
    {
        /// <summary>Sessions that met the policy.</summary>
        public long Successes { get; set; }

        /// <summary>Failed sessions by result type, receiving MX host and the reason code (RFC 8460 §4.4 failure-details).</summary>
        public Dictionary<(string Type, string Host, string Reason), long> Failures { get; } = [];

        /// <summary>The policy's mx-host list (RFC 8460 §4.4): the MTA-STS policy's mx patterns, or the MX hosts a TLSA policy was met at.</summary>
        public SortedSet<string> MxHosts { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>One policy's counts as <see cref="Take"/> returns them.</summary>
    internal sealed record PolicyCounts(string Domain, string PolicyType, IReadOnlyList<string> PolicyStrings, Counts Counts);

    /// <summary>Adds one result of <paramref name="site"/>'s relay: a success when <paramref name="failureType"/> is null.</summary>
    public void Add(string site, string domain, TlsDecision d, string host, string? failureType, string reason)
    {
        // RFC 8460 §4.4: policy-type tlsa, sts or no-policy-found; policy-string the TLSA records or the STS policy's lines.
        string type = d.Policy == TlsPolicyKind.Dane ? "tlsa" : d.Policy is TlsPolicyKind.MtaStsEnforce or TlsPolicyKind.MtaStsTesting ? "sts" : "no-policy-found";
        string policy = type switch
        {
            "tlsa" => string.Join("\n", d.Tlsa.Select(r => r.ToZoneText())),
            "sts" when d.Sts is { } sts => string.Join("\n", PolicyLines(sts)),
            _ => "",
        };
        lock (gate)
        {
            var key = (site, domain.ToLowerInvariant(), type, policy);
            if (!counts.TryGetValue(key, out var c))
            {
                if (counts.Count >= MaxPolicies) return;
                counts[key] = c = new Counts();
            }
            if (type == "sts" && d.Sts is { } p) c.MxHosts.UnionWith(p.Mx);
            else if (c.MxHosts.Count < MaxFailureRows) c.MxHosts.Add(host.ToLowerInvariant());
            if (failureType is null) c.Successes++;
            else
            {
                var row = (failureType, host, reason);
                if (!c.Failures.ContainsKey(row) && c.Failures.Count >= MaxFailureRows) row = (failureType, "-", $"further failures past {MaxFailureRows} rows");
                c.Failures[row] = c.Failures.GetValueOrDefault(row) + 1;
            }
        }
    }

    /// <summary>Whether anything was counted.</summary>
    public bool IsEmpty
    {
        get { lock (gate) { return counts.Count == 0; } }
    }

    /// <summary>Every count of <paramref name="site"/>'s relay so far, and removes them.</summary>
    public IReadOnlyList<PolicyCounts> Take(string site)
    {
        lock (gate)
        {
            var mine = counts.Where(kv => kv.Key.Site == site).ToList();
            foreach (var kv in mine) counts.Remove(kv.Key);
            return mine.Select(kv => new PolicyCounts(kv.Key.Domain, kv.Key.PolicyType,
                kv.Key.Policy.Split('\n', StringSplitOptions.RemoveEmptyEntries), kv.Value)).ToList();
        }
    }

    /// <summary>Puts counts back that could not be reported (the next period reports them).</summary>
    public void Restore(string site, IEnumerable<PolicyCounts> taken)
    {
        lock (gate)
        {
            foreach (var t in taken)
            {
                var key = (site, t.Domain, t.PolicyType, string.Join("\n", t.PolicyStrings));
                if (!counts.TryGetValue(key, out var c)) counts[key] = c = new Counts();
                c.Successes += t.Counts.Successes;
                c.MxHosts.UnionWith(t.Counts.MxHosts);
                foreach (var (k, n) in t.Counts.Failures) c.Failures[k] = c.Failures.GetValueOrDefault(k) + n;
            }
        }
    }

    // RFC 8460 §4.4: "policy-string" for sts is the policy's lines as fetched (RFC 8461 §3.2 key: value form).
    private static IEnumerable<string> PolicyLines(MtaStsPolicy p) =>
        new[] { "version: STSv1", $"mode: {p.Mode.ToString().ToLowerInvariant()}" }
            .Concat(p.Mx.Select(m => $"mx: {m}"))
            .Append($"max_age: {(long)p.MaxAge.TotalSeconds}");
}
