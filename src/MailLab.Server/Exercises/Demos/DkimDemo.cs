using System.Text.RegularExpressions;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 4: a message signed at uc's MSA and verified at bank's MTA; its public key read from
/// DNS (selector and domain taken from the signature); then the delivered copy sent again by hand
/// with the body changed (body hash mismatch) and with a signed header changed (signature mismatch).
/// </summary>
internal sealed partial class DkimDemo : IExerciseDemo
{
    public int Number => 4;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string alice = ctx.User("uc").Address, bob = ctx.User("bank").Address;
        ctx.Step($"Submit a message as {alice} to {bob}: uc's MSA signs it, bank's MTA verifies it");
        var message = Submission.Message(alice, bob, "the invoice", "Please pay 100 EUR to account 1234.");
        await Submission.SendAsync(ctx, "uc", message, ct);
        string delivered = await ctx.WaitForMessageAsync(bob, message.MessageId!, TimeSpan.FromSeconds(30), ct);
        foreach (var line in Unfolded(delivered).Where(l => l.StartsWith("DKIM-Signature:", StringComparison.OrdinalIgnoreCase)
            || l.StartsWith("Authentication-Results:", StringComparison.OrdinalIgnoreCase)))
        {
            ctx.Out.WriteLine("   | " + line);
        }

        var signature = Unfolded(delivered).FirstOrDefault(l => l.StartsWith("DKIM-Signature:", StringComparison.OrdinalIgnoreCase))
            ?? throw new DemoException("the delivered message has no DKIM-Signature: does the MSA sign?");
        string d = Tag(signature, "d"), s = Tag(signature, "s");
        ctx.Step($"The public key for d={d} s={s} is a TXT record at {s}._domainkey.{d}");
        await DnsDemo.AskAsync(ctx, $"{s}._domainkey.{d}", DnsType.TXT, ct);

        // In transit: the attacker has the signed message, minus what the final hop added for Bob.
        string copy = string.Join("\r\n", delivered.Split("\r\n").Where(l =>
            !l.StartsWith("Return-Path:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Delivered-To:", StringComparison.OrdinalIgnoreCase)));

        ctx.Step("Change the amount in the body and deliver the message to bank's MTA by hand");
        await ResendAsync(ctx, alice, bob, copy.Replace("100 EUR", "10000 EUR", StringComparison.Ordinal), ct);

        ctx.Step("Leave the body alone but change the signed Subject header");
        await ResendAsync(ctx, alice, bob, copy.Replace("Subject: the invoice", "Subject: the invoice (paid)", StringComparison.Ordinal), ct);
        ctx.Out.WriteLine("   The lab's console shows both failures: 'body hash mismatch', then 'signature mismatch'.");
    }

    private static async Task ResendAsync(DemoContext ctx, string from, string to, string message, CancellationToken ct)
    {
        var (smtp, greeting) = await LineDialogue.ConnectAsync(ctx.EndPoint("bank", "MTA"), ctx.Student, ctx.Out, ct);
        await using var _ = smtp;
        SmtpByHandDemo.Expect(greeting, 220);
        SmtpByHandDemo.Expect(await smtp.SendAsync("EHLO workstation." + ctx.Domain("evil"), ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"MAIL FROM:<{from}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"RCPT TO:<{to}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync("DATA", ct), 354);
        var reply = await smtp.SendDataAsync(message.TrimEnd('\r', '\n'), ct);
        ctx.Out.WriteLine(reply.Ok ? "   Accepted: DKIM fail alone does not refuse mail; DMARC decides (exercise 5)." : "   Refused.");
        await smtp.SendAsync("QUIT", ct);
    }

    /// <summary>The header's fields, each on one line (RFC 5322 §2.2.3 unfolding).</summary>
    private static IEnumerable<string> Unfolded(string message)
    {
        int end = message.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return Folding().Replace(end < 0 ? message : message[..end], " ").Split("\r\n");
    }

    private static string Tag(string field, string name) =>
        Regex.Match(field, $@"[;:]\s*{name}=([^;\s]+)") is { Success: true } m ? m.Groups[1].Value
            : throw new DemoException($"the DKIM-Signature has no {name}= tag");

    [GeneratedRegex(@"\r\n[ \t]+")]
    private static partial Regex Folding();
}
