using System.Net;
using System.Text.RegularExpressions;
using MailKit.Net.Pop3;
using MailKit.Security;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 5: a legitimate message that passes DMARC; then, as bank.test's DNS administrator, its
/// policy set to none, quarantine and reject in turn by editing the zone file the lab serves, with a
/// forged CEO message after each step; last, as bank's postmaster, the failure report (ruf=) that the
/// first forgery caused, read over POP3. The zone is put back as it was at the end.
/// </summary>
internal sealed partial class DmarcDemo : IExerciseDemo
{
    public int Number => 5;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string alice = ctx.User("uc").Address, bob = ctx.User("bank").Address, bank = ctx.Domain("bank");
        ctx.Step($"A legitimate message from {alice} to {bob}, submitted and relayed: SPF passes for uc.test and aligns");
        var legit = Submission.Message(alice, bob, "hello from uc", "Nothing forged here.");
        await Submission.SendAsync(ctx, "uc", legit, ct);
        await ctx.WaitForMessageAsync(bob, legit.MessageId!, TimeSpan.FromSeconds(30), ct);

        string zoneFile = ctx.ZoneFile(bank);
        string original = await File.ReadAllTextAsync(zoneFile, ct);
        try
        {
            foreach (var policy in new[] { "none", "quarantine", "reject" })
            {
                ctx.Step($"As bank.test's administrator: p={policy} in {zoneFile}");
                string zone = await File.ReadAllTextAsync(zoneFile, ct);
                await File.WriteAllTextAsync(zoneFile, WithPolicy(zone, policy), ct);
                await WaitForPolicyAsync(ctx, bank, policy, ct);

                ctx.Step($"The forged CEO message again, to {bank}'s MTA");
                await ForgeAsync(ctx, "ceo@" + bank, bob, policy, ct);
            }
        }
        finally
        {
            await File.WriteAllTextAsync(zoneFile, original, CancellationToken.None);
            ctx.Out.WriteLine($"   ({zoneFile} is back as it was.)");
        }
        await ReadFailureReportAsync(ctx, bank, ct);
    }

    /// <summary>Logs in to bank's POP3 as its postmaster and downloads the failure reports (RFC 7489 §7.3, ARF) there.</summary>
    private static async Task ReadFailureReportAsync(DemoContext ctx, string bank, CancellationToken ct)
    {
        var postmaster = ctx.Site("bank").Users.FirstOrDefault(u => u.Address.StartsWith("postmaster@", StringComparison.OrdinalIgnoreCase))
            ?? throw new DemoException($"the lab file gives {bank} no postmaster user with a password to read its reports");
        var pop3s = ctx.EndPoint("bank", "POP3", "implicit");
        ctx.Step($"As {postmaster.Address}: the failure report the p=none forgery caused, over POP3 ({pop3s})");
        await ctx.WaitForMessageAsync(postmaster.Address, "Feedback-Type: auth-failure", TimeSpan.FromSeconds(30), ct);
        using var pop = new Pop3Client(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer, Timeout = 30_000 };
        if (ctx.Student is not null) pop.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
        await pop.ConnectAsync(pop3s.Address.ToString(), pop3s.Port, SecureSocketOptions.SslOnConnect, ct);
        await pop.AuthenticateAsync(postmaster.Address, postmaster.Password, ct);
        int count = await pop.GetMessageCountAsync(ct);
        if (count == 0) throw new DemoException($"{postmaster.Address}'s maildrop is empty over POP3, although the report is in its Maildir");
        for (int i = 0; i < count; i++)
        {
            var m = await pop.GetMessageAsync(i, ct);
            ctx.Out.WriteLine($"   downloaded: \"{m.Subject}\" ({m.Body?.ContentType.MimeType})");
        }
        await pop.DisconnectAsync(true, ct);
    }

    /// <summary>The zone with the _dmarc record's p= replaced and the SOA serial raised.</summary>
    internal static string WithPolicy(string zone, string policy)
    {
        var lines = zone.Split('\n');
        bool found = false;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("_dmarc", StringComparison.Ordinal) && PolicyTag().IsMatch(lines[i]))
            {
                lines[i] = PolicyTag().Replace(lines[i], $"p={policy}", 1);
                found = true;
            }
        }
        if (!found) throw new DemoException("the zone has no _dmarc record with a p= tag");
        return Serial().Replace(string.Join('\n', lines), m => (long.Parse(m.Groups[1].Value) + 1) + m.Groups[2].Value, 1);
    }

    private static async Task WaitForPolicyAsync(DemoContext ctx, string domain, string policy, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var answer = await DnsDemo.AskAsync(ctx, "_dmarc." + domain, DnsType.TXT, ct);
            if (answer.AnswerData<TxtData>(DnsType.TXT).Any(t => t.Text.Contains($"p={policy}", StringComparison.Ordinal))) return;
            if (DateTime.UtcNow > deadline) throw new DemoException($"the lab DNS still does not serve p={policy} for {domain}; is the zone file valid?");
            await Task.Delay(300, ct);
        }
    }

    private static async Task ForgeAsync(DemoContext ctx, string ceo, string to, string policy, CancellationToken ct)
    {
        var (smtp, greeting) = await LineDialogue.ConnectAsync(ctx.EndPoint("bank", "MTA"), ctx.Student, ctx.Out, ct);
        await using var _ = smtp;
        SmtpByHandDemo.Expect(greeting, 220);
        SmtpByHandDemo.Expect(await smtp.SendAsync("EHLO mx." + ctx.Domain("evil"), ct), 250);
        var mail = await smtp.SendAsync($"MAIL FROM:<{ceo}>", ct);
        if (!mail.Ok) throw new DemoException("MAIL FROM was refused: turn reject-spf-fail off for this exercise, so DMARC gets to decide");
        SmtpByHandDemo.Expect(await smtp.SendAsync($"RCPT TO:<{to}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync("DATA", ct), 354);
        var reply = await smtp.SendDataAsync($"From: The CEO <{ceo}>\nTo: <{to}>\nSubject: urgent transfer (p={policy})\n\nPay 50000 EUR today.", ct);
        ctx.Out.WriteLine(policy switch
        {
            "reject" => "   Refused in the dialogue: nothing was delivered.",
            "quarantine" => "   Accepted, but delivered to the Junk folder.",
            _ => "   Accepted and delivered: p=none only asks for reports.",
        });
        if (policy == "reject" ? reply.Ok : !reply.Ok) throw new DemoException($"with p={policy} the MTA answered {string.Join(" | ", reply.Lines)}");
        await smtp.SendAsync("QUIT", ct);
    }

    [GeneratedRegex(@"\bp=[a-z]+")]
    private static partial Regex PolicyTag();

    [GeneratedRegex(@"(\d{1,10})(\s*;\s*serial)")]
    private static partial Regex Serial();
}
