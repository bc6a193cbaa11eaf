using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary>uc.test's MSA signs, the relay carries the message, bank.test's MTA verifies through the lab DNS.</summary>
public sealed class DkimEndToEndTests
{
    [Fact]
    public async Task Mail_from_uc_to_bank_is_signed_relayed_and_verified_pass_with_both_sides_traced()
    {
        await using var lab = TestLab.Create().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "signed and relayed", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        var stored = await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        Assert.Equal(2, stored.Split("DKIM-Signature:").Length - 1);

        // MSA side: two signatures (rsa-sha256 and ed25519-sha256), each a sign step and a HeaderAdded.
        var signs = lab.Events(TraceKind.DkimStep).Where(e => e.Role == TraceRole.MSA && e.Field("Step") == "sign").ToList();
        Assert.Equal(["rsa-sha256", "ed25519-sha256"], signs.Select(e => e.Field("Algorithm")));
        Assert.All(signs, e => Assert.Equal("uc.test", e.Field("Domain")));
        Assert.Equal(2, lab.Events(TraceKind.HeaderAdded).Count(e => e.Role == TraceRole.MSA && e.Field("Header") == "DKIM-Signature"));

        // MTA side: both verified pass, the key fetched from the lab DNS.
        var results = lab.Events(TraceKind.DkimResult).Where(e => e.Role == TraceRole.MTA && e.Site == "bank").ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal("pass", r.Field("Result"));
            Assert.Equal("uc.test", r.Field("Domain"));
            Assert.Equal(r.Field("BodyHashClaimed"), r.Field("BodyHashComputed"));
        });
        Assert.Equal(["lab-rsa", "lab-ed25519"], results.Select(r => r.Field("Selector")));
        Assert.Contains(lab.Events(TraceKind.DnsQuery), e => e.Field("Type") == "TXT" && e.Field("Name")!.TrimEnd('.') == "lab-rsa._domainkey.uc.test");
        Assert.Contains(lab.Events(TraceKind.DkimStep), e => e.Role == TraceRole.MTA && e.Field("Step") == "key" && e.Field("Answer")!.StartsWith("v=DKIM1; k=ed25519; p="));
    }

    [Fact]
    public async Task Keys_are_made_on_first_start_private_0600_and_published_in_the_zone_file()
    {
        await using var lab = TestLab.Create().Start();
        var key = Path.Combine(lab.DataDirectory, "dkim", "uc.test", "lab-rsa.key");
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(key));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        var zone = await File.ReadAllTextAsync(Path.Combine(lab.DataDirectory, "zones", "uc.test.zone"));
        Assert.Contains("lab-rsa._domainkey.uc.test. 3600 IN TXT \"v=DKIM1; k=rsa; p=", zone);
        Assert.Contains("lab-ed25519._domainkey.uc.test. 3600 IN TXT \"v=DKIM1; k=ed25519; p=", zone);
    }
}
