using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>Relay routed by the real lab DNS (no fixed table): MX lookups on the wire, and zone edits.</summary>
public sealed class RelayThroughLabDnsTests
{
    [Fact]
    public async Task The_MTA_finds_the_next_hop_by_asking_the_lab_DNS_for_MX()
    {
        await using var lab = TestLab.Create().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "routed by MX", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Contains("routed by MX", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
        // The lab DNS saw the MX question and answered it from the bank.test zone.
        Assert.Contains(lab.Events(TraceKind.DnsQuery), e => e.Role == TraceRole.DNS && e.Field("Type") == "MX" && e.Field("Name")!.TrimEnd('.') == "bank.test");
        Assert.Contains(lab.Events(TraceKind.DnsAnswer), e => e.Role == TraceRole.DNS && e.Text.Contains("mx.bank.test"));
    }

    [Fact]
    public async Task Editing_the_MX_in_the_zone_file_changes_where_mail_goes()
    {
        await using var lab = TestLab.Create().Start();
        var zone = Path.Combine(lab.DataDirectory, "zones", "bank.test.zone");
        var text = await File.ReadAllTextAsync(zone);
        var before = lab.Tracer.Stream.Count;
        // A hijacked MX: bank.test's mail now goes to evil.test's server.
        await File.WriteAllTextAsync(zone, text.Replace("@       IN  MX   10 mx.bank.test.", "@       IN  MX   10 mx.evil.test."));
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Text.Contains("bank.test"), 5_000);

        await RelayTestHelpers.SubmitAsAlice(lab, "after the edit", "bob@bank.test");
        var connect = await lab.WaitForEvent(e => e.Kind == TraceKind.RelayAttempt && e.Field("Step") == "connect");
        Assert.StartsWith("127.0.3.1:", connect.Field("To"));
        // evil.test's MTA is no open relay: it refuses bank.test's mail, so alice gets a bounce.
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "failed");
        Assert.Contains(lab.Events(TraceKind.PolicyRejected), e => e.Site == "evil" && e.Field("Reason") == "relay denied");
        Assert.StartsWith("Return-Path: <>", await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
    }

    [Fact]
    public async Task A_domain_outside_the_lab_bounces_at_once()
    {
        await using var lab = TestLab.Create().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "to nowhere", "x@nowhere.example");
        var failed = await RelayTestHelpers.Outcome(lab, "x@nowhere.example", "failed");
        Assert.Contains("5.1.2", failed.Field("Status"));
        Assert.Contains(lab.Events(TraceKind.DnsAnswer), e => e.Field("Rcode") == "REFUSED");
        // The queue says what the DNS said (issue 14: it said NXDOMAIN while the DNS log said REFUSED).
        Assert.Contains("REFUSED", failed.Field("Reason"));
        Assert.DoesNotContain("NXDOMAIN", failed.Field("Reason"));
        Assert.Contains(lab.Events(TraceKind.RelayAttempt), e => e.Field("Step") == "mx-lookup" && e.Text.Contains("REFUSED: outside every lab zone"));
        Assert.StartsWith("Return-Path: <>", await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
    }
}
