using MailLab.Tests.Support;

namespace MailLab.Tests.Spf;

/// <summary><c>maillab spf check</c> as a process against the running test lab's DNS.</summary>
public sealed class SpfCliTests
{
    [Fact]
    public async Task Spf_check_prints_the_steps_the_result_and_the_header()
    {
        await using var lab = TestLab.Create().Start();
        var dns = lab.Runtime!.Dns!.EndPoint;
        var (code, output, err) = await MailLabProcess.Run("spf", "check", "--ip", "127.0.3.1", "--sender", "ceo@bank.test",
            "--helo", "mx.evil.test", "--server", $"{dns.Address}:{dns.Port}");
        Assert.True(code == 0, err);
        Assert.Contains("check_host(127.0.3.1, bank.test, ceo@bank.test)", output);
        Assert.Matches(@"ip4:127\.0\.2\.1.*no match", output);
        Assert.Contains("result: fail (deciding term: -all)", output);
        Assert.Matches(@"Received-SPF: fail .*client-ip=127\.0\.3\.1", output);

        var pass = await MailLabProcess.Run("spf", "check", "--ip", "127.0.2.1", "--sender", "ceo@bank.test", "--server", $"{dns.Address}:{dns.Port}");
        Assert.Contains("result: pass", pass.Out);
    }

    [Fact]
    public async Task Spf_check_with_a_bad_ip_or_no_lab_says_so()
    {
        var bad = await MailLabProcess.Run("spf", "check", "--ip", "127.0.3.x", "--sender", "a@b.test");
        Assert.Equal(2, bad.Code);
        Assert.Contains("not an IP address", bad.Err);
        var down = await MailLabProcess.Run("spf", "check", "--ip", "127.0.3.1", "--sender", "a@b.test", "--data", TempDir.New("nolab"));
        Assert.Equal(1, down.Code);
        Assert.Contains("the lab is not running", down.Err);
    }
}
