using MailLab.Server.Relay;
using MailLab.Server.Smtp;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Relay;

/// <summary>
/// Issue 20 item 15: RFC 5321 §2.4: a local part is case-sensitive for everyone but its own domain,
/// so the MSA keeps a remote recipient's local part as given (the domain may be lower-cased); local
/// users stay case-insensitive and are written in the lab's spelling.
/// </summary>
public sealed class RecipientCaseTests
{
    [Fact]
    public async Task The_queue_keeps_a_remote_local_part_as_given()
    {
        await using var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(false), "127.0.0.1");
        await t.LogInOverStartTlsAsync("alice@uc.test", "lab-alice");
        await t.Expect("MAIL FROM:<alice@uc.test>", "250");
        await t.Expect("RCPT TO:<Bob.Smith@Bank.Test>", "250");
        await t.Expect("RCPT TO:<bob.smith@bank.test>", "250");   // another mailbox as far as we know
        await t.Expect("RCPT TO:<Bob.Smith@BANK.test>", "250");   // the same one again: kept once
        await t.Expect("RCPT TO:<ALICE@UC.TEST>", "250");         // a local user: the lab's spelling
        await t.Expect("DATA", "354");
        await t.Expect("From: alice@uc.test\r\nSubject: case\r\n\r\nHi.\r\n.", "250 2.0.0");

        var entry = Assert.Single(lab.Queue.LoadAll());
        Assert.Equal(["Bob.Smith@bank.test", "bob.smith@bank.test"], entry.Recipients.Select(r => r.Address).ToArray());
        var json = await File.ReadAllTextAsync(Path.Combine(lab.Queue.Directory, entry.Id, RelayQueue.EnvelopeFile));
        Assert.Contains("\"Bob.Smith@bank.test\"", json);
        var rcpts = lab.Events(TraceKind.EnvelopeRcptTo).Select(e => e.Field("RcptTo")).ToList();
        Assert.Equal(["Bob.Smith@bank.test", "bob.smith@bank.test", "Bob.Smith@bank.test", "alice@uc.test"], rcpts);
        Assert.Single(await lab.Store.ListAsync("alice@uc.test", "INBOX", default));
    }

    [Fact]
    public async Task The_relay_sends_the_local_part_as_given_to_the_next_MTA()
    {
        await using var lab = TestLab.Create().Start(StaticMxResolver.Simple(("bank.test", "mx.bank.test", "127.0.2.1")));
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("alice@uc.test"));
        m.To.Add(MailboxAddress.Parse("Bob@Bank.Test"));
        m.Subject = "mind the case";
        m.Body = new TextPart("plain") { Text = "Hi Bob." };
        using (var client = new MailKit.Net.Smtp.SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 })
        {
            await client.ConnectAsync(msa.Address.ToString(), msa.Port, MailKit.Security.SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("alice@uc.test", "lab-alice");
            await client.SendAsync(m);
            await client.DisconnectAsync(true);
        }
        await RelayTestHelpers.Outcome(lab, "Bob@bank.test", "delivered", 30_000);
        // uc's relay said it, and bank's MTA heard it, with the local part as alice wrote it.
        Assert.Contains(lab.Events(TraceKind.RelayCommandSent), e => e.Field("Line") == "RCPT TO:<Bob@bank.test>");
        Assert.Contains(lab.Events(TraceKind.CommandReceived), e => e.Site == "bank" && e.Field("Line") == "RCPT TO:<Bob@bank.test>");
        // bank.test is bank's own domain: there the local part is case-insensitive and bob gets it.
        Assert.Contains("Subject: mind the case", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
    }
}
