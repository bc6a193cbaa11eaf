using MailLab.Protocols.Smtp;
using MailLab.Server.Lab;
using MailLab.Server.Smime;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// S/MIME at delivery (RFC 8551): after DKIM and DMARC at the MTA, and at the MSA for its local recipients.
/// A message whose top-level Content-Type is not S/MIME costs one look at the head. A signed message is
/// verified step by step (<see cref="SmimeVerifier"/>), an encrypted or compressed one recognised; each
/// step is a SmimeStep event, the verdict a SmimeResult and an X-MailLab-SMIME header. It never refuses
/// and never loses mail: any failure is a verdict.
/// </summary>
internal sealed class SmimeStage(SmimeVerifier verifier, bool onlyLocal) : ReceiveCheck
{
    /// <summary>The header the student reads: what the server saw (the mail client shows its own S/MIME verdict).</summary>
    public const string HeaderName = "X-MailLab-SMIME";

    /// <summary>The stage, or none when the lab has no user CA.</summary>
    public static IEnumerable<ReceiveCheck> For(SmimeVerifier? verifier, bool onlyLocal) =>
        verifier is null ? [] : [new SmimeStage(verifier, onlyLocal)];

    /// <inheritdoc />
    public override async Task<SmtpReply?> MessageAsync(ReceiveContext c)
    {
        // Only the lab writes this header: a sender's own copy (a forged "valid") goes before anything else.
        if (HasField(c.Message.Head.Span, "x-maillab-smime:"u8)) await RemoveIncomingAsync(c);
        if (!SmimeVerifier.IsSmime(c.Message.ContentType)) return null;
        // At the MSA only what it delivers itself: mail to other domains is verified by their MTA.
        if (onlyLocal && !c.Recipients.Any(r => c.Site.IsLocalDomain(LabNames.DomainOf(r)))) return null;
        SmimeResult result;
        try
        {
            result = verifier.Verify(await c.Message.BytesAsync(c.Token), c.Message.Author.Address);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && c.Token.IsCancellationRequested))
        {
            // Defence in depth: the verifier returns verdicts; an exception is a bug, and the mail still goes on.
            var reason = CheckFailure.Trace("smime", ex, c.Trace);
            result = new SmimeResult { Structure = "unknown", Verdict = "malformed", Reason = reason };
        }
        c.Results.Set(result);
        Render(result, c.Trace, "");
        c.AddHeader(HeaderName, result.Summary);
        return null;
    }

    private static async Task RemoveIncomingAsync(ReceiveContext c)
    {
        int removed = 0;
        var rewritten = await Delivery.HeaderRewrite.ApplyAsync(c.Message.Content, c.Site.Mda.SpoolDirectory, HeaderName, _ =>
        {
            removed++;
            return true;
        }, null, c.Token);
        if (rewritten is null) return;
        await c.Message.ReplaceAsync(rewritten);
        c.Trace.Emit(TraceKind.HeaderRemoved, $"removed {removed} incoming {HeaderName} (only the lab's own verdict may stand)",
            ("Header", HeaderName), ("Removed", removed));
    }

    /// <summary>Whether the header section has a field <paramref name="name"/> (lower case, with its colon), without decoding it.</summary>
    private static bool HasField(ReadOnlySpan<byte> head, ReadOnlySpan<byte> name)
    {
        var end = head.IndexOf("\r\n\r\n"u8);
        if (end >= 0) head = head[..(end + 2)];
        for (int line = 0; line < head.Length;)
        {
            if (head.Length - line >= name.Length && System.Text.Ascii.EqualsIgnoreCase(head.Slice(line, name.Length), name)) return true;
            int next = head[line..].IndexOf("\r\n"u8);
            if (next < 0) return false;
            line += next + 2;
        }
        return false;
    }

    private static void Render(SmimeResult r, TraceContext trace, string layer)
    {
        foreach (var s in r.Steps)
        {
            var mark = s.Ok switch { true => "ok", false => "FAIL", null => "--" };
            trace.Emit(TraceKind.SmimeStep, $"S/MIME {layer}{s.Step} [{mark}]: {s.Detail}", ("Step", s.Step), ("Detail", s.Detail), ("Ok", s.Ok));
        }
        if (r.Inner is { } inner) Render(inner, trace, "inner ");
        trace.Emit(TraceKind.SmimeResult, $"S/MIME {layer}{r.Structure}: {r.Verdict} - {r.Reason}",
            ("Structure", r.Structure), ("Verdict", r.Verdict), ("Reason", r.Reason), ("Signer", r.Signer), ("Subject", r.Subject),
            ("Serial", r.Serial), ("Issuer", r.Issuer), ("Chain", r.Chain.ToArray()), ("NotBefore", r.NotBefore), ("NotAfter", r.NotAfter),
            ("Revocation", r.Revocation), ("RevokedAt", r.RevokedAt), ("SignerAddresses", r.SignerAddresses.ToArray()),
            ("HeaderFrom", r.HeaderFrom), ("FromMatches", r.FromMatches), ("DigestAlgorithm", r.DigestAlgorithm), ("ContentHash", r.ContentHash),
            ("SigningTime", r.SigningTime), ("Recipients", r.Recipients.ToArray()), ("KeyTransport", r.KeyTransport),
            ("ContentCipher", r.ContentCipher), ("Decrypted", r.Decrypted), ("InnerStructure", r.InnerStructure));
    }
}
