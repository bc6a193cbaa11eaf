using System.Net;
using DnsClient;
using MailLab.Server.Lab;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;
using static MailLab.Tests.Dns.DnsServerTests;

namespace MailLab.Tests.Attacks;

/// <summary>
/// The spoof-dns attack (issue 16 part 3): evil's forger sits between uc's mail resolver and the lab DNS and
/// answers bank.test MX with mx.evil.test, with real packets on the wire.
/// </summary>
public sealed class DnsSpoofTests
{
    /// <summary>The test lab with spoof-dns on; the forger on a free port, and <paramref name="more"/> keys of <c>attacks: spoof-dns:</c>.</summary>
    internal static string SpoofYaml(string more = "") =>
        TestLab.LabYaml().Replace("  allow-plaintext-auth:", "  spoof-dns: true\n  allow-plaintext-auth:")
        + $"\nattacks:\n  spoof-dns: {{ port: 0{(more.Length > 0 ? ", " + more : "")} }}\n";

    private static IPEndPoint Forger(TestLab lab)
    {
        var l = Assert.Single(lab.Runtime!.Listeners, l => l.Role == "ATTACKER");
        Assert.Equal(("evil", "127.0.3.1"), (l.Site, l.Address));
        return new IPEndPoint(IPAddress.Parse(l.Address), l.Port);
    }

    [Fact]
    public async Task With_the_switch_alices_mail_for_bob_goes_to_evil_and_the_trace_shows_the_forged_answer_used()
    {
        await using var lab = TestLab.FromYaml(SpoofYaml()).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "quarterly figures", "bob@bank.test");

