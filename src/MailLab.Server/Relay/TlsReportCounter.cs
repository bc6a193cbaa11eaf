namespace MailLab.Server.Relay;

/// <summary>
/// The relay's TLS-RPT counts (RFC 8460 §4.4): per policy domain and policy, the sessions that succeeded and the
/// failures by type and MX host, since the last report. Thread-safe; <see cref="Take"/> empties it.
/// </summary>
internal sealed class TlsReportCounter
{
    private readonly Dictionary<(string Domain, string PolicyType, string Policy), Counts> counts = [];
    private readonly Lock gate = new();

    /// <summary>The counts of one policy: successes and failures by (type, receiving MX host, detail).</summary>
    internal sealed class Counts
    {
        /// <summary>Sessions that met the policy.</summary>
        public long Successes { get; set; }

        /// <summary>Failed sessions by result type, receiving MX host and the reason code (RFC 8460 §4.4 failure-details).</summary>
        public Dictionary<(string Type, string Host, string Reason), long> Failures { get; } = [];
    }

    /// <summary>One policy's counts as <see cref="Take"/> returns them.</summary>
    internal sealed record PolicyCounts(string Domain, string PolicyType, IReadOnlyList<string> PolicyStrings, string? MxHost, Counts Counts);

    /// <summary>Adds one result: a success when <paramref name="failureType"/> is null.</summary>
    public void Add(string domain, TlsDecision d, string host, string? failureType, string reason)
    {
        // RFC 8460 §4.4: policy-type tlsa, sts or no-policy-found.
        string type = d.Policy == TlsPolicyKind.Dane ? "tlsa" : d.Policy is TlsPolicyKind.MtaStsEnforce or TlsPolicyKind.MtaStsTesting ? "sts" : "no-policy-found";
        string policy = type == "tlsa" ? string.Join("\n", d.Tlsa.Select(r => r.ToZoneText())) : d.PolicyName;
        lock (gate)
        {
            var key = (domain.ToLowerInvariant(), type, policy);
            if (!counts.TryGetValue(key, out var c)) counts[key] = c = new Counts();
            if (failureType is null) c.Successes++;
            else c.Failures[(failureType, host, reason)] = c.Failures.GetValueOrDefault((failureType, host, reason)) + 1;
        }
    }

    /// <summary>Whether anything was counted.</summary>
    public bool IsEmpty
    {
        get { lock (gate) { return counts.Count == 0; } }
    }

    /// <summary>Every count so far, by domain, and empties the counter.</summary>
    public IReadOnlyList<PolicyCounts> Take()
    {
        lock (gate)
        {
            var all = counts.Select(kv => new PolicyCounts(kv.Key.Domain, kv.Key.PolicyType,
                kv.Key.Policy.Split('\n', StringSplitOptions.RemoveEmptyEntries), null, kv.Value)).ToList();
            counts.Clear();
            return all;
        }
    }
}
