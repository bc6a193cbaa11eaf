using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.Server.Trace;
using MailLab.Server.Lab;

namespace MailLab.Server.Checks;

/// <summary>
/// The MSA's DKIM signing (RFC 6376 §5, RFC 8463): every key of the From domain (or, failing that, the
/// envelope domain) signs, and the DKIM-Signature fields go on top. It is the last header change, so
/// the signatures cover the final header.
/// </summary>
internal sealed class DkimSignStage(Dkim.DkimKeySet keySet) : HeaderModifier
{
    /// <inheritdoc />
    public override async Task ModifyAsync(ReceiveContext c)
    {
        var keys = keySet.For(c.Message.Headers.FromDomain ?? "");
        if (keys.Count == 0) keys = keySet.For(LabNames.DomainOf(c.MailFrom));
        if (keys.Count == 0) return;
        var added = Encoding.UTF8.GetBytes(c.Added.ToString());
        var content = await c.Message.BytesAsync(c.Token);
        var message = new byte[added.Length + content.Length];
        added.CopyTo(message, 0);
        content.CopyTo(message, added.Length);
        var now = DateTimeOffset.UtcNow;
        var signatures = new StringBuilder();
        // Both keys sign (RFC 8463 §4: ed25519 alongside rsa while verifiers without ed25519 remain).
        foreach (var k in keys)
        {
            string field = DkimSigner.Sign(message, k.Key, k.Domain, k.Selector, now);
            string algorithm = DkimSignature.Name(k.Key.Algorithm);
            string value = field["DKIM-Signature: ".Length..].TrimEnd();
            var sig = DkimSignature.Parse(value, out _, out _)!;
            c.Trace.Emit(TraceKind.DkimStep,
                $"DKIM sign: d={k.Domain} s={k.Selector} a={algorithm} c=relaxed/relaxed h={string.Join(":", sig.SignedHeaders)} bh={sig.BodyHash}",
                ("Step", "sign"), ("Domain", k.Domain), ("Selector", k.Selector), ("Algorithm", algorithm),
                ("SignedHeaders", sig.SignedHeaders.ToArray()), ("BodyHash", sig.BodyHash));
            c.Trace.Emit(TraceKind.HeaderAdded, $"DKIM-Signature: {value.Replace("\r\n\t", " ")}",
                ("Header", "DKIM-Signature"), ("Value", value));
            signatures.Append(field);
        }
        c.Added.Insert(0, signatures.ToString());
    }
}
