namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 9: finding out which users a site has. VRFY (RFC 5321 §3.5.3) answers 250 or 550 only with
/// the switch <c>enable-vrfy</c>, else 252 to everything; RCPT TO (§3.3) tells them apart either way,
/// which is why §7.3 calls closing VRFY alone a weak defence.
/// </summary>
internal sealed class VrfyDemo : IExerciseDemo
{
    public int Number => 9;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank"), uc = ctx.Domain("uc");
        string known = ctx.User("bank").Address, unknown = "nobody@" + bank, sender = ctx.User("evil").Address;

        ctx.Step($"Ask {bank}'s MTA whether {known} and {unknown} exist (VRFY, RFC 5321 §3.5.3), as 'nc -C' would");
        var (smtp, greeting) = await LineDialogue.ConnectAsync(ctx.EndPoint("bank", "MTA"), ctx.Student, ctx.Out, ct);
        await using var _ = smtp;
        SmtpByHandDemo.Expect(greeting, 220);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"EHLO workstation.{uc}", ct), 250);
        var yes = await smtp.SendAsync($"VRFY {known}", ct);
        var no = await smtp.SendAsync($"VRFY {unknown}", ct);
        if (yes.Code == 250 && no.Code == 550)
        {
            ctx.Out.WriteLine($"   250 for {known}, 550 for {unknown}: the server just told a stranger who works at {bank}.");
        }
        else if (yes.Code == 252 && no.Code == 252)
        {
            ctx.Out.WriteLine("   252 to both: the default lab does not verify (enable-vrfy is off). Start the lab with 'maillab exercise start 9'.");
        }
        else
        {
            throw new DemoException($"VRFY answered {yes.Code} and {no.Code}; expected 250/550 (enable-vrfy) or 252/252 (default lab)");
        }

        ctx.Step("The same question with RCPT TO, which every MTA must answer (RFC 5321 §3.3): no message is sent");
        SmtpByHandDemo.Expect(await smtp.SendAsync($"MAIL FROM:<{sender}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"RCPT TO:<{known}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"RCPT TO:<{unknown}>", ct), 550);
        SmtpByHandDemo.Expect(await smtp.SendAsync("RSET", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync("QUIT", ct), 221);
        ctx.Out.WriteLine($"   250 then 550 5.1.1: RCPT TO enumerates users even when VRFY says 252. Nothing was delivered (RSET, QUIT).");
    }
}
