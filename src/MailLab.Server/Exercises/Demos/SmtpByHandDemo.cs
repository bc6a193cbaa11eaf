namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 1: SMTP typed by hand to bank.test's MTA; a command out of sequence (503); a message
/// whose header From (uc.test) differs from its envelope sender (evil.test).
/// </summary>
internal sealed class SmtpByHandDemo : IExerciseDemo
{
    public int Number => 1;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank"), uc = ctx.Domain("uc"), evil = ctx.Domain("evil");
        string victim = ctx.User("bank").Address, claimed = ctx.User("uc").Address, envelope = ctx.User("evil").Address;

        ctx.Step($"Talk SMTP to {bank}'s MTA, as 'nc -C' would (RFC 5321 §3)");
        var (smtp, greeting) = await LineDialogue.ConnectAsync(ctx.EndPoint("bank", "MTA"), ctx.Student, ctx.Out, ct);
        await using var _ = smtp;
        Expect(greeting, 220);
        Expect(await smtp.SendAsync($"EHLO workstation.{uc}", ct), 250);

        ctx.Step("A recipient before a sender: the state machine says 503 (bad sequence of commands)");
        Expect(await smtp.SendAsync($"RCPT TO:<{victim}>", ct), 503);

        ctx.Step($"Envelope sender {envelope}, but the header From says {claimed}: only the header is shown to {victim}");
        Expect(await smtp.SendAsync($"MAIL FROM:<{envelope}>", ct), 250);
        Expect(await smtp.SendAsync($"RCPT TO:<{victim}>", ct), 250);
        Expect(await smtp.SendAsync("DATA", ct), 354);
        Expect(await smtp.SendDataAsync(
            $"From: Alice <{claimed}>\nTo: <{victim}>\nSubject: lunch on Friday?\n\nThe envelope said {envelope}; your mail client shows {claimed}.", ct), 250);
        Expect(await smtp.SendAsync("QUIT", ct), 221);
        ctx.Out.WriteLine($"   The message is in {ctx.Maildir(victim)}: read its Return-Path (the envelope) and From (the header).");
    }

    internal static void Expect(SmtpLikeReply reply, int code)
    {
        if (reply.Code != code)
        {
            throw new DemoException($"expected {code}, the server said: {string.Join(" | ", reply.Lines)}");
        }
    }
}
