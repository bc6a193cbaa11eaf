namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 2: forged MAIL FROM addresses of three domains with three SPF policies (-all, ~all,
/// +all), sent to bank.test's MTA; with <c>reject-spf-fail</c> on, the bank's own domain is refused.
/// </summary>
internal sealed class SpfForgeryDemo : IExerciseDemo
{
    public int Number => 2;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string victim = ctx.User("bank").Address;
        string ceo = "ceo@" + ctx.Domain("bank");
        ctx.Step($"Connect to {ctx.Domain("bank")}'s MTA and claim to be {ceo} (its SPF record ends in -all)");
        var (smtp, greeting) = await LineDialogue.ConnectAsync(ctx.EndPoint("bank", "MTA"), ctx.Student, ctx.Out, ct);
        await using var _ = smtp;
        SmtpByHandDemo.Expect(greeting, 220);
        SmtpByHandDemo.Expect(await smtp.SendAsync("EHLO workstation." + ctx.Domain("evil"), ct), 250);
        var mail = await smtp.SendAsync($"MAIL FROM:<{ceo}>", ct);
        if (mail.Code == 550)
        {
            ctx.Out.WriteLine("   Refused at MAIL time: the switch reject-spf-fail is on, so SPF fail means 550 5.7.23 (RFC 7372).");
        }
        else
        {
            SmtpByHandDemo.Expect(mail, 250);
            ctx.Out.WriteLine("   Accepted: reject-spf-fail is off; the message is only marked. Turn the switch on for the last step of the handout.");
            var final = await SendAsync(smtp, ceo, victim, "Please pay the attached invoice today.", ct, refusalAllowed: true);
            if (!final.Ok)
            {
                ctx.Out.WriteLine("   Refused after DATA: the header From is bank.test too, and bank.test's DMARC policy rejects it (exercise 5).");
            }
        }

        string alice = ctx.User("uc").Address;
        ctx.Step($"Claim to be {alice} ({ctx.Domain("uc")} publishes ~all: softfail, accepted and marked)");
        SmtpByHandDemo.Expect(await smtp.SendAsync($"MAIL FROM:<{alice}>", ct), 250);
        await SendAsync(smtp, alice, victim, "Softfail: suspicious, but delivered. Look for the Received-SPF header.", ct);

        string mallory = ctx.User("evil").Address;
        ctx.Step($"Send as {mallory} ({ctx.Domain("evil")} publishes +all: SPF passes from anywhere)");
        SmtpByHandDemo.Expect(await smtp.SendAsync($"MAIL FROM:<{mallory}>", ct), 250);
        await SendAsync(smtp, mallory, victim, "SPF pass only says the domain allows this address, not that the mail is good.", ct);
        SmtpByHandDemo.Expect(await smtp.SendAsync("QUIT", ct), 221);
    }

    /// <summary>RCPT, DATA and the message; with <paramref name="refusalAllowed"/> a 5xx after the data is an answer too.</summary>
    private static async Task<SmtpLikeReply> SendAsync(LineDialogue smtp, string from, string to, string body, CancellationToken ct,
        bool refusalAllowed = false)
    {
        SmtpByHandDemo.Expect(await smtp.SendAsync($"RCPT TO:<{to}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync("DATA", ct), 354);
        var reply = await smtp.SendDataAsync($"From: <{from}>\nTo: <{to}>\nSubject: SPF test\n\n{body}", ct);
        if (!(refusalAllowed && reply.Code >= 500)) SmtpByHandDemo.Expect(reply, 250);
        return reply;
    }
}
