using MailLab.MailAuth.Spf;
using MailLab.Server.Checks;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

// SPF at the MTA (RFC 7208): evaluated at MAIL time for HELO and MAIL FROM, every step traced.
public sealed partial class SmtpSession
{
    /// <summary>Runs <see cref="SpfCheck"/> for the relay profile and traces it; null at the MSA (its users authenticate).</summary>
    private async Task<SpfCheckResult?> CheckSpfAsync(string mailFrom)
    {
        if (profile.Submission) return null;
        // The client IP as seen on the socket: the only identity the client cannot choose (RFC 7208 §4.1).
        var token = commandWait?.Token ?? CancellationToken.None;
        SpfCheckResult result;
        try
        {
            result = await SpfCheck.EvaluateAsync(site.SpfResolver, Host, remote.Address, helo ?? "", mailFrom,
                site.Lab.Switches.RejectSpfFail, token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && token.IsCancellationRequested))
        {
            // Defence in depth: a check that throws is a bug; it costs a temperror verdict, not the session.
            var reason = CheckFailed("spf", ex, trace);
            result = SpfCheck.InternalError(Host, remote.Address, helo ?? "", mailFrom, reason);
        }
        TraceSpf(result.Helo);
        TraceSpf(result.MailFrom);
        return result;
    }

    /// <summary>Traces a check's unexpected exception as an InternalError event and returns the verdict's reason.</summary>
    private static string CheckFailed(string check, Exception ex, TraceContext t)
    {
        var reason = $"internal error in the {check.ToUpperInvariant()} check ({ex.GetType().Name}: {ex.Message}); taken as temperror";
        t.Emit(TraceKind.InternalError, reason, ("Check", check), ("Error", ex.ToString()));
        return reason;
    }

    private void TraceSpf(SpfResult r)
    {
        foreach (var step in r.Steps)
        {
            trace.Emit(TraceKind.SpfStep, $"SPF {r.Identity}: {step}",
                ("Identity", r.Identity), ("Domain", step.Domain), ("Term", step.Term), ("Query", step.Query),
                ("Answer", step.Answer), ("Matched", step.Matched), ("Lookups", step.Lookups),
                ("VoidLookups", step.VoidLookups), ("Note", step.Note));
        }
        var why = r.Problem ?? r.DecidingTerm;
        trace.Emit(TraceKind.SpfResult,
            $"SPF {r.Identity} {r.Sender} from {r.ClientIp}: {r.Keyword}{(why is null ? "" : $" ({why})")}",
            ("Identity", r.Identity), ("Result", r.Keyword), ("Domain", r.Domain), ("DecidingTerm", r.DecidingTerm),
            ("Explanation", r.Explanation), ("Problem", r.Problem), ("ClientIp", r.ClientIp?.ToString()), ("Sender", r.Sender));
    }
}
