using MailLab.MailAuth.AuthResults;
using MailLab.MailAuth.Dmarc;
using MailLab.Server.Checks;
using MailLab.Server.Delivery;
using MailLab.Server.Reports;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

// DMARC at the end of DATA (RFC 7489 §6.6, RFC 9989): evaluated over the SPF (and DKIM) results,
// traced with its explanation, and turned into reject, quarantine or delivery.
public sealed partial class SmtpSession
{
    /// <summary>Runs DMARC for the relay profile; null at the MSA or where there is no DNS (in-memory sessions).</summary>
    private async Task<DmarcCheckResult?> CheckDmarcAsync(Envelope env, MessageSpool spool, IReadOnlyList<DmarcDkimInput> dkim, TraceContext mtrace)
    {
        if (profile.Submission || site.Dmarc is null || env.Spf is not { Ran: true } spf) return null;
        DmarcCheckResult check;
        try
        {
            check = await DmarcCheck.EvaluateAsync(site.Dmarc, spool.Head(FromExtractor.MaxHeaderBytes), env.MailFrom, spf, dkim,
                site.Lab.Switches, idle.Token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && idle.IsCancellationRequested))
        {
            // Defence in depth: a check that throws is a bug; temperror, disposition none, the message goes on.
            check = DmarcCheck.InternalError(spool.Head(FromExtractor.MaxHeaderBytes), CheckFailed("dmarc", ex, mtrace), site.Lab.Switches);
        }
        TraceDmarc(check, mtrace);
        if (site.Reports is not null && check.Result.Record is not null) await site.Reports.AppendAsync(site.Name, ReportEntry(env, check), idle.Token);
        if (FailureReporter.Wanted(check.Result, spool.Head(FromExtractor.MaxHeaderBytes).Span)) await SendFailureReportAsync(env, spool, dkim, check, mtrace);
        return check;
    }

    private async Task SendFailureReportAsync(Envelope env, MessageSpool spool, IReadOnlyList<DmarcDkimInput> dkim, DmarcCheckResult check, TraceContext mtrace)
    {
        var head = spool.Head(FromExtractor.MaxHeaderBytes).Span;
        var end = head.IndexOf("\r\n\r\n"u8);
        var headers = (end < 0 ? head : head[..(end + 2)]).ToArray();
        var spfUsed = string.IsNullOrEmpty(env.MailFrom) ? env.Spf!.Helo : env.Spf!.MailFrom;
        var ar = AuthenticationResults.Render(Host, spfUsed, env.MailFrom, dkim, check.Result).Replace("\r\n\t", " ");
        // RFC 6591 §3.1 Delivery-Result: reject, spam (our quarantine), delivered.
        var delivery = check.Disposition switch { DmarcPolicy.Reject => "reject", DmarcPolicy.Quarantine => "spam", _ => "delivered" };
        try
        {
            await FailureReporter.SendAsync(site, queue, check.Result, new FailedMessage(env.MailFrom, env.Recipients.ToList(), remote.Address.ToString(),
                headers, ar, delivery), mtrace, idle.Token);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A report that cannot be queued must not cost the message its delivery.
            mtrace.Emit(TraceKind.DmarcReportSent, $"DMARC failure report not queued: {ex.Message}", ("Report", "failure"), ("Reason", ex.Message));
        }
    }

    /// <summary>What the aggregate report will say about this message (RFC 9990 §3).</summary>
    private DmarcReportEntry ReportEntry(Envelope env, DmarcCheckResult c)
    {
        var r = c.Result;
        var spf = string.IsNullOrEmpty(env.MailFrom) ? env.Spf!.Helo : env.Spf!.MailFrom;
        // RFC 9990: "pass" is the disposition of a DMARC pass under an enforcing policy.
        var disposition = r.Result == DmarcResultCode.Pass && r.Policy is not (null or DmarcPolicy.None) ? "pass" : c.Disposition.Keyword();
        var (type, comment) = c.Override is not null ? ("local_policy", c.Override)
            : r.Result == DmarcResultCode.Fail && r.Policy != r.Disposition ? (r.Record!.Testing ? "policy_test_mode" : "other", r.Reason)
            : ((string?)null, (string?)null);
        var rcpt = env.Recipients.Count > 0 ? env.Recipients[0] : null;
        return new DmarcReportEntry
        {
            Time = DateTimeOffset.UtcNow, SourceIp = remote.Address.ToString(), HeaderFrom = r.FromDomain,
            EnvelopeFrom = spf.Domain, EnvelopeTo = rcpt?[(rcpt.LastIndexOf('@') + 1)..], PolicyDomain = r.PolicyDomain!,
            Record = r.Record!.Text, Discovery = r.Mode == DmarcMode.Rfc9989 ? "treewalk" : "psl", Disposition = disposition,
            DkimAligned = r.DkimAligned, SpfAligned = r.SpfAligned, OverrideType = type, OverrideComment = comment,
            Dkim = r.Alignments.Where(a => a.Mechanism == "dkim" && a.Identifier.Length > 0)
                .Select(a => new ReportDkim(a.Identifier, a.Selector ?? "", a.MechanismResult)).ToList(),
            SpfDomain = spf.Domain, SpfResult = spf.Keyword,
        };
    }

