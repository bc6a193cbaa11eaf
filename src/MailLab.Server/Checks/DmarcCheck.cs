using MailLab.MailAuth.Dmarc;
using MailLab.Protocols.Smtp;
using MailLab.Server.Lab;
using MailLab.Server.Reports;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// DMARC at the end of DATA and what the MTA does about it: <see cref="Disposition"/> is the owner's
/// request after the site's local override (<see cref="Override"/>), <see cref="Folder"/> where the
/// message goes, <see cref="Refusal"/> the 550 when it is refused.
/// </summary>
public sealed record DmarcCheckResult(DmarcResult Result, DmarcPolicy Disposition, string? Override, string Folder, PolicyDecision? Refusal)
{
    /// <summary>The weakest DNSSEC status of the policy lookups when the resolver validates (<c>dnssec-validate</c>), else null.</summary>
    internal Dns.DnssecObservation? Dnssec { get; init; }

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

    /// <summary>Evaluates DMARC for a received message whose author (as <see cref="FromExtractor"/> reads it) is <paramref name="author"/>.</summary>
    public static async Task<DmarcCheckResult> EvaluateAsync(DmarcEvaluator evaluator, AuthorDomain author, string mailFrom,
        SpfCheckResult spf, IReadOnlyList<DmarcDkimInput> dkim, LabSwitches switches, CancellationToken ct)
    {
        var spfInput = spf.Ran ? DmarcSpfInput.From(mailFrom, spf.MailFrom, spf.Helo) : null;
        DmarcResult result;
        var dnssec = Dns.LabResolver.Observe();
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
        return Decide(result, switches) with { Dnssec = dnssec };
    }

