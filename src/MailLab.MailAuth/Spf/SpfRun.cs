using System.Net;
using System.Net.Sockets;

namespace MailLab.MailAuth.Spf;

/// <summary>The state of one check_host() run: counters shared across include/redirect (RFC 7208 §4.6.4) and the steps.</summary>
internal sealed class SpfRun(
    ISpfResolver dns, IPAddress ip, string sender, string helo, string? receiver, DateTimeOffset now, CancellationToken ct)
{
    internal sealed record Outcome(SpfResultCode Code, string Domain, string? Term, string? Problem, string? Explanation = null);

    // A mechanism's answer: matched, not matched, or an error that ends evaluation.
    private sealed record TermResult(bool Matched, Outcome? Error = null);

    private static readonly TermResult Match = new(true), NoMatch = new(false);

    public List<SpfStep> Steps { get; } = [];
    private int _lookups;
    private int _voids;
    private string? _validatedCache;

    private AddressFamily Family => ip.AddressFamily;

    private void Step(string domain, string term, string? query = null, string? answer = null, bool? matched = null, string? note = null) =>
        Steps.Add(new SpfStep(domain, term, query, answer, matched, _lookups, _voids, note));

    public async Task<Outcome> CheckHostAsync(string domain, bool top)
    {
        // RFC 7208 §4.3: a domain that is not a valid FQDN gives "none".
        if (!IsValidDomain(domain))
        {
            Step(domain, "(initial processing)", note: "not a valid domain name");
            return new(SpfResultCode.None, domain, null, top ? null : $"invalid domain '{domain}'");
        }
        var txt = await dns.LookupTxtAsync(domain, ct).ConfigureAwait(false);
        Step(domain, "(record lookup)", $"TXT {domain}", Describe(txt));
        if (txt.Kind == DnsAnswerKind.TempError)
            return new(SpfResultCode.TempError, domain, null, $"DNS error looking up TXT {domain}: {txt.Error}");
        // RFC 7208 §4.5: exactly one record beginning "v=spf1".
        var spf = txt.Records.Where(SpfRecord.IsSpfRecord).ToList();
        if (spf.Count == 0) return new(SpfResultCode.None, domain, null, $"no SPF record at {domain}");
        if (spf.Count > 1) return new(SpfResultCode.PermError, domain, null, "Two or more type TXT spf records found.");
        var (record, error) = SpfRecord.Parse(spf[0]);
        if (record is null)
        {
            Step(domain, spf[0], note: "syntax error: " + error);
            return new(SpfResultCode.PermError, domain, null, error);
        }

        foreach (var mech in record.Terms.OfType<SpfMechanism>())
        {
            var r = await EvaluateAsync(domain, mech).ConfigureAwait(false);
            if (r.Error is not null) return r.Error;
            if (!r.Matched) continue;
            var code = mech.Qualifier switch
            {
                '-' => SpfResultCode.Fail,
                '~' => SpfResultCode.SoftFail,
                '?' => SpfResultCode.Neutral,
                _ => SpfResultCode.Pass,
            };
            var exp = code == SpfResultCode.Fail && record.Exp is { } e ? await ExplainAsync(domain, e).ConfigureAwait(false) : null;
            return new(code, domain, mech.Text, null, exp);
        }

        // RFC 7208 §6.1: redirect applies only when no mechanism matched.
        if (record.Redirect is { } redirect)
        {
            if (!Count(domain, redirect.Text, out var limit)) return limit!;
            var target = await ExpandDomainAsync(redirect.Value, domain).ConfigureAwait(false);
            Step(domain, redirect.Text, note: $"redirect to {target}");
            var inner = await CheckHostAsync(target, top: false).ConfigureAwait(false);
            if (inner.Code == SpfResultCode.None)
                return new(SpfResultCode.PermError, domain, redirect.Text, $"redirect target {target} has no SPF record");
            return inner;
        }
        Step(domain, "(default)", note: "no mechanism matched: neutral");
        return new(SpfResultCode.Neutral, domain, "default", null);
    }

    private bool Count(string domain, string term, out Outcome? error)
    {
        _lookups++;
        error = null;
        if (_lookups <= SpfLimits.DnsTerms) return true;
        Step(domain, term, note: $"more than {SpfLimits.DnsTerms} DNS lookups");
        error = new(SpfResultCode.PermError, domain, term, $"Too many DNS lookups (limit {SpfLimits.DnsTerms})");
        return false;
    }

    // Void lookups (RFC 7208 §4.6.4): more than 2 is permerror.
    private Outcome? Void(string domain, string term)
    {
        _voids++;
        return _voids > SpfLimits.VoidLookups
            ? new(SpfResultCode.PermError, domain, term, $"Too many void DNS lookups (limit {SpfLimits.VoidLookups})")
            : null;
    }

    private async Task<TermResult> EvaluateAsync(string domain, SpfMechanism m)
    {
        switch (m.Kind)
        {
            case SpfMechanismKind.All:
                Step(domain, m.Text, matched: true);
                return Match;
            case SpfMechanismKind.Ip4 or SpfMechanismKind.Ip6:
            {
                var len = m.Kind == SpfMechanismKind.Ip4 ? m.Cidr4!.Value : m.Cidr6!.Value;
                var hit = ip.AddressFamily == m.Network!.AddressFamily && InNetwork(ip, m.Network, len);
                Step(domain, m.Text, matched: hit);
                return hit ? Match : NoMatch;
            }
        }
        if (!Count(domain, m.Text, out var limit)) return new(false, limit);
        var target = m.DomainSpec is null ? domain : await ExpandDomainAsync(m.DomainSpec, domain).ConfigureAwait(false);
        switch (m.Kind)
        {
            case SpfMechanismKind.Include:
            {
                Step(domain, m.Text, note: $"include {target}");
                var inner = await CheckHostAsync(target, top: false).ConfigureAwait(false);
                // RFC 7208 §5.2 table.
                switch (inner.Code)
                {
                    case SpfResultCode.Pass:
                        Step(domain, m.Text, matched: true, note: "included record passed");
                        return Match;
                    case SpfResultCode.TempError:
                        return new(false, inner with { Term = m.Text });
                    case SpfResultCode.PermError:
                        return new(false, inner with { Term = m.Text });
                    case SpfResultCode.None:
                        return new(false, new(SpfResultCode.PermError, domain, m.Text, $"included domain {target} has no SPF record"));
                    default:
                        Step(domain, m.Text, matched: false, note: $"included record gave {inner.Code}");
                        return NoMatch;
                }
            }
            case SpfMechanismKind.A:
            {
                var a = await dns.LookupAddressesAsync(target, Family, ct).ConfigureAwait(false);
                return AddressMatch(domain, m, $"{QType} {target}", a, out var voided) is { } err ? new(false, err) : new(voided);
            }
            case SpfMechanismKind.Mx:
                return await MxAsync(domain, m, target).ConfigureAwait(false);
            case SpfMechanismKind.Ptr:
            {
                var names = await ValidatedNamesAsync().ConfigureAwait(false);
                var hit = names.Any(n => IsSameOrSub(n, target));
                Step(domain, m.Text, $"PTR {ip}", string.Join(", ", names), hit, $"validated names vs {target}");
                return hit ? Match : NoMatch;
            }
            default: // exists: always an A query (RFC 7208 §5.7)
            {
                var a = await dns.LookupAddressesAsync(target, AddressFamily.InterNetwork, ct).ConfigureAwait(false);
                if (a.Kind == DnsAnswerKind.TempError)
                    return new(false, Temp(domain, m, $"A {target}", a.Error));
                var hit = a.Kind == DnsAnswerKind.Records;
                if (!hit && Void(domain, m.Text) is { } v) { Step(domain, m.Text, $"A {target}", Describe(a), false); return new(false, v); }
                Step(domain, m.Text, $"A {target}", Describe(a), hit);
                return hit ? Match : NoMatch;
            }
        }
    }

    private string QType => Family == AddressFamily.InterNetwork ? "A" : "AAAA";

    private Outcome Temp(string domain, SpfMechanism m, string query, string? error)
    {
        Step(domain, m.Text, query, "temporary error: " + error);
        return new(SpfResultCode.TempError, domain, m.Text, $"DNS error on {query}: {error}");
    }

    // Returns an error outcome, or null with "matched" set.
    private Outcome? AddressMatch(string domain, SpfMechanism m, string query, DnsAnswer<IPAddress> a, out bool matched)
    {
        matched = false;
        if (a.Kind == DnsAnswerKind.TempError) return Temp(domain, m, query, a.Error);
        if (a.Kind == DnsAnswerKind.Void)
        {
            var v = Void(domain, m.Text);
            Step(domain, m.Text, query, Describe(a), false);
            return v;
        }
        matched = a.Records.Any(r => InNetwork(ip, r, CidrFor(m)));
        Step(domain, m.Text, query, Describe(a), matched);
        return null;
    }

    private int CidrFor(SpfMechanism m) =>
        Family == AddressFamily.InterNetwork ? m.Cidr4 ?? 32 : m.Cidr6 ?? 128;

    private async Task<TermResult> MxAsync(string domain, SpfMechanism m, string target)
    {
        var mx = await dns.LookupMxAsync(target, ct).ConfigureAwait(false);
        var query = $"MX {target}";
        if (mx.Kind == DnsAnswerKind.TempError) return new(false, Temp(domain, m, query, mx.Error));
        if (mx.Kind == DnsAnswerKind.Void)
        {
            var v = Void(domain, m.Text);
            Step(domain, m.Text, query, Describe(mx), false);
            return new(false, v);
        }
        Step(domain, m.Text, query, string.Join(", ", mx.Records.Select(r => $"{r.Preference} {r.Exchange}")));
        if (mx.Records.Count > SpfLimits.MxNames)
            return new(false, new(SpfResultCode.PermError, domain, m.Text, $"more than {SpfLimits.MxNames} MX names at {target}"));
        foreach (var r in mx.Records.OrderBy(r => r.Preference))
        {
            var name = r.Exchange.TrimEnd('.');
            if (name.Length == 0) continue; // null MX (RFC 7505)
            var a = await dns.LookupAddressesAsync(name, Family, ct).ConfigureAwait(false);
            if (a.Kind == DnsAnswerKind.TempError) return new(false, Temp(domain, m, $"{QType} {name}", a.Error));
            var hit = a.Records.Any(x => InNetwork(ip, x, CidrFor(m)));
            Step(domain, m.Text, $"{QType} {name}", Describe(a), hit);
            if (hit) return Match;
        }
        return NoMatch;
    }

    // RFC 7208 §5.5: PTR names whose forward lookup returns the client IP; at most 10 names are tried.
    private async Task<List<string>> ValidatedNamesAsync()
    {
        var ptr = await dns.LookupPtrAsync(ip, ct).ConfigureAwait(false);
        var result = new List<string>();
        foreach (var name in ptr.Records.Take(SpfLimits.PtrNames))
        {
            var n = name.TrimEnd('.');
            var a = await dns.LookupAddressesAsync(n, Family, ct).ConfigureAwait(false);
            if (a.Records.Any(x => x.Equals(ip))) result.Add(n);
        }
        return result;
    }

    // %{p}: a validated name equal to the domain, else a subdomain, else any; "unknown" if none (RFC 7208 §7.3).
    private async Task<string> ValidatedDomainAsync(string domain)
    {
        if (_validatedCache is null)
        {
            var names = await ValidatedNamesAsync().ConfigureAwait(false);
            _validatedCache = names.FirstOrDefault(n => string.Equals(n, domain, StringComparison.OrdinalIgnoreCase))
                ?? names.FirstOrDefault(n => IsSameOrSub(n, domain))
                ?? names.FirstOrDefault()
                ?? "unknown";
        }
        return _validatedCache;
    }

    private SpfMacroContext Context(string domain) => new()
    {
        Ip = ip,
        Sender = sender,
        Domain = domain,
        Helo = helo,
        Receiver = receiver,
        Now = now,
        ValidatedDomain = _ => ValidatedDomainAsync(domain),
    };

    private async Task<string> ExpandDomainAsync(string spec, string domain)
    {
        var (value, _) = await SpfMacro.ExpandAsync(spec, Context(domain), explain: false, ct).ConfigureAwait(false);
        var name = (value ?? "").TrimEnd('.');
        // RFC 7208 §7.3: drop left-hand labels until the name fits.
        while (name.Length > SpfLimits.DomainLength && name.Contains('.')) name = name[(name.IndexOf('.') + 1)..];
        return name;
    }

    // RFC 7208 §6.2: any problem computing the explanation means "no explanation", never an error.
    private async Task<string?> ExplainAsync(string domain, SpfModifier exp)
    {
        var target = await ExpandDomainAsync(exp.Value, domain).ConfigureAwait(false);
        if (!IsValidDomain(target)) { Step(domain, exp.Text, note: "invalid exp domain"); return null; }
        var txt = await dns.LookupTxtAsync(target, ct).ConfigureAwait(false);
        if (txt.Kind != DnsAnswerKind.Records || txt.Records.Count != 1)
        {
            Step(domain, exp.Text, $"TXT {target}", Describe(txt), note: "no usable explanation");
            return null;
        }
        var (text, error) = await SpfMacro.ExpandAsync(txt.Records[0], Context(domain), explain: true, ct).ConfigureAwait(false);
        Step(domain, exp.Text, $"TXT {target}", txt.Records[0], note: error is null ? "explanation: " + text : "explanation syntax error: " + error);
        return text is not null && text.All(c => c is >= ' ' and <= '~') ? text : null;
    }

    private static bool IsSameOrSub(string name, string domain) =>
        string.Equals(name, domain, StringComparison.OrdinalIgnoreCase)
        || name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the first <paramref name="prefix"/> bits of both addresses agree (same family only).</summary>
    internal static bool InNetwork(IPAddress candidate, IPAddress network, int prefix)
    {
        if (candidate.AddressFamily != network.AddressFamily) return false;
        var a = candidate.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (var i = 0; i < a.Length && prefix > 0; i++, prefix -= 8)
        {
            var mask = prefix >= 8 ? 0xFF : (byte)(0xFF << (8 - prefix));
            if ((a[i] & mask) != (b[i] & mask)) return false;
        }
        return true;
    }

    // RFC 7208 §4.3: a usable FQDN: at least two labels, none empty or over 63 octets.
    internal static bool IsValidDomain(string domain)
    {
        var d = domain.TrimEnd('.');
        if (d.Length is 0 or > SpfLimits.DomainLength || d.Any(c => c is <= ' ' or > '~' or '[' or ']')) return false;
        var labels = d.Split('.');
        return labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63);
    }

    private static string Describe<T>(DnsAnswer<T> a) => a.Kind switch
    {
        DnsAnswerKind.Records => string.Join(", ", a.Records),
        DnsAnswerKind.Void => "no records" + (a.Error is null ? "" : $" ({a.Error})"),
        _ => "temporary error: " + a.Error,
    };
}
