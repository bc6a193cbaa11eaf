using System.Runtime.CompilerServices;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Trace;

namespace MailLab.Server.Dns;

/// <summary>
/// What a validating <see cref="LabResolver"/> needs: the trust anchor (read when asked, so a new lab's
/// anchor is seen; null while there is none), where to trace each validation (the site's, origin resolver),
/// and the clock signatures are checked against (the system's unless a test gives one).
/// </summary>
internal sealed record ResolverValidation(Func<TrustAnchor?> Anchor, TraceContext? Trace, Func<DateTimeOffset>? Clock = null);

public sealed partial class LabResolver
{
    private static readonly AsyncLocal<DnssecObservation?> Observing = new();

    /// <summary>
    /// From here on in the calling async flow, the statuses of the validated lookups are recorded in the
    /// returned observation (the caller's own flow only: an async method's changes do not reach its caller).
    /// </summary>
    internal static DnssecObservation Observe()
    {
        var o = new DnssecObservation();
        Observing.Value = o;
        return o;
    }

    // One validation per answer received: a cached answer used again keeps its status and is not traced again.
    private readonly ConditionalWeakTable<DnsResponse, StrongBox<(DnssecStatus Status, string? Reason)>> validated = new();

    /// <summary>
    /// Validation, when the lab's <c>dnssec-validate</c> switch is on: every answer is asked with the DO bit
    /// and validated along the chain from the trust anchor (RFC 4035 §5); a bogus answer is never used.
    /// Null (the default): no DO bit, every status <see cref="DnssecStatus.Unchecked"/>.
    /// </summary>
    internal ResolverValidation? Validation { get; init; }

    /// <summary>The query and its DNSSEC status; a bogus answer becomes a temporary error with the reason.</summary>
    private async Task<(DnsResponse? Response, string? Error, DnssecStatus Status)> CheckedQueryAsync(string name, DnsType type, CancellationToken ct)
    {
        var (response, error) = await QueryAsync(name, type, ct).ConfigureAwait(false);
        if (response is null || Validation is null) return (response, error, DnssecStatus.Unchecked);
        var box = validated.GetValue(response, _ => new StrongBox<(DnssecStatus, string?)>((DnssecStatus.Unchecked, null)));
        if (box.Value.Status == DnssecStatus.Unchecked)
        {
            var (status, reason, chainError) = await ValidateAsync(name, type, response, ct).ConfigureAwait(false);
            if (chainError is not null)
            {
                Observing.Value?.Add(name, type, DnssecStatus.Indeterminate);
                return (null, chainError, DnssecStatus.Indeterminate);
            }
            box.Value = (status, reason);
        }
        Observing.Value?.Add(name, type, box.Value.Status);
        return box.Value.Status == DnssecStatus.Bogus
            ? (null, $"{name} {type}: DNSSEC bogus: {box.Value.Reason}", DnssecStatus.Bogus)
            : (response, null, box.Value.Status);
    }

    private async Task<(DnssecStatus Status, string? Reason, string? ChainError)> ValidateAsync(string name, DnsType type, DnsResponse response,
        CancellationToken ct)
    {
        if (response.Rcode == DnsRcode.Refused) return (DnssecStatus.Indeterminate, "REFUSED: outside every lab zone", null);
        var anchor = Validation!.Anchor();
        DnssecValidation v;
        if (anchor is null)
        {
            v = new DnssecValidation(ValidationStatus.Indeterminate, "no trust anchor (the lab's signed root zone has none yet)", [], 0);
        }
        else
        {
            // A CNAME answers for the name when the type is not there (RFC 1034 §3.6.2): each name of the chain the
            // answer's records are taken from (DnsResponse.AnswerFor) is validated in its own zone, the weakest status wins.
            var names = response.CnameChain();
            if (names.Count == 0) names = [name];
            v = new DnssecValidation(ValidationStatus.Secure, null, [], 0);
            for (int i = 0; i < names.Count && v.Status == ValidationStatus.Secure; i++)
            {
                string owner = names[i];
                var rrset = SignedRRset.From(response.Answers, owner, type) ?? SignedRRset.From(response.Answers, owner, DnsType.CNAME);
                if (i > 0 && rrset is null) break; // the target's records are not in this answer: nothing of it is used
                var (chain, error) = await ChainAsync(owner, anchor, ct).ConfigureAwait(false);
                if (error is not null) return (DnssecStatus.Indeterminate, null, $"{owner} {type}: DNSSEC chain: {error}");
                bool last = i == names.Count - 1;
                var answer = new DnssecAnswer(owner, type, rrset, SignedRRset.Nsecs(response.Authority), last && response.Rcode == DnsRcode.NXDomain);
                var hop = DnssecValidator.Validate(answer, chain, anchor, Validation.Clock?.Invoke() ?? DateTimeOffset.UtcNow);
                var steps = i == 0 ? hop.Steps : [$"CNAME {DnsNames.Absolute(names[i - 1])} -> {DnsNames.Absolute(owner)}: validated in its own zone", .. hop.Steps];
                v = new DnssecValidation(hop.Status, hop.Reason, [.. v.Steps, .. steps], v.SignatureChecks + hop.SignatureChecks);
            }
        }
        var status = v.Status switch
        {
            ValidationStatus.Secure => DnssecStatus.Secure,
            ValidationStatus.Insecure => DnssecStatus.Insecure,
            ValidationStatus.Bogus => DnssecStatus.Bogus,
            _ => DnssecStatus.Indeterminate,
        };
        string label = status.ToString().ToLowerInvariant();
        Validation.Trace?.Emit(TraceKind.DnssecValidation,
            $"DNSSEC {DnsNames.Absolute(name)} {type}: {label}{(v.Reason is null ? "" : ": " + v.Reason)}",
            ("Name", name), ("Type", type.ToString()), ("Status", label), ("Reason", v.Reason), ("Steps", v.Steps),
            ("Checks", v.SignatureChecks));
        return (status, v.Reason, null);
    }

