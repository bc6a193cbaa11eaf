using MailLab.Server.Attacks;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Attacks;

/// <summary>
/// The STARTTLS stripping attack against DANE (issue 16 parts 4 and 5), end to end: with dnssec-validate on, bank's
/// MX and its TLSA record (3 1 1, published from bank's certificate) are DNSSEC-secure, so uc's relay must use TLS
/// and match the certificate; the man in the middle removes STARTTLS, and the relay refuses and defers.
/// </summary>
public sealed class StripVersusDaneTests
{
    private const string Attacks = "attacks:\n  strip-starttls: { victim: uc, target: bank, address: 127.0.6.1 }\n";

    private static TestLab Lab(bool strip) => TestLab.FromYaml(TestLab.LabYaml()
        .Replace("switches:\n", $"switches:\n  dnssec-validate: true\n  strip-starttls: {(strip ? "true" : "false")}\n") + "\n" + Attacks);

    [Fact]
    public async Task Under_DANE_the_relay_refuses_the_stripped_session_and_the_mail_waits_unread()
    {
        await using var lab = Lab(strip: true).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "dane protects this", "bob@bank.test");

        var deferred = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "deferred");
        Assert.Contains("STARTTLS", deferred.Field("Reason"));
        var decision = Assert.Single(lab.Events(TraceKind.TlsPolicy), e => e.Field("Step") == "decision" && e.Field("Host") == "mx.bank.test");
        Assert.Equal(("dane", "secure", "secure", "tls-required"),
            (decision.Field("Policy"), decision.Field("MxStatus"), decision.Field("TlsaStatus"), decision.Field("Result")));
        // The attacker stripped STARTTLS, but no message crossed it.
        Assert.Contains(lab.Events(TraceKind.StarttlsStripped), e => e.Field("Action") == "ehlo");
        Assert.DoesNotContain(lab.Events(TraceKind.AttackerSaw), e => e.Field("Direction") == "message");
        var log = File.Exists(AttackTranscript.StripStarttlsPath(lab.DataDirectory)) ? await File.ReadAllTextAsync(AttackTranscript.StripStarttlsPath(lab.DataDirectory)) : "";
        Assert.DoesNotContain("dane protects this", log);
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
        Assert.Contains("STARTTLS", lab.Runtime!.Queue.LoadAll().Single().Recipients.Single().Reason);
    }

    [Fact]
    public async Task Without_the_attacker_DANE_delivers_over_TLS_whose_certificate_matches_the_TLSA_record()
    {
        await using var lab = Lab(strip: false).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "dane delivers", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Contains("dane delivers", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
        Assert.Contains(lab.Events(TraceKind.TlsPolicy), e => e.Field("Step") == "decision" && e.Field("Policy") == "dane");
        Assert.Contains(lab.Events(TraceKind.TlsEstablished), e => e.Field("Direction") == "outbound" && e.Field("Host") == "mx.bank.test");
    }
}