        var captured = await lab.WaitForEvent(e => e.Kind == TraceKind.MailCaptured);
        Assert.Equal(("evil", TraceRole.ATTACKER, LabOrigin.Attack), (captured.Site, captured.Role, captured.Origin));
        Assert.Equal("mallory@evil.test", captured.Field("Mailbox"));
        Assert.Contains("quarterly figures", await RelayTestHelpers.OnlyMessage(lab, "mallory@evil.test"));
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));

        // uc's queue used the forged answer: the MX lookup says mx.evil.test and the relay connected to evil's address.
        var mx = Assert.Single(lab.Events(TraceKind.RelayAttempt), e => e.Field("Step") == "mx-lookup" && e.Field("Domain") == "bank.test");
        Assert.Contains("mx.evil.test", mx.Text);
        Assert.Contains(lab.Events(TraceKind.RelayAttempt), e => e.Field("Step") == "connect" && e.Field("To")!.StartsWith("127.0.3.1:"));
        // The forger traced its lie, as the lab's attacker, with what the lab DNS really says.
        var forged = Assert.Single(lab.Events(TraceKind.DnsForged), e => e.Field("Type") == "MX");
        Assert.Equal(("uc", "127.0.1.1", "bank.test", LabOrigin.Attack), (forged.Field("Victim"), forged.Field("Client"), forged.Field("Name"), forged.Origin));
        Assert.Contains("mx.evil.test", Assert.Single((IEnumerable<string>)forged.Fields["Forged"]!));
        Assert.Contains("mx.bank.test", Assert.Single((IEnumerable<string>)forged.Fields["Genuine"]!));
        // The lab DNS never saw uc's MX question for bank.test: it was answered on the path.
        Assert.DoesNotContain(lab.Events(TraceKind.DnsQuery), e => e.Field("Name") == "bank.test" && e.Field("Type") == "MX" && e.Field("Client") == "127.0.1.1");
    }

    [Fact]
    public async Task With_dnssec_validate_the_forged_MX_is_bogus_and_the_mail_waits_in_the_queue_with_the_reason()
    {
        var yaml = SpoofYaml().Replace("  spoof-dns: true\n", "  spoof-dns: true\n  dnssec-validate: true\n");
        await using var lab = TestLab.FromYaml(yaml).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "protected figures", "bob@bank.test");

        var deferred = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "deferred");
        Assert.Contains("DNSSEC bogus", deferred.Field("Reason"));
        // The forger did lie, with the genuine signature copied beside its record; the validator caught it.
        var forged = Assert.Single(lab.Events(TraceKind.DnsForged), e => e.Field("Type") == "MX");
        Assert.Equal("1", forged.Field("CopiedSignatures"));
        var bogus = Assert.Single(lab.Events(TraceKind.DnssecValidation), e => e.Site == "uc" && e.Field("Name") == "bank.test"
            && e.Field("Type") == "MX" && e.Field("Status") == "bogus");
        Assert.Equal(LabOrigin.Resolver, bogus.Origin);
        // Nothing reached evil: no relay connection to its address, nothing captured, the mail still queued.
        Assert.DoesNotContain(lab.Events(TraceKind.RelayAttempt), e => e.Field("Step") == "connect" && e.Field("To")!.StartsWith("127.0.3.1:"));
        Assert.Empty(lab.Events(TraceKind.MailCaptured));
        var waiting = lab.Runtime!.Queue.LoadAll().Single().Recipients.Single();
        Assert.Contains("DNSSEC bogus", waiting.Reason);
        Assert.Empty(await lab.Store.ListAsync("mallory@evil.test", "INBOX", default));
    }

    [Fact]
    public async Task The_forger_answers_the_forged_question_itself_and_passes_every_other_one_through()
    {
        await using var lab = TestLab.FromYaml(SpoofYaml()).Start();
        var forger = Forger(lab);
        foreach (bool tcp in new[] { false, true })
        {
            var client = Client(forger, tcp);
            var mx = await client.QueryAsync("bank.test", QueryType.MX);
            Assert.Equal("mx.evil.test.", Assert.Single(mx.Answers.MxRecords()).Exchange.Value);
            var ucMx = await client.QueryAsync("uc.test", QueryType.MX);
            Assert.Equal("mx.uc.test.", Assert.Single(ucMx.Answers.MxRecords()).Exchange.Value);
            var a = await client.QueryAsync("mx.bank.test", QueryType.A);
            Assert.Equal("127.0.2.1", Assert.Single(a.Answers.ARecords()).Address.ToString());
            var nx = await client.QueryAsync("nobody.bank.test", QueryType.A);
            Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, nx.Header.ResponseCode);
        }
        // Questions it passed on reached the lab DNS from evil's address, traced as the victim resolver's (not a student's).
        Assert.Contains(lab.Events(TraceKind.DnsQuery), e => e.Field("Name") == "uc.test" && e.Field("Client") == "127.0.3.1" && e.Origin == LabOrigin.Resolver);
        Assert.Equal(2, lab.Events(TraceKind.DnsForged).Count);
    }

    [Fact]
    public async Task Without_the_switch_there_is_no_forger_and_mail_for_bob_reaches_bob()
    {
        await using var lab = TestLab.Create().Start();
        Assert.DoesNotContain(lab.Runtime!.Listeners, l => l.Role == "ATTACKER");
        await RelayTestHelpers.SubmitAsAlice(lab, "no attacker", "bob@bank.test");
        Assert.Contains("no attacker", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
        Assert.Empty(lab.Events(TraceKind.DnsForged));
    }

    [Fact]
    public async Task Evils_MTA_takes_only_the_forged_domains_mail_and_stays_no_open_relay()
    {
        await using var lab = TestLab.FromYaml(SpoofYaml()).Start();
        var mta = lab.Runtime!.EndPoint("evil", "MTA");
        using var smtp = new MailKit.Net.Smtp.SmtpClient();
        await smtp.ConnectAsync(mta.Address.ToString(), mta.Port, MailKit.Security.SecureSocketOptions.None);
        var bounce = await Assert.ThrowsAsync<MailKit.Net.Smtp.SmtpCommandException>(() => smtp.SendAsync(
            new MimeKit.MimeMessage(new[] { MimeKit.MailboxAddress.Parse("x@uc.test") }, new[] { MimeKit.MailboxAddress.Parse("carol@uc.test") }, "relay?", new MimeKit.TextPart("plain") { Text = "x" })));
        Assert.Equal(554, (int)bounce.StatusCode);
    }

    [Fact]
    public void The_attack_section_is_checked_against_the_lab()
    {
        var lab = LabDefinitionLoader.Parse(SpoofYaml(), "lab.yml");
        Assert.Equal(["bank.test"], lab.Attacks.SpoofDns.CapturedDomains);

        var badVictim = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(SpoofYaml("victim: school"), "lab.yml"));
        Assert.Contains("victim 'school' is not a site of this lab", badVictim.Message);
        var badLine = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(
            SpoofYaml("forge: [\"bank.test. 300 IN MX mx.evil.test.\"]"), "lab.yml"));
        Assert.Contains("attacks.spoof-dns.forge[0]", badLine.Message);
        var badCapture = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(SpoofYaml("capture: bob@bank.test"), "lab.yml"));
        Assert.Contains("capture 'bob@bank.test' is not a user of the attacker site 'evil'", badCapture.Message);
    }
}