    /// <summary>Each verified DKIM signature as DMARC's plain input (d=, verdict, s=); unreadable ones keep their verdict.</summary>
    private static IReadOnlyList<DmarcDkimInput> DkimInputs(DkimCheckResult? dkim) =>
        dkim?.Verifications.Select(v => new DmarcDkimInput(v.Domain ?? "", Enum.Parse<DkimOutcome>(v.Result.ToString()), v.Selector)).ToList()
            ?? (IReadOnlyList<DmarcDkimInput>)[];

    private static void TraceDmarc(DmarcCheckResult c, TraceContext mtrace)
    {
        var r = c.Result;
        var text = $"DMARC {r.Keyword} for {(r.Author.Domain ?? "(no usable From)")}: " +
            $"{(r.Policy is { } p ? $"{r.PolicyTag}={p.Keyword()}" : "no policy")}, disposition {c.Disposition.Keyword()}" +
            $"{(c.Override is null ? "" : $" ({c.Override})")} - {r.Reason}";
        mtrace.Emit(TraceKind.DmarcEvaluated, text,
            ("Result", r.Keyword), ("FromDomain", r.FromDomain), ("Policy", r.Policy?.Keyword() ?? "none"),
            ("Disposition", c.Disposition.Keyword()), ("SpfAligned", r.SpfAligned), ("DkimAligned", r.DkimAligned),
            ("Reason", r.Reason), ("PolicyTag", r.PolicyTag), ("PolicyDomain", r.PolicyDomain), ("Record", r.Record?.Text),
            ("OrgDomain", r.OrgDomain), ("Mode", r.Mode.Keyword()), ("Requested", r.Disposition.Keyword()),
            ("Override", c.Override), ("Folder", c.Refusal is null ? c.Folder : null), ("FromProblem", r.Author.ProblemKeyword),
            ("Alignments", r.Alignments.Select(a => a.ToString()).ToArray()), ("Steps", r.Steps.Select(s => s.ToString()).ToArray()));
    }

    /// <summary>
    /// The Authentication-Results field (and, with show-dmarc-verdict, X-MailLab-DMARC) this hop adds,
    /// and the content with any Authentication-Results claiming our authserv-id removed (RFC 8601 §5)
    /// and the subject tagged. Returns the spool to deliver (a new one when it changed).
    /// </summary>
    private async Task<MessageSpool> AuthenticationHeadersAsync(Envelope env, MessageSpool spool, DmarcCheckResult? dmarc,
        IReadOnlyList<DmarcDkimInput> dkim, System.Text.StringBuilder added, TraceContext mtrace)
    {
        if (profile.Submission || env.Spf is not { Ran: true } spf) return spool;
        var spfUsed = string.IsNullOrEmpty(env.MailFrom) ? spf.Helo : spf.MailFrom;
        var value = AuthenticationResults.Render(Host, spfUsed, env.MailFrom, dkim, dmarc?.Result);
        added.Append("Authentication-Results: ").Append(value).Append("\r\n");
        mtrace.Emit(TraceKind.HeaderAdded, $"Authentication-Results: {value.Replace("\r\n\t", " ")}",
            ("Header", "Authentication-Results"), ("Value", value.Replace("\r\n\t", " ")));
        var show = site.Lab.Switches.ShowDmarcVerdict && dmarc is not null;
        if (show)
        {
            added.Append("X-MailLab-DMARC: ").Append(dmarc!.Summary).Append("\r\n");
            mtrace.Emit(TraceKind.HeaderAdded, $"X-MailLab-DMARC: {dmarc.Summary}", ("Header", "X-MailLab-DMARC"), ("Value", dmarc.Summary));
        }
        var ours = site.Definition.HostNames;
        int removed = 0;
        var rewritten = await HeaderRewrite.ApplyAsync(spool, site.Mda.SpoolDirectory, (name, v) =>
        {
            if (!name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)) return false;
            var id = AuthenticationResults.AuthservId(v);
            var mine = id is not null && ours.Any(h => h.Equals(id, StringComparison.OrdinalIgnoreCase));
            if (mine) removed++;
            return mine;
        }, show ? dmarc!.SubjectTag : null, idle.Token);
        if (removed > 0)
        {
            mtrace.Emit(TraceKind.HeaderRemoved, $"removed {removed} incoming Authentication-Results claiming authserv-id {Host} (RFC 8601 §5)",
                ("Header", "Authentication-Results"), ("Removed", removed));
        }
        if (rewritten is null) return spool;
        await spool.DisposeAsync();
        return rewritten;
    }
}
