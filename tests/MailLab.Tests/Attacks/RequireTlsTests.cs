using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Attacks;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Attacks;

/// <summary>REQUIRETLS (RFC 8689): offered and accepted only over TLS, kept in the queue, enforced by the relay.</summary>
public sealed class RequireTlsTests
{
    private static TestLab Lab(bool strip) =>
        TestLab.FromYaml(TestLab.LabYaml().Replace("switches:\n", $"switches:\n  strip-starttls: {(strip ? "true" : "false")}\n")
            + "\nattacks:\n  strip-starttls: { victim: uc, target: bank, address: 127.0.6.1 }\n");

    [Fact]
    public async Task Without_TLS_REQUIRETLS_is_not_offered_and_MAIL_with_it_gets_5_7_10()
    {
        await using var lab = Lab(strip: false).Start();
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(mta);
        var reader = new StreamReader(tcp.GetStream(), Encoding.ASCII);
        async Task<string> Reply()
        {
            var all = new StringBuilder();
            while (await reader.ReadLineAsync() is { } line)
            {
                all.Append(line).Append('\n');
                if (line.Length < 4 || line[3] != '-') break;
            }
            return all.ToString();
        }
        async Task Send(string l) => await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(l + "\r\n"));
        await Reply();
        await Send("EHLO client.test");
        Assert.DoesNotContain("REQUIRETLS", await Reply());
        await Send("MAIL FROM:<x@uc.test> REQUIRETLS");
        Assert.StartsWith("530 5.7.10", await Reply());
        await Send("MAIL FROM:<x@uc.test>");
        Assert.StartsWith("250", await Reply());
    }

    [Fact]
    public async Task Over_TLS_the_MSA_offers_REQUIRETLS()
    {
        await using var lab = Lab(strip: false).Start();
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false };
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task REQUIRETLS_mail_is_delivered_over_verified_TLS()
    {
        await using var lab = Lab(strip: false).Start();
        await SubmitRequireTls(lab, "must be encrypted");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Contains("must be encrypted", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
        Assert.Contains(lab.Events(TraceKind.EnvelopeMailFrom), e => e.Site == "bank" && e.Text.Contains("alice@uc.test") && ((string[])e.Fields["Parameters"]!).Contains("REQUIRETLS="));
    }

    [Fact]
    public async Task REQUIRETLS_mail_through_the_stripping_attacker_bounces_with_5_7_30_and_the_attacker_never_sees_it()
    {
        await using var lab = Lab(strip: true).Start();
        await SubmitRequireTls(lab, "must be encrypted");
        var failed = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "failed");
        Assert.Equal("5.7.30", failed.Field("Status"));
        Assert.StartsWith("Return-Path: <>", await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
        Assert.Contains(lab.Events(TraceKind.StarttlsStripped), e => e.Field("Action") == "ehlo");
        Assert.DoesNotContain(lab.Events(TraceKind.AttackerSaw), e => e.Field("Direction") == "message");
        Assert.DoesNotContain("must be encrypted", await File.ReadAllTextAsync(AttackTranscript.StripStarttlsPath(lab.DataDirectory)));
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
    }

    [Fact]
    public void The_queue_entry_keeps_the_REQUIRETLS_flag_on_disk()
    {
        var entry = new MailLab.Server.Relay.QueueEntry
        {
            Id = "Q1", MailFrom = "alice@uc.test", Site = "uc", Created = DateTimeOffset.UtcNow, RequireTls = true,
            Recipients = [new MailLab.Server.Relay.QueueRecipient { Address = "bob@bank.test" }],
        };
        Assert.True(MailLab.Server.Relay.QueueEntry.FromJson(entry.ToJson())!.RequireTls);
    }

    private static async Task SubmitRequireTls(TestLab lab, string subject)
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("alice@uc.test"));
        m.To.Add(MailboxAddress.Parse("bob@bank.test"));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = "Only over TLS, please." };
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, RequireTLS = true };
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("alice@uc.test", "lab-alice");
        await client.SendAsync(m);
        await client.DisconnectAsync(true);
        Assert.Contains(lab.Events(TraceKind.EnvelopeMailFrom), e => e.Site == "uc" && ((string[])e.Fields["Parameters"]!).Contains("REQUIRETLS="));
    }
}
