using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.Server.Checks;
using MailLab.Server.Delivery;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

// DKIM (RFC 6376, RFC 8463): the MTA verifies at the end of DATA, the MSA signs as its last header change.
public sealed partial class SmtpSession
{
    /// <summary>Reads the received message into memory; its size is bounded by max-message-size.</summary>
    private static async Task<byte[]> ReadAllAsync(MessageSpool spool, string prefix, CancellationToken ct)
    {
        using var buffer = new MemoryStream((int)Math.Min(spool.Length + prefix.Length, int.MaxValue));
        buffer.Write(Encoding.UTF8.GetBytes(prefix));
        await spool.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    /// <summary>Verifies every DKIM-Signature (relay profile only) and traces each step; null at the MSA.</summary>
    private async Task<DkimCheckResult?> CheckDkimAsync(MessageSpool spool, TraceContext mtrace)
    {
        if (profile.Submission) return null;
        var message = site.DkimResolver is null ? [] : await ReadAllAsync(spool, "", idle.Token);
        DkimCheckResult result;
        try
        {
            result = await DkimCheck.VerifyAsync(site.DkimResolver, message, idle.Token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && idle.IsCancellationRequested))
        {
            // Defence in depth: a check that throws is a bug; it costs a temperror verdict, not the session
            // (a queued message would otherwise fail the same way at every retry).
            result = DkimCheck.InternalError(CheckFailed("dkim", ex, mtrace));
        }
        if (!result.Ran) return result;
        if (result.None)
        {
            mtrace.Emit(TraceKind.DkimResult, "DKIM: none (the message has no DKIM-Signature)",
                ("Result", "none"), ("Reason", "no DKIM-Signature"));
        }
        foreach (var v in result.Verifications)
        {
            foreach (var step in v.Steps)
            {
                mtrace.Emit(TraceKind.DkimStep, $"DKIM #{v.Index} {step}",
                    ("Index", v.Index), ("Step", step.Step), ("Detail", step.Detail), ("Ok", step.Ok),
                    ("Query", step.Query), ("Answer", step.Answer), ("Domain", v.Domain), ("Selector", v.Selector));
            }
            mtrace.Emit(TraceKind.DkimResult, $"DKIM #{v.Index} {v}",
                ("Index", v.Index), ("Result", v.Keyword), ("Domain", v.Domain), ("Selector", v.Selector),
                ("Algorithm", v.Algorithm), ("Reason", v.Reason), ("BodyHashClaimed", v.BodyHashClaimed),
                ("BodyHashComputed", v.BodyHashComputed), ("HeaderHashComputed", v.HeaderHashComputed),
                ("Identity", v.Identity), ("Canonicalization", v.Canonicalization), ("KeyQuery", v.KeyQuery),
                ("KeyAnswer", v.KeyAnswer), ("KeyBits", v.KeyBits), ("BodyLength", v.BodyLength),
                ("SignedHeaders", v.SignedHeaders.ToArray()), ("UnsignedHeaders", v.UnsignedHeaders.ToArray()));
        }
        return result;
    }

    /// <summary>
    /// Signs an outgoing message at the MSA with every key of the From domain (or, failing that, the
    /// envelope domain) and returns the DKIM-Signature fields to put on top; "" when the site has no key
    /// for either. Runs after every other header change, so the signatures cover the final header.
    /// </summary>
    private async Task<string> SignDkimAsync(Envelope env, HeaderSummary headers, string added, MessageSpool spool, TraceContext mtrace)
    {
        if (!profile.Submission || site.DkimKeys is not { } keySet) return "";
        var keys = keySet.For(headers.FromDomain ?? "");
        if (keys.Count == 0) keys = keySet.For(DomainOf(env.MailFrom));
        if (keys.Count == 0) return "";
        var message = await ReadAllAsync(spool, added, idle.Token);
        var now = DateTimeOffset.UtcNow;
        var signatures = new StringBuilder();
        // Both keys sign (RFC 8463 §4: ed25519 alongside rsa while verifiers without ed25519 remain).
        foreach (var k in keys)
        {
            string field = DkimSigner.Sign(message, k.Key, k.Domain, k.Selector, now);
            string algorithm = DkimSignature.Name(k.Key.Algorithm);
            string value = field["DKIM-Signature: ".Length..].TrimEnd();
            var sig = DkimSignature.Parse(value, out _, out _)!;
            mtrace.Emit(TraceKind.DkimStep,
                $"DKIM sign: d={k.Domain} s={k.Selector} a={algorithm} c=relaxed/relaxed h={string.Join(":", sig.SignedHeaders)} bh={sig.BodyHash}",
                ("Step", "sign"), ("Domain", k.Domain), ("Selector", k.Selector), ("Algorithm", algorithm),
                ("SignedHeaders", sig.SignedHeaders.ToArray()), ("BodyHash", sig.BodyHash));
            mtrace.Emit(TraceKind.HeaderAdded, $"DKIM-Signature: {value.Replace("\r\n\t", " ")}",
                ("Header", "DKIM-Signature"), ("Value", value));
            signatures.Append(field);
        }
        return signatures.ToString();
    }
}
