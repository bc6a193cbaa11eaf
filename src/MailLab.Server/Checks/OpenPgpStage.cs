using System.Text;
using MailLab.Server.Lab;
using MailLab.Server.OpenPgp;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// OpenPGP at delivery (issue 15 part 2): after the checks (DKIM, DMARC), a PGP/MIME (RFC 3156) or inline
/// signed message is verified for the site's local recipients, with the signer's key looked up and its
/// validity computed in each recipient's web of trust; an encrypted one is recognised. Every step is an
/// OpenPgpStep event, the verdict an OpenPgpResult and the X-MailLab-OpenPGP header. Unsigned mail costs
/// one scan of its Content-Type; a failure is a verdict and the message is delivered all the same.
/// </summary>
internal sealed class OpenPgpStage(OpenPgpServices pgp) : HeaderModifier
{
    /// <summary>The header the student reads in their mail client.</summary>
    public const string Header = "X-MailLab-OpenPGP";

    /// <inheritdoc />
    public override async Task ModifyAsync(ReceiveContext c)
    {
        await RemoveIncomingAsync(c);
        var kind = PgpDetect.Kind(c.Message.Head.Span);
        if (kind == PgpMessageKind.None) return;
        var local = c.Recipients.Where(r => c.Site.IsLocalDomain(LabNames.DomainOf(r))).ToList();
        if (local.Count == 0) return; // the MSA relays it on; the receiving MDA verifies it
        var holds = c.Site.Lab.Switches.MdaHoldsUserKeys;
        var users = c.Site.Definition.Users;
        var recipients = local.Select(a => new PgpRecipient(a,
            holds ? users.FirstOrDefault(u => u.Address.Equals(a, StringComparison.OrdinalIgnoreCase))?.Password : null)).ToList();
        var trace = c.Trace.As(TraceRole.MDA);
        PgpVerification v;
        try
        {
            v = await PgpVerifier.VerifyAsync(await c.Message.BytesAsync(c.Token), kind, recipients, pgp.Lookup, c.Token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && c.Token.IsCancellationRequested))
        {
            // Defence in depth: verification never costs a message its delivery.
            var reason = CheckFailure.Trace("openpgp", ex, trace);
            v = new PgpVerification { Kind = kind, Result = "malformed", Reason = reason, Steps = [reason] };
        }
        c.Results.Set(v);
        Render(v, trace);
        c.AddHeader(Header, HeaderValue(v.Summary));
    }

    // Only this hop's verdict may be read as the lab's: a sender's own X-MailLab-OpenPGP ("valid", forged) and an
    // earlier hop's go (as RFC 8601 §5 has incoming Authentication-Results with our authserv-id removed).
    private static async Task RemoveIncomingAsync(ReceiveContext c)
    {
        var head = c.Message.Head.Span;
        var end = head.IndexOf("\r\n\r\n"u8);
        if (!Encoding.Latin1.GetString(end < 0 ? head : head[..end]).Contains(Header + ":", StringComparison.OrdinalIgnoreCase)) return;
        await c.Message.BytesAsync(c.Token); // the verifier reads the message as received
        int removed = 0;
        var rewritten = await Delivery.HeaderRewrite.ApplyAsync(c.Message.Content, c.Site.Mda.SpoolDirectory, Header, _ =>
        {
            removed++;
            return true;
        }, null, c.Token);
        if (rewritten is null) return;
        await c.Message.ReplaceAsync(rewritten);
        c.Trace.As(TraceRole.MDA).Emit(TraceKind.HeaderRemoved, $"removed {removed} incoming {Header} (only this hop's verdict is the lab's)",
            ("Header", Header), ("Removed", removed));
    }

    /// <summary>Traces each step and the verdict.</summary>
    internal static void Render(PgpVerification v, TraceContext trace)
    {
        foreach (var step in v.Steps)
        {
            var colon = step.IndexOf(':');
            var name = colon > 0 && colon < 40 ? step[..colon] : "step";
            trace.Emit(TraceKind.OpenPgpStep, "OpenPGP " + step, ("Step", name), ("Detail", step));
        }
        trace.Emit(TraceKind.OpenPgpResult, $"OpenPGP {v.Result}: {v.Reason}",
            ("Result", v.Result), ("Structure", v.Kind.ToString()), ("Reason", v.Reason), ("KeyId", v.KeyId), ("Fingerprint", v.Fingerprint),
            ("SignerUserId", v.SignerUserId), ("KeySource", v.KeySource), ("Hash", v.Hash), ("Algorithm", v.Algorithm), ("From", v.From),
            ("FromMatches", v.FromMatches), ("Validity", v.Validity.ToArray()), ("EncryptedFor", v.EncryptedFor.ToArray()),
            ("Cipher", v.Cipher), ("Steps", v.Steps.ToArray()));
    }

    // A user ID is the sender's text: no control characters into our header (no header injection), ASCII,
    // and within RFC 5322 §2.1.1's 998-octet line.
    internal static string HeaderValue(string summary)
    {
        var b = new StringBuilder(summary.Length);
        foreach (var ch in summary) b.Append(ch is < ' ' or > '~' ? '?' : ch);
        return b.Length > 900 ? b.ToString(0, 897) + "..." : b.ToString();
    }
}
