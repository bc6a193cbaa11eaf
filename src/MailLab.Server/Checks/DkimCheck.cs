using MailLab.MailAuth.Dkim;
using MailLab.MailAuth.Dmarc;
using MailLab.Protocols.Smtp;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// Every DKIM-Signature of one message as verified by the MTA at the end of DATA, topmost first.
/// <see cref="Ran"/> is false when the site had no DNS to ask (in-memory sessions). DMARC reads
/// <see cref="Verifications"/>; DKIM alone never rejects a message.
/// </summary>
public sealed record DkimCheckResult(IReadOnlyList<DkimVerification> Verifications, bool Ran)
{
    /// <summary>No signature: the RFC 8601 result "none".</summary>
    public bool None => Verifications.Count == 0;

    /// <summary>The signatures that passed (their d= are what DMARC aligns with, RFC 7489 §3.1.1).</summary>
    public IEnumerable<DkimVerification> Passed => Verifications.Where(v => v.Result == DkimResultCode.Pass);

    /// <summary>The DNSSEC statuses of the key lookups (null when the resolver does not validate).</summary>
    internal Dns.DnssecObservation? Dnssec { get; init; }
}

/// <summary>The MTA's DKIM check as a value-returning function: it asks the DNS through an <see cref="IDkimResolver"/> only.</summary>
public static class DkimCheck
{
    /// <summary>The longest the key lookups of one message may take before the rest are temperror.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Verifies the signatures of <paramref name="message"/> (the octets as received, CRLF). Only
    /// cancellation of <paramref name="ct"/> throws; a slow DNS gives temperror after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<DkimCheckResult> VerifyAsync(IDkimResolver? resolver, ReadOnlyMemory<byte> message,
        CancellationToken ct, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        if (resolver is null) return new DkimCheckResult([], Ran: false);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout ?? Timeout);
        var verifier = new DkimVerifier(new Bounded(resolver, limit.Token, ct), time);
        var dnssec = Dns.LabResolver.Observe();
        return new DkimCheckResult(await verifier.VerifyAsync(message, ct).ConfigureAwait(false), Ran: true) { Dnssec = dnssec };
    }

    /// <summary>
    /// The verdict when verification itself failed with an unexpected exception (a bug): one temperror
    /// "signature", so DMARC sees no DKIM pass and the message is still delivered, never wedged.
    /// </summary>
    internal static DkimCheckResult InternalError(string reason) => new(
        [new DkimVerification { Index = 1, Result = DkimResultCode.TempError, Reason = reason, Steps = [new DkimStep("internal-error", reason, false)] }],
        Ran: true);

    // A lookup past the time budget is a DNS failure (temperror, RFC 6376 §6.1.2), not an exception.
    // The budget is linked to the message's token already: a lookup under that token needs no second link.
    private sealed class Bounded(IDkimResolver inner, CancellationToken budget, CancellationToken message) : IDkimResolver
    {
        public async Task<MailAuth.Spf.DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct)
        {
            using var both = ct == message ? null : CancellationTokenSource.CreateLinkedTokenSource(ct, budget);
            try
            {
                return await inner.LookupTxtAsync(name, both?.Token ?? budget).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return MailAuth.Spf.DnsAnswer<string>.Failed($"DKIM key lookups took longer than {Timeout.TotalSeconds:0} s");
            }
        }
    }
}

/// <summary>
/// The MTA's DKIM stage: verifies every DKIM-Signature at the end of DATA (RFC 6376 §6) and traces each
/// step and verdict. It never refuses: DMARC reads the results.
/// </summary>
public sealed class DkimVerifyStage(IDkimResolver resolver) : ReceiveCheck
{
    /// <inheritdoc />
    public override async Task<SmtpReply?> MessageAsync(ReceiveContext c)
    {
        var message = await c.Message.ContentAsync(c.Token);
        DkimCheckResult result;
        try
        {
            result = await DkimCheck.VerifyAsync(resolver, message, c.Token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && c.Token.IsCancellationRequested))
        {
            // Defence in depth: a check that throws is a bug; it costs a temperror verdict, not the session
            // (a queued message would otherwise fail the same way at every retry).
            result = DkimCheck.InternalError(CheckFailure.Trace("dkim", ex, c.Trace));
        }
        c.Results.Set(result);
        if (result.Ran) Render(result, c.Trace);
        return null;
    }

    /// <summary>A verifier's verdict as DMARC's input (RFC 7489 §4.2 takes the RFC 8601 DKIM results).</summary>
    public static DkimOutcome Outcome(DkimResultCode code) => code switch
    {
        DkimResultCode.None => DkimOutcome.None,
        DkimResultCode.Pass => DkimOutcome.Pass,
        DkimResultCode.Fail => DkimOutcome.Fail,
        DkimResultCode.Neutral => DkimOutcome.Neutral,
        DkimResultCode.TempError => DkimOutcome.TempError,
        DkimResultCode.PermError => DkimOutcome.PermError,
        DkimResultCode.Policy => DkimOutcome.Policy,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "no DMARC input for this DKIM result"),
    };

    private static void Render(DkimCheckResult result, TraceContext trace)
    {
        if (result.None)
        {
            trace.Emit(TraceKind.DkimResult, "DKIM: none (the message has no DKIM-Signature)",
                ("Result", "none"), ("Reason", "no DKIM-Signature"));
        }
        foreach (var v in result.Verifications)
        {
            object index = Boxed(v.Index); // one box per signature, not one per event
            foreach (var step in v.Steps)
            {
                trace.Emit(TraceKind.DkimStep, $"DKIM #{v.Index} {step}", // DkimStep formats itself into the text
                    ("Index", index), ("Step", step.Step), ("Detail", step.Detail), ("Ok", Boxed(step.Ok)),
                    ("Query", step.Query), ("Answer", step.Answer), ("Domain", v.Domain), ("Selector", v.Selector));
            }
            trace.Emit(TraceKind.DkimResult, $"DKIM #{v.Index} {v}",
                ("Index", index), ("Result", v.Keyword), ("Domain", v.Domain), ("Selector", v.Selector),
                ("Algorithm", v.Algorithm), ("Reason", v.Reason), ("BodyHashClaimed", v.BodyHashClaimed),
                ("BodyHashComputed", v.BodyHashComputed), ("HeaderHashComputed", v.HeaderHashComputed),
                ("Identity", v.Identity), ("Canonicalization", v.Canonicalization), ("KeyQuery", v.KeyQuery),
                ("KeyAnswer", v.KeyAnswer), ("KeyBits", v.KeyBits), ("BodyLength", v.BodyLength),
                ("SignedHeaders", v.SignedHeaders.ToArray()), ("UnsignedHeaders", v.UnsignedHeaders.ToArray()),
                ("Dnssec", result.Dnssec?.For(KeyName(v.KeyQuery))));
        }
    }

    // KeyQuery is "<name> TXT": the name, as Split(' ')[0] gave it, without the array and the second string.
    private static string? KeyName(string? keyQuery)
    {
        if (keyQuery is null) return null;
        int space = keyQuery.IndexOf(' ');
        return space < 0 ? keyQuery : keyQuery[..space];
    }

    private static readonly object True = true, False = false;

    private static object? Boxed(bool? ok) => ok is bool b ? (b ? True : False) : null;

    private static object Boxed(int index) => index is >= 1 and <= DkimLimits.MaxSignatures ? Indexes[index - 1] : index;

    private static readonly object[] Indexes = [.. Enumerable.Range(1, DkimLimits.MaxSignatures).Select(i => (object)i)];
}
