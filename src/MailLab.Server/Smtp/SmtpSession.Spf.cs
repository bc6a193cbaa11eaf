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
        var result = await SpfCheck.EvaluateAsync(site.SpfResolver, Host, remote.Address, helo ?? "", mailFrom,
            site.Lab.Switches.RejectSpfFail, commandWait?.Token ?? CancellationToken.None);
        TraceSpf(result.Helo);
        TraceSpf(result.MailFrom);
        return result;
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
