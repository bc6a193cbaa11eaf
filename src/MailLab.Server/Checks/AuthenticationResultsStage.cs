using MailLab.MailAuth.AuthResults;
using MailLab.Server.Delivery;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// The MTA's Authentication-Results field (RFC 8601) over the SPF, DKIM and DMARC results, with
/// show-dmarc-verdict the X-MailLab-DMARC summary and subject tag, and any incoming
/// Authentication-Results claiming our authserv-id removed (RFC 8601 §5).
/// </summary>
internal sealed class AuthenticationResultsStage : HeaderModifier
{
    /// <inheritdoc />
    public override async Task ModifyAsync(ReceiveContext c)
    {
        if (c.Results.Spf is not { Ran: true }) return;
        var value = c.Results.AuthenticationResults(c.Host, c.MailFrom);
        c.Added.Append("Authentication-Results: ").Append(value).Append("\r\n");
        c.Trace.Emit(TraceKind.HeaderAdded, $"Authentication-Results: {value.Replace("\r\n\t", " ")}",
            ("Header", "Authentication-Results"), ("Value", value.Replace("\r\n\t", " ")));
        var dmarc = c.Results.Dmarc;
        var show = c.Site.Lab.Switches.ShowDmarcVerdict && dmarc is not null;
        if (show) c.AddHeader("X-MailLab-DMARC", dmarc!.Summary);
        var ours = c.Site.Definition.HostNames;
        int removed = 0;
        var rewritten = await HeaderRewrite.ApplyAsync(c.Message.Content, c.Site.Mda.SpoolDirectory, "Authentication-Results", v =>
        {
            var id = AuthenticationResults.AuthservId(v);
            var mine = id is not null && ours.Any(h => h.Equals(id, StringComparison.OrdinalIgnoreCase));
            if (mine) removed++;
            return mine;
        }, show ? dmarc!.SubjectTag : null, c.Token);
        if (removed > 0)
        {
            c.Trace.Emit(TraceKind.HeaderRemoved, $"removed {removed} incoming Authentication-Results claiming authserv-id {c.Host} (RFC 8601 §5)",
                ("Header", "Authentication-Results"), ("Removed", removed));
        }
        if (rewritten is not null) await c.Message.ReplaceAsync(rewritten);
    }
}
