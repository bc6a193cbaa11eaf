using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dmarc;

/// <summary>A policy record found in the DNS, at <paramref name="Domain"/>.</summary>
internal sealed record FoundRecord(string Domain, DmarcRecord Record);

/// <summary>
/// The DNS half of one evaluation: policy discovery and organisational domains, by the RFC 9989 §4.10
/// tree walk or by RFC 7489 §6.6.3 with the Public Suffix List. Every query is recorded as a step,
/// and answered once per evaluation (the walks for policy and for each identifier share names).
/// </summary>
internal sealed class DmarcDiscovery(IDmarcResolver dns, DmarcMode mode, PublicSuffixList psl, List<DmarcStep> steps, CancellationToken ct)
{
    /// <summary>RFC 9989 §4.10: at most 8 queries per walk.</summary>
    public const int MaxWalkQueries = 8;

    private readonly Dictionary<string, (FoundRecord? Found, bool TempError)> cache = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Set when a query failed temporarily.</summary>
    public string? TempError { get; private set; }

    /// <summary>The names a walk from <paramref name="domain"/> visits: itself, then (over 8 labels: cut to 7) one label fewer each time.</summary>
    public static List<string> WalkNames(string domain)
    {
        var labels = domain.Split('.');
        var names = new List<string> { domain };
        int start = labels.Length > MaxWalkQueries ? labels.Length - 7 : 1;
        for (int i = start; i < labels.Length && names.Count < MaxWalkQueries; i++)
        {
            names.Add(string.Join('.', labels[i..]));
        }
        return names;
    }

    /// <summary>The policy record for the author domain: RFC 9989 walks up; RFC 7489 asks the domain, then its organisational domain.</summary>
    public async Task<FoundRecord?> FindPolicyAsync(string author)
    {
        var names = mode == DmarcMode.Rfc9989 ? WalkNames(author) : Distinct(author, psl.OrganizationalDomain(author));
        foreach (var name in names)
        {
            var found = await RecordAtAsync(name).ConfigureAwait(false);
            if (TempError is not null) return null;
            if (found is not null) return found;
        }
        return null;
    }

    /// <summary>The organisational domain of <paramref name="domain"/>, with the step that says how it was found.</summary>
    public async Task<string> OrgDomainAsync(string domain)
    {
        if (mode == DmarcMode.Rfc7489)
        {
            var org = psl.OrganizationalDomain(domain);
            steps.Add(new DmarcStep("org-domain", $"{domain} -> {org} (public suffix {psl.PublicSuffix(domain)} plus one label, RFC 7489 §3.2)"));
            return org;
        }
        // RFC 9989 §4.10.2: psd=n marks the organisational domain, psd=y the level above it; otherwise
        // the record with the fewest labels; no record at all: the domain itself.
        var names = WalkNames(domain);
        string? highest = null;
        for (int i = 0; i < names.Count; i++)
        {
            var found = await RecordAtAsync(names[i]).ConfigureAwait(false);
            if (found is null) continue;
            if (found.Record.Psd == 'n') return Org(domain, names[i], "psd=n at " + names[i]);
            if (found.Record.Psd == 'y')
            {
                var below = i > 0 ? names[i - 1] : domain;
                // The walk may have jumped from 8+ labels to 7: the level below is then cut from the domain.
                if (below.Split('.').Length != names[i].Split('.').Length + 1)
                {
                    var labels = domain.Split('.');
                    below = string.Join('.', labels[^(names[i].Split('.').Length + 1)..]);
                }
                return Org(domain, below, $"psd=y at {names[i]}, so the level below it");
            }
            highest = names[i];
        }
        return highest is null ? Org(domain, domain, "no DMARC record on the walk, so the domain itself")
            : Org(domain, highest, $"the record with the fewest labels, at {highest}");
    }

    /// <summary>Adds a step from the evaluator (the np existence query).</summary>
    public void Note(DmarcStep step) => steps.Add(step);

    private string Org(string domain, string org, string why)
    {
        steps.Add(new DmarcStep("org-domain", $"{domain} -> {org} ({why}; RFC 9989 §4.10.2)"));
        return org;
    }

    private static List<string> Distinct(string a, string b) => a.Equals(b, StringComparison.OrdinalIgnoreCase) ? [a] : [a, b];

    /// <summary>The one valid DMARC record at _dmarc.<paramref name="domain"/>, or null (none, several, or invalid).</summary>
    private async Task<FoundRecord?> RecordAtAsync(string domain)
    {
        if (cache.TryGetValue(domain, out var hit)) return hit.Found;
        var query = "_dmarc." + domain + " TXT";
        var answer = await dns.LookupTxtAsync("_dmarc." + domain, ct).ConfigureAwait(false);
        FoundRecord? found = null;
        if (answer.Kind == DnsAnswerKind.TempError)
        {
            TempError = $"DNS error for {query}: {answer.Error}";
            steps.Add(new DmarcStep("query", "temporary DNS error", query, answer.Error));
            cache[domain] = (null, true);
            return null;
        }
        // RFC 7489 §6.6.3: records that do not start with v=DMARC1 are discarded; more than one is none.
        var candidates = answer.Records.Where(DmarcRecord.LooksLikeDmarc).ToList();
        if (candidates.Count == 0)
        {
            steps.Add(new DmarcStep("query", "no DMARC record", query, answer.Kind == DnsAnswerKind.Void ? answer.Error ?? "no records" : string.Join(" | ", answer.Records)));
        }
        else if (candidates.Count > 1)
        {
            steps.Add(new DmarcStep("query", $"{candidates.Count} DMARC records: none is used (RFC 7489 §6.6.3)", query, string.Join(" | ", candidates)));
        }
        else if (DmarcRecord.Parse(candidates[0], out var error) is { } record)
        {
            found = new FoundRecord(domain, record);
            steps.Add(new DmarcStep("query", "policy record", query, candidates[0]));
        }
        else
        {
            steps.Add(new DmarcStep("query", $"invalid record ignored: {error}", query, candidates[0]));
        }
        cache[domain] = (found, false);
        return found;
    }
}
