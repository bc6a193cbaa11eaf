using MailLab.Server.Relay;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>
/// The relay with the <c>dnssec-validate</c> switch on, end to end over real sockets: mail for bank.test goes
/// out on a secure MX; with bank.test's RRSIGs expired (<c>expired-rrsig</c>) the MX is bogus, so the mail
/// waits in the queue with the DNSSEC reason; once repaired, a flush delivers it.
/// </summary>
public sealed class DnssecRelayTests
{
    private static TestLab Validating() =>
        TestLab.FromYaml(TestLab.LabYaml().Replace("switches:\n", "switches:\n  dnssec-validate: true\n"));

    [Fact]
    public async Task A_bogus_mx_keeps_mail_in_the_queue_with_the_reason_and_a_repair_delivers_it()
    {
        await using var lab = Validating().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "signed route", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Contains(lab.Events(TraceKind.DnssecValidation), e => e.Site == "uc" && e.Origin == LabOrigin.Resolver
            && e.Field("Name") == "bank.test" && e.Field("Type") == "MX" && e.Field("Status") == "secure");
        // bank's MTA says its SPF, DKIM and DMARC answers for uc.test were validated.
        Assert.Contains(lab.Events(TraceKind.SpfResult), e => e.Site == "bank" && e.Field("Identity") == "mailfrom"
            && e.Field("Domain") == "uc.test" && e.Field("Dnssec") == "secure");
        Assert.Contains(lab.Events(TraceKind.DkimResult), e => e.Site == "bank" && e.Field("Domain") == "uc.test"
            && e.Field("Result") == "pass" && e.Field("Dnssec") == "secure");
        Assert.Contains(lab.Events(TraceKind.DmarcEvaluated), e => e.Site == "bank" && e.Field("FromDomain") == "uc.test"
            && e.Field("Dnssec") == "secure");

        string breakFile = Path.Combine(lab.DataDirectory, "dnssec", "broken");
        long before = lab.Tracer.Stream.Count;
        await File.WriteAllTextAsync(breakFile, "bank.test expired-rrsig\n");
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneSigned && e.Field("Zone") == "bank.test"
            && e.Field("Broken") == "expired-rrsig");

        await RelayTestHelpers.SubmitAsAlice(lab, "spoofable route", "bob@bank.test");
        var deferred = await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.RelayOutcome
            && e.Field("Recipient") == "bob@bank.test" && e.Field("State") == "deferred", 15_000);
        Assert.Contains("DNSSEC bogus: RRSIG over bank.test. MX", deferred.Field("Reason"));
        var waiting = lab.Runtime!.Queue.LoadAll().Single().Recipients.Single();
        Assert.Equal(RecipientState.Deferred, waiting.State);
        Assert.Contains("DNSSEC bogus", waiting.Reason);
        Assert.Contains(lab.Events(TraceKind.DnssecValidation), e => e.Sequence > before && e.Field("Status") == "bogus");

        before = lab.Tracer.Stream.Count;
        await File.WriteAllTextAsync(breakFile, "");
        File.SetLastWriteTimeUtc(breakFile, DateTime.UtcNow.AddSeconds(5)); // a new stamp whatever the clock's granularity
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneSigned && e.Field("Zone") == "bank.test"
            && e.Field("Broken") is null);
        RelayQueue.RequestFlush(lab.Runtime.Queue.Directory);
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.RelayOutcome
            && e.Field("Recipient") == "bob@bank.test" && e.Field("State") == "delivered", 15_000);
    }
}
