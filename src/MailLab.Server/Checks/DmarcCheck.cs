using MailLab.MailAuth.Dmarc;
using MailLab.Server.Lab;
using MailLab.Server.Smtp;

namespace MailLab.Server.Checks;

/// <summary>
/// DMARC at the end of DATA and what the MTA does about it: <see cref="Disposition"/> is the owner's
/// request after the site's local override (<see cref="Override"/>), <see cref="Folder"/> where the
/// message goes, <see cref="Refusal"/> the 550 when it is refused.
/// </summary>
public sealed record DmarcCheckResult(DmarcResult Result, DmarcPolicy Disposition, string? Override, string Folder, PolicyDecision? Refusal)
{
    /// <summary>The text of the visible verdict (subject tag and X- header): null for pass and none.</summary>
    public string? SubjectTag => Result.Result is DmarcResultCode.Pass or DmarcResultCode.None ? null : $"[DMARC {Result.Keyword}]";

    /// <summary>A one-line summary for the X-MailLab-DMARC header.</summary>
    public string Summary
    {
        get
        {
            var r = Result;
            var policy = r.Policy is { } p ? $"{r.PolicyTag}={p.Keyword()}" : "no policy";
            var where = Folder == "Junk" ? "quarantined to Junk" : "delivered to INBOX";
            var domain = r.Author.Domain ?? r.Author.ProblemKeyword;
            return $"{r.Keyword} for {domain} ({policy}; {Mechanism("spf", "SPF")}, {Mechanism("dkim", "DKIM")}; {where}{(Override is null ? "" : "; " + Override)})";
        }
    }

    /// <summary>
    /// What one mechanism did for DMARC: aligned, "not aligned" only when it passed for another
    /// domain, else failed with its result (a student must not read "not aligned" for a forged SPF fail).
    /// </summary>
    private string Mechanism(string mechanism, string name)
    {
        var checks = Result.Alignments.Where(c => c.Mechanism == mechanism).ToList();
        if (checks.Any(c => c.Aligned)) return $"{name} aligned";
        if (checks.FirstOrDefault(c => c.MechanismResult == "pass") is { } passed) return $"{name} not aligned (passed for {passed.Identifier})";
        if (checks.Count == 0) return mechanism == "dkim" ? "no DKIM signature" : $"{name} not evaluated";
        var results = string.Join(", ", checks.Select(c => c.MechanismResult).Distinct());
        return results == "fail" ? $"{name} failed" : $"{name} failed ({results})";
    }
}

/// <summary>The MTA's DMARC check as a value-returning function; it never touches the socket and never throws to reject.</summary>
public static class DmarcCheck
{
    /// <summary>The longest the policy lookups may take before the result is a temperror.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Junk: the folder a quarantined message goes to (RFC 7489 §6.3 leaves "quarantine" to the receiver).</summary>
    public const string QuarantineFolder = "Junk";

    /// <summary>Evaluates DMARC for a received message whose header section starts <paramref name="head"/>.</summary>
    public static async Task<DmarcCheckResult> EvaluateAsync(DmarcEvaluator evaluator, ReadOnlyMemory<byte> head, string mailFrom,
        SpfCheckResult spf, IReadOnlyList<DmarcDkimInput> dkim, LabSwitches switches, CancellationToken ct)
    {
        var author = FromExtractor.Extract(head.Span);
        var spfInput = spf.Ran ? DmarcSpfInput.From(mailFrom, spf.MailFrom, spf.Helo) : null;
        DmarcResult result;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(Timeout);
            try
            {
                result = await evaluator.EvaluateAsync(author, spfInput, dkim, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                result = new DmarcResult
                {
                    Result = DmarcResultCode.TempError, Author = author, Mode = DmarcMode.Rfc9989, Disposition = DmarcPolicy.None,
                    Reason = $"DMARC lookups took longer than {Timeout.TotalSeconds:0} s",
                };
            }
        }
        return Decide(result, switches);
    }

    /// <summary>
    /// The verdict when the evaluation itself failed with an unexpected exception (a bug): temperror,
    /// disposition none (RFC 7489 §6.6.2 gives no policy to apply without a result), so the message is delivered.
    /// </summary>
    public static DmarcCheckResult InternalError(ReadOnlyMemory<byte> head, string reason, LabSwitches switches) =>
        Decide(new DmarcResult
        {
            Result = DmarcResultCode.TempError, Author = FromExtractor.Extract(head.Span), Mode = DmarcMode.Rfc9989,
            Disposition = DmarcPolicy.None, Reason = reason,
        }, switches);

    /// <summary>The site's action for a result: monitor-only delivers everything to INBOX (RFC 7489 §6.7 local policy).</summary>
    public static DmarcCheckResult Decide(DmarcResult result, LabSwitches switches)
    {
        if (switches.DmarcMonitorOnly && result.Disposition != DmarcPolicy.None)
        {
            return new DmarcCheckResult(result, DmarcPolicy.None, $"local override: monitor only (would have been {result.Disposition.Keyword()})", "INBOX", null);
        }
        return result.Disposition switch
        {
            DmarcPolicy.Reject => new DmarcCheckResult(result, DmarcPolicy.Reject, null, "INBOX", Refusal(result)),
            DmarcPolicy.Quarantine => new DmarcCheckResult(result, DmarcPolicy.Quarantine, null, QuarantineFolder, null),
            _ => new DmarcCheckResult(result, DmarcPolicy.None, null, "INBOX", null),
        };
    }

    // RFC 7489 §10.3 / RFC 9989: reject during the SMTP transaction with 5.7.1, saying why.
    private static PolicyDecision Refusal(DmarcResult r)
    {
        var text = r.Author.Problem is not null
            ? $"DMARC: ambiguous From refused ({r.Author.ProblemKeyword}): {r.Author.Reason}"
            : $"DMARC: {r.FromDomain} asks to reject mail that fails DMARC ({r.PolicyTag}=reject): no aligned SPF or DKIM pass";
        return PolicyDecision.Refuse(550, "5.7.1", text, "dmarc " + r.Keyword);
    }
}