    /// <summary>
    /// The chain from the trust anchor's zone down to the zone holding <paramref name="name"/>: at each name
    /// below the anchor, the DS RRset (a secure delegation: that zone's DNSKEY RRset is fetched too), or the
    /// parent's NSEC proving a delegation has no DS (insecure: the walk stops), or neither (not a zone cut).
    /// DS and DNSKEY answers are cached like every other answer (by TTL, capped, emptied on reload).
    /// </summary>
    private async Task<(List<ChainZone> Chain, string? Error)> ChainAsync(string name, TrustAnchor anchor, CancellationToken ct)
    {
        var chain = new List<ChainZone>();
        string zone = DnsNames.Normalize(anchor.Zone);
        if (!DnsNames.IsAtOrBelow(name, zone)) return (chain, null); // the validator says indeterminate
        var (keys, error) = await DnskeyAsync(zone, ct).ConfigureAwait(false);
        if (error is not null) return (chain, error);
        chain.Add(new ChainZone(zone, keys));
        string[] labels = name.Split('.');
        int below = labels.Length - (zone.Length == 0 ? 0 : zone.Split('.').Length);
        for (int i = below - 1; i >= 0 && chain.Count <= DnssecLimits.Default.MaxChainDepth; i--)
        {
            string cut = string.Join('.', labels[i..]);
            var (ds, dsError) = await QueryAsync(cut, DnsType.DS, ct).ConfigureAwait(false);
            if (dsError is not null) return (chain, dsError);
            if (SignedRRset.From(ds!.Answers, cut, DnsType.DS) is { } dsSet)
            {
                (keys, error) = await DnskeyAsync(cut, ct).ConfigureAwait(false);
                if (error is not null) return (chain, error);
                chain.Add(new ChainZone(cut, keys, dsSet));
                continue;
            }
            var nsecs = SignedRRset.Nsecs(ds.Authority);
            // RFC 6840 §4.4: a delegation (NS, no SOA) whose NSEC has no DS bit: the child is unsigned.
            if (nsecs.FirstOrDefault(n => n.Owner == cut)?.Records[0].Data is NsecData at
                && at.Types.Contains(DnsType.NS) && !at.Types.Contains(DnsType.SOA))
            {
                chain.Add(new ChainZone(cut, null, null, nsecs));
                break;
            }
        }
        return (chain, null);
    }

    private async Task<(SignedRRset? Keys, string? Error)> DnskeyAsync(string zone, CancellationToken ct)
    {
        var (r, error) = await QueryAsync(zone, DnsType.DNSKEY, ct).ConfigureAwait(false);
        return error is not null ? (null, error) : (SignedRRset.From(r!.Answers, zone, DnsType.DNSKEY), null);
    }

    /// <summary>Reads the lab trust anchor (the <c>test.</c> DS as a zone-file line, Unbound's format); null when absent or unreadable.</summary>
    internal static TrustAnchor? ReadAnchorFile(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var parsed = ZoneFileParser.Parse(File.ReadAllText(path), Path.GetFileName(path), "test");
            var ds = parsed.Records.Where(r => r.Type == DnsType.DS).ToList();
            return ds.Count == 0 ? null : new TrustAnchor(ds[0].Name, ds.Select(r => r.Data).OfType<DsData>().ToList(), []);
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>
/// The DNSSEC statuses of the lookups a validating <see cref="LabResolver"/> made inside one check (SPF for one
/// identity, DKIM for one message), so the check's trace can say whether its answers were validated.
/// Flows with the async call (an <see cref="AsyncLocal{T}"/> set by <see cref="LabResolver.Observe"/>).
/// </summary>
internal sealed class DnssecObservation
{
    // Made by the first Add: every check of every message observes, but only a lab with validation on adds,
    // and an empty ConcurrentQueue already holds a 32-slot segment (about 1 KB).
    private System.Collections.Concurrent.ConcurrentQueue<(string Name, DnsType Type, DnssecStatus Status)>? seen;

    /// <summary>Records one validated lookup.</summary>
    public void Add(string name, DnsType type, DnssecStatus status)
    {
        if (Volatile.Read(ref seen) is null) Interlocked.CompareExchange(ref seen, new(), null);
        seen!.Enqueue((name, type, status));
    }

    /// <summary>The weakest status of every lookup (bogus, indeterminate, insecure, secure), or null when none was validated.</summary>
    public string? Summary => Volatile.Read(ref seen) is { } s ? Worst(s) : null;

    /// <summary>The weakest status of the lookups of <paramref name="name"/>, or null when it was not looked up with validation.</summary>
    public string? For(string? name) =>
        name is null || Volatile.Read(ref seen) is not { } s ? null : Worst(s.Where(e => e.Name == DnsNames.Normalize(name)));

    private static string? Worst(IEnumerable<(string Name, DnsType Type, DnssecStatus Status)> entries)
    {
        var statuses = entries.Select(e => e.Status).ToList();
        if (statuses.Count == 0) return null;
        DnssecStatus[] order = [DnssecStatus.Bogus, DnssecStatus.Indeterminate, DnssecStatus.Insecure, DnssecStatus.Secure];
        return order.First(statuses.Contains).ToString().ToLowerInvariant();
    }
}
