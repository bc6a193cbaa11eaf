using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// DMARC (RFC 9989, or RFC 7489 by <see cref="DmarcMode"/>) over SPF and DKIM results given as
/// values: finds the policy, checks identifier alignment, and says what the domain owner asks for,
/// all with the steps that led there. Only cancellation throws.
/// </summary>
public sealed class DmarcEvaluator(IDmarcResolver resolver, DmarcMode mode = DmarcMode.Rfc9989,
    PublicSuffixList? suffixes = null, Func<int>? percentRoll = null)
{
    private readonly PublicSuffixList psl = suffixes ?? PublicSuffixList.Load();
    private readonly Func<int> roll = percentRoll ?? (() => Random.Shared.Next(100));

    /// <summary>Evaluates DMARC for a message whose From gave <paramref name="author"/>.</summary>
    public async Task<DmarcResult> EvaluateAsync(AuthorDomain author, DmarcSpfInput? spf, IReadOnlyList<DmarcDkimInput> dkim,
        CancellationToken ct = default)
    {
        var steps = new List<DmarcStep>();
        if (author.Problem is not null)
        {
            steps.Add(new DmarcStep("from", $"refused: {author.Reason}"));
            return new DmarcResult
            {
                Result = DmarcResultCode.PermError, Author = author, Mode = mode, Steps = steps,
                Disposition = DmarcPolicy.Reject,
                Reason = $"ambiguous From ({author.ProblemKeyword}): {author.Reason}; refused rather than checked for the wrong domain",
            };
        }
        var from = author.Domain!;
        steps.Add(new DmarcStep("from", $"author domain {from} (From: {author.FieldValue})"));
        if (author.Note is not null) steps.Add(new DmarcStep("from", author.Note));

        var dns = new DmarcDiscovery(resolver, mode, psl, steps, ct);
        var found = await dns.FindPolicyAsync(from).ConfigureAwait(false);
        if (dns.TempError is not null)
        {
            return new DmarcResult
            {
                Result = DmarcResultCode.TempError, Author = author, Mode = mode, Steps = steps,
                Disposition = DmarcPolicy.None, Reason = dns.TempError,
            };
        }
        if (found is null)
        {
            return new DmarcResult
            {
                Result = DmarcResultCode.None, Author = author, Mode = mode, Steps = steps, Disposition = DmarcPolicy.None,
                Reason = $"{from} publishes no DMARC policy ({mode.Keyword()} policy discovery)",
            };
        }

        var record = found.Record;
        if (mode == DmarcMode.Rfc9989 && record.HasPct)
        {
            // RFC 9989 removed pct= (its Appendix lists the change); only rfc7489 mode samples with it.
            steps.Add(new DmarcStep("pct", $"pct={record.Pct} is ignored: RFC 9989 removed the tag (the lab's rfc7489 mode applies it)"));
        }
        var fromOrg = await dns.OrgDomainAsync(from).ConfigureAwait(false);
        var checks = new List<AlignmentCheck>();
        if (spf is not null)
        {
            checks.Add(await AlignAsync(dns, "spf", spf.Domain, null, spf.Result.ToString().ToLowerInvariant(),
                spf.Result == SpfResultCode.Pass, record.Aspf, from, fromOrg).ConfigureAwait(false));
        }
        foreach (var sig in dkim)
        {
            checks.Add(await AlignAsync(dns, "dkim", sig.Domain, sig.Selector, sig.Result.Keyword(),
                sig.Result == DkimOutcome.Pass, record.Adkim, from, fromOrg).ConfigureAwait(false));
        }
        if (dns.TempError is not null)
        {
            return new DmarcResult
            {
                Result = DmarcResultCode.TempError, Author = author, Mode = mode, Steps = steps, Record = record,
                PolicyDomain = found.Domain, Alignments = checks, Disposition = DmarcPolicy.None, Reason = dns.TempError,
            };
        }
        foreach (var c in checks) steps.Add(new DmarcStep("alignment", c.ToString()));
        bool spfAligned = checks.Any(c => c.Mechanism == "spf" && c.Aligned);
        bool dkimAligned = checks.Any(c => c.Mechanism == "dkim" && c.Aligned);
        bool pass = spfAligned || dkimAligned;

        var (policy, tag, why) = await SelectPolicyAsync(dns, from, found, ct).ConfigureAwait(false);
        steps.Add(new DmarcStep("policy", why));
        var disposition = DmarcPolicy.None;
        string dispositionWhy;
        if (pass)
        {
            dispositionWhy = $"DMARC pass ({(spfAligned ? "SPF" : "")}{(spfAligned && dkimAligned ? " and " : "")}{(dkimAligned ? "DKIM" : "")} aligned with {from}): policy not applied";
        }
        else
        {
            (disposition, dispositionWhy) = Soften(policy, record);
            dispositionWhy = $"DMARC fail (no aligned SPF or DKIM pass for {from}): {dispositionWhy}";
        }
        steps.Add(new DmarcStep("disposition", dispositionWhy));
        return new DmarcResult
        {
            Result = pass ? DmarcResultCode.Pass : DmarcResultCode.Fail, Author = author, Mode = mode, Steps = steps,
            Record = record, PolicyDomain = found.Domain, OrgDomain = fromOrg, Policy = policy, PolicyTag = tag,
            Disposition = disposition, SpfAligned = spfAligned, DkimAligned = dkimAligned, Alignments = checks,
            Reason = dispositionWhy,
        };
    }

    private async Task<AlignmentCheck> AlignAsync(DmarcDiscovery dns, string mechanism, string id, string? selector,
        string result, bool passed, AlignmentMode alignment, string from, string fromOrg)
    {
        id = id.TrimEnd('.').ToLowerInvariant();
        if (!passed)
        {
            return new AlignmentCheck(mechanism, id, selector, result, alignment, from, fromOrg, null, false,
                $"{mechanism} did not pass, so it cannot align");
        }
        if (alignment == AlignmentMode.Strict)
        {
            bool same = id == from;
            return new AlignmentCheck(mechanism, id, selector, result, alignment, from, fromOrg, null, same,
                same ? $"strict: {id} = {from}" : $"strict: {id} is not {from}");
        }
        if (id == from)
        {
            return new AlignmentCheck(mechanism, id, selector, result, alignment, from, fromOrg, fromOrg, true, $"relaxed: {id} = {from}");
        }
        var idOrg = await dns.OrgDomainAsync(id).ConfigureAwait(false);
        bool aligned = idOrg == fromOrg;
        return new AlignmentCheck(mechanism, id, selector, result, alignment, from, fromOrg, idOrg, aligned,
            aligned ? $"relaxed: organisational domains match ({idOrg})" : $"relaxed: organisational domain {idOrg} is not {fromOrg}");
    }

    /// <summary>p for the domain that published; sp for a subdomain; np (RFC 9989) for a subdomain that does not exist.</summary>
    private async Task<(DmarcPolicy Policy, string Tag, string Why)> SelectPolicyAsync(DmarcDiscovery dns, string from, FoundRecord found, CancellationToken ct)
    {
        var r = found.Record;
        var pWhy = r.P is null ? "p absent, so none (RFC 7489 §6.6.3)" : $"p={r.EffectiveP.Keyword()}";
        if (found.Domain.Equals(from, StringComparison.OrdinalIgnoreCase))
            return (r.EffectiveP, "p", $"{pWhy}: the record is the author domain's own");
        if (mode == DmarcMode.Rfc9989)
        {
            var exists = await resolver.ExistsAsync(from, ct).ConfigureAwait(false);
            dns.Note(new DmarcStep("query", exists switch
            {
                DnsAnswerKind.Void => "the author domain does not exist (no A, AAAA or MX)",
                DnsAnswerKind.TempError => "existence unknown (DNS error): treated as existing",
                _ => "the author domain exists",
            }, from + " A/AAAA/MX", exists.ToString()));
            if (exists == DnsAnswerKind.Void)
            {
                var src = r.Np is not null ? "np" : r.Sp is not null ? "sp (no np)" : "p (no np or sp)";
                return (r.EffectiveNp, "np", $"{src}={r.EffectiveNp.Keyword()}: {from} is a non-existent subdomain of {found.Domain} (RFC 9989 §4.7)");
            }
        }
        var s = r.Sp is not null ? "sp" : "p (no sp)";
        return (r.EffectiveSp, "sp", $"{s}={r.EffectiveSp.Keyword()}: {from} is a subdomain of {found.Domain}, which published the record");
    }

    /// <summary>RFC 7489 §6.6.4 pct sampling, or RFC 9989 t=y: the policy one step milder.</summary>
    private (DmarcPolicy, string) Soften(DmarcPolicy policy, DmarcRecord r)
    {
        if (policy == DmarcPolicy.None) return (policy, "policy none: deliver and report");
        var milder = policy == DmarcPolicy.Reject ? DmarcPolicy.Quarantine : DmarcPolicy.None;
        if (mode == DmarcMode.Rfc7489 && r.Pct < 100)
        {
            var n = roll();
            return n < r.Pct
                ? (policy, $"pct={r.Pct} sampled this message in (roll {n}): {policy.Keyword()} applies")
                : (milder, $"pct={r.Pct} sampled this message out (roll {n}): {milder.Keyword()} instead of {policy.Keyword()} (RFC 7489 §6.6.4)");
        }
        if (mode == DmarcMode.Rfc9989 && r.Testing)
            return (milder, $"t=y (testing): {milder.Keyword()} instead of {policy.Keyword()} (RFC 9989 §4.7)");
        return (policy, $"{policy.Keyword()} applies");
    }
}