    /// <summary>
    /// The verdict when the evaluation itself failed with an unexpected exception (a bug): temperror,
    /// disposition none (RFC 7489 §6.6.2 gives no policy to apply without a result), so the message is delivered.
    /// </summary>
    public static DmarcCheckResult InternalError(AuthorDomain author, string reason, LabSwitches switches) =>
        Decide(new DmarcResult
        {
            Result = DmarcResultCode.TempError, Author = author, Mode = DmarcMode.Rfc9989,
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

/// <summary>
/// The MTA's DMARC stage at the end of DATA (RFC 7489 §6.6, RFC 9989): evaluated over the SPF and DKIM
/// results, traced with its explanation, filed for the aggregate report, a failure report sent when fo=
/// asks, and turned into reject (the 550), quarantine (the Junk folder) or delivery.
/// </summary>
internal sealed class DmarcStage(ReceiveServices dns) : ReceiveCheck
{
    /// <inheritdoc />
    public override async Task<SmtpReply?> MessageAsync(ReceiveContext c)
    {
        if (c.Results.Spf is not { Ran: true } spf) return null;
        var switches = c.Site.Lab.Switches;
        // DMARC takes the DKIM results as plain values: d=, verdict, s= per signature.
        var dkim = c.Results.DkimInputs;
        DmarcCheckResult check;
        try
        {
            check = await DmarcCheck.EvaluateAsync(dns.Dmarc, c.Message.Author, c.MailFrom, spf, dkim, switches, c.Token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && c.Token.IsCancellationRequested))
        {
            // Defence in depth: a check that throws is a bug; temperror, disposition none, the message goes on.
            check = DmarcCheck.InternalError(c.Message.Author, CheckFailure.Trace("dmarc", ex, c.Trace), switches);
        }
        c.Results.Set(check);
        Render(check, c.Trace);
        if (dns.Reports is not null && check.Result.Record is not null) await dns.Reports.AppendAsync(c.Site.Name, ReportEntry(c, spf, check), c.Token);
        if (FailureReporter.Wanted(check.Result, c.Message.Head.Span)) await SendFailureReportAsync(c, check);
        if (check.Refusal is { } refusal)
        {
            c.Trace.Emit(TraceKind.MessageRejected, $"message refused: {refusal.Reply.Lines[0]}",
                ("Reason", refusal.Reason), ("Size", c.Message.Size), ("Code", refusal.Reply.Code));
            return refusal.Reply;
        }
        c.Folder = check.Folder;
        return null;
    }

    private async Task SendFailureReportAsync(ReceiveContext c, DmarcCheckResult check)
    {
        var head = c.Message.Head.Span;
        var end = head.IndexOf("\r\n\r\n"u8);
        var headers = (end < 0 ? head : head[..(end + 2)]).ToArray();
        var ar = c.Results.AuthenticationResults(c.Host, c.MailFrom).Replace("\r\n\t", " ");
        // RFC 6591 §3.1 Delivery-Result: reject, spam (our quarantine), delivered.
        var delivery = check.Disposition switch { DmarcPolicy.Reject => "reject", DmarcPolicy.Quarantine => "spam", _ => "delivered" };
        try
        {
            await FailureReporter.SendAsync(c.Site, c.Queue, dns.Spf, check.Result, new FailedMessage(c.MailFrom, c.Recipients.ToList(), c.Client.ToString(),
                headers, ar, delivery), c.Trace, c.Token);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A report that cannot be queued must not cost the message its delivery.
            c.Trace.Emit(TraceKind.DmarcReportSent, $"DMARC failure report not queued: {ex.Message}", ("Report", "failure"), ("Reason", ex.Message));
        }
    }

    /// <summary>What the aggregate report will say about this message (RFC 9990 §3).</summary>
    private static DmarcReportEntry ReportEntry(ReceiveContext c, SpfCheckResult spfCheck, DmarcCheckResult check)
    {
        var r = check.Result;
        var spf = string.IsNullOrEmpty(c.MailFrom) ? spfCheck.Helo : spfCheck.MailFrom;
        // RFC 9990: "pass" is the disposition of a DMARC pass under an enforcing policy.
        var disposition = r.Result == DmarcResultCode.Pass && r.Policy is not (null or DmarcPolicy.None) ? "pass" : check.Disposition.Keyword();
        var (type, comment) = check.Override is not null ? ("local_policy", check.Override)
            : r.Result == DmarcResultCode.Fail && r.Policy != r.Disposition ? (r.Record!.Testing ? "policy_test_mode" : "other", r.Reason)
            : ((string?)null, (string?)null);
        var rcpt = c.Recipients.Count > 0 ? c.Recipients[0] : null;
        return new DmarcReportEntry
        {
            Time = DateTimeOffset.UtcNow, SourceIp = c.Client.ToString(), HeaderFrom = r.FromDomain,
            EnvelopeFrom = spf.Domain, EnvelopeTo = rcpt?[(rcpt.LastIndexOf('@') + 1)..], PolicyDomain = r.PolicyDomain!,
            Record = r.Record!.Text, Discovery = r.Mode == DmarcMode.Rfc9989 ? "treewalk" : "psl", Disposition = disposition,
            DkimAligned = r.DkimAligned, SpfAligned = r.SpfAligned, OverrideType = type, OverrideComment = comment,
            Dkim = r.Alignments.Where(a => a.Mechanism == "dkim" && a.Identifier.Length > 0)
                .Select(a => new ReportDkim(a.Identifier, a.Selector ?? "", a.MechanismResult)).ToList(),
            SpfDomain = spf.Domain, SpfResult = spf.Keyword,
        };
    }

    private static void Render(DmarcCheckResult c, TraceContext trace)
    {
        var r = c.Result;
        var text = $"DMARC {r.Keyword} for {(r.Author.Domain ?? "(no usable From)")}: " +
            $"{(r.Policy is { } p ? $"{r.PolicyTag}={p.Keyword()}" : "no policy")}, disposition {c.Disposition.Keyword()}" +
            $"{(c.Override is null ? "" : $" ({c.Override})")} - {r.Reason}";
        trace.Emit(TraceKind.DmarcEvaluated, text,
            ("Result", r.Keyword), ("FromDomain", r.FromDomain), ("Policy", r.Policy?.Keyword() ?? "none"),
            ("Disposition", c.Disposition.Keyword()), ("SpfAligned", r.SpfAligned), ("DkimAligned", r.DkimAligned),
            ("Reason", r.Reason), ("PolicyTag", r.PolicyTag), ("PolicyDomain", r.PolicyDomain), ("Record", r.Record?.Text),
            ("OrgDomain", r.OrgDomain), ("Mode", r.Mode.Keyword()), ("Requested", r.Disposition.Keyword()),
            ("Override", c.Override), ("Folder", c.Refusal is null ? c.Folder : null), ("FromProblem", r.Author.ProblemKeyword),
            ("Alignments", r.Alignments.Select(a => a.ToString()).ToArray()), ("Steps", r.Steps.Select(s => s.ToString()).ToArray()),
            ("Dnssec", c.Dnssec?.Summary));
    }
}
