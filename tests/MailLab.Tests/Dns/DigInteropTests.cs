using MailLab.Tests.Interop;

namespace MailLab.Tests.Dns;

/// <summary>The lab DNS answers BIND's dig (Debian bind9-dnsutils) over UDP and TCP.</summary>
public class DigInteropTests
{
    private static Task<(int Code, string Out, string Err)> Dig(DnsTestServer dns, params string[] args) =>
        ExternalTool.Run("dig", [$"@{dns.EndPoint.Address}", "-p", dns.EndPoint.Port.ToString(), .. args, "+norecurse", "+time=3", "+tries=1"]);

    [Theory]
    [InlineData("+notcp", "UDP")]
    [InlineData("+tcp", "TCP")]
    public async Task Mx_answer_is_authoritative(string transport, string shown)
    {
        await using var dns = DnsTestServer.Start();
        var (code, output, err) = await Dig(dns, "mx", "bank.test", transport);
        Assert.True(code == 0, err);
        Assert.Contains("status: NOERROR", output);
        Assert.Matches(@"flags: qr aa;", output);
        Assert.Matches(@"bank\.test\.\s+3600\s+IN\s+MX\s+10 mx\.bank\.test\.", output);
        Assert.Contains($"({shown})", output);
    }

    [Fact]
    public async Task Txt_ptr_and_nxdomain()
    {
        await using var dns = DnsTestServer.Start();
        var txt = await Dig(dns, "txt", "uc.test", "+short");
        Assert.Equal("\"v=spf1 ip4:127.0.1.1 ~all\"", txt.Out.Trim());
        var ptr = await Dig(dns, "-x", "127.0.2.1", "+short");
        Assert.Equal("mx.bank.test.", ptr.Out.Trim());
        var nx = await Dig(dns, "a", "ghost.evil.test");
        Assert.Contains("status: NXDOMAIN", nx.Out);
        Assert.Matches(@"AUTHORITY SECTION:\s+evil\.test\.\s+300\s+IN\s+SOA", nx.Out);
        var refused = await Dig(dns, "a", "example.com");
        Assert.Contains("status: REFUSED", refused.Out);
    }

    [Fact]
    public async Task Without_edns_a_large_answer_is_truncated_and_dig_retries_over_tcp()
    {
        await using var dns = DnsTestServer.Start();
        var records = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"many A 127.0.8.{i + 1}"));
        File.AppendAllText(Path.Combine(dns.Directory, "extra.test.zone"), "\n" + records + "\n");
        dns.Zones.Refresh();
        var ignoreTc = await Dig(dns, "a", "many.extra.test", "+noedns", "+ignore");
        Assert.Matches("flags: qr aa tc;", ignoreTc.Out);
        var retried = await Dig(dns, "a", "many.extra.test", "+noedns");
        Assert.Contains("Truncated, retrying in TCP mode", retried.Out);
        Assert.Contains("ANSWER: 40", retried.Out);
    }

    [Fact]
    public async Task Any_gets_the_rfc_8482_hinfo_and_nothing_else()
    {
        await using var dns = DnsTestServer.Start();
        var (code, output, err) = await Dig(dns, "any", "bank.test");
        Assert.True(code == 0, err);
        Assert.Contains("status: NOERROR", output);
        Assert.Contains("ANSWER: 1,", output);
        Assert.Matches(@"bank\.test\.\s+3600\s+IN\s+HINFO\s+""RFC8482"" """"", output);
    }
}
