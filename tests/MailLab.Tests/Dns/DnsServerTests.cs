using System.Net;
using DnsClient;
using DnsClient.Protocol;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dns;

/// <summary>The lab DNS over real loopback sockets, with DnsClient as the client.</summary>
public class DnsServerTests
{
    /// <summary>A DnsClient that asks only <paramref name="server"/>, once, without caching (shared by the DNS tests).</summary>
    internal static LookupClient Client(IPEndPoint server, bool tcp = false) => new(new LookupClientOptions(new NameServer(server))
    {
        UseCache = false, Recursion = false, ThrowDnsErrors = false, UseTcpOnly = tcp, UseTcpFallback = true,
        Retries = 0, Timeout = TimeSpan.FromSeconds(3),
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Mx_over_udp_and_tcp_is_authoritative(bool tcp)
    {
        await using var dns = DnsTestServer.Start();
        var r = await Client(dns.EndPoint, tcp).QueryAsync("bank.test", QueryType.MX);
        Assert.Equal(DnsHeaderResponseCode.NoError, r.Header.ResponseCode);
        Assert.True(r.Header.HasAuthorityAnswer);
        Assert.False(r.Header.RecursionAvailable);
        var mx = Assert.Single(r.Answers.MxRecords());
        Assert.Equal((10, "mx.bank.test."), (mx.Preference, mx.Exchange.Value));
        var query = await dns.WaitFor(e => e.Kind == TraceKind.DnsQuery && (string?)e.Fields["Name"] == "bank.test");
        Assert.Equal(("bank", TraceRole.DNS, "MX", tcp ? "tcp" : "udp", "127.0.0.1"),
            (query.Site, query.Role, query.Fields["Type"], query.Fields["Transport"], query.Fields["Client"]));
        var answer = await dns.WaitFor(e => e.Kind == TraceKind.DnsAnswer && e.Session == query.Session);
        Assert.Equal("NOERROR", answer.Fields["Rcode"]);
        Assert.Equal(["bank.test. 3600 IN MX 10 mx.bank.test."], (IEnumerable<string>)answer.Fields["Answers"]!);
    }

    [Fact]
    public async Task Nxdomain_and_nodata_carry_the_soa_and_outside_names_are_refused()
    {
        await using var dns = DnsTestServer.Start();
        var client = Client(dns.EndPoint);
        var nx = await client.QueryAsync("nobody.uc.test", QueryType.A);
        Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, nx.Header.ResponseCode);
        Assert.Equal("uc.test.", Assert.Single(nx.Authorities.SoaRecords()).DomainName.Value);
        var nodata = await client.QueryAsync("mx.uc.test", QueryType.MX);
        Assert.Equal(DnsHeaderResponseCode.NoError, nodata.Header.ResponseCode);
        Assert.Empty(nodata.Answers);
        Assert.Single(nodata.Authorities.SoaRecords());
        var refused = await client.QueryAsync("example.com", QueryType.A);
        Assert.Equal(DnsHeaderResponseCode.Refused, refused.Header.ResponseCode);
        Assert.False(refused.Header.HasAuthorityAnswer);
        var traced = await dns.WaitFor(e => e.Kind == TraceKind.DnsAnswer && (string?)e.Fields["Name"] == "example.com");
        Assert.Equal(("lab", "REFUSED"), (traced.Site, traced.Fields["Rcode"]));
        var nxTrace = await dns.WaitFor(e => e.Kind == TraceKind.DnsAnswer && (string?)e.Fields["Name"] == "nobody.uc.test");
        Assert.StartsWith("uc.test. 300 IN SOA", Assert.Single((IEnumerable<string>)nxTrace.Fields["Authority"]!));
    }

    [Fact]
    public async Task A_txt_over_255_octets_arrives_as_several_strings_that_join_back()
    {
        string key = "v=DKIM1; k=rsa; p=" + string.Concat(Enumerable.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", 12));
        await using var dns = DnsTestServer.Start(longTxt: key);
        var r = await Client(dns.EndPoint).QueryAsync("long.extra.test", QueryType.TXT);
        var txt = Assert.Single(r.Answers.TxtRecords());
        Assert.Equal(2, txt.Text.Count);
        Assert.All(txt.Text, s => Assert.True(s.Length <= 255));
        Assert.Equal(key, string.Concat(txt.Text));
    }

    [Fact]
    public async Task A_large_answer_over_udp_sets_tc_and_the_client_gets_it_whole_over_tcp()
    {
        await using var dns = DnsTestServer.Start();
        var records = string.Join("\n", Enumerable.Range(0, 30).Select(i => $"many A 127.0.8.{i + 1}"));
        File.AppendAllText(Path.Combine(dns.Directory, "extra.test.zone"), "\n" + records + "\n");
        dns.Zones.Refresh();
        // DnsClient sends EDNS with a large size; dig without EDNS is the 512-octet case, tested in DigInteropTests.
        var r = await Client(dns.EndPoint).QueryAsync("many.extra.test", QueryType.A);
        Assert.Equal(30, r.Answers.ARecords().Count());
    }

    [Fact]
    public async Task An_edited_zone_is_live_within_two_seconds_and_a_broken_edit_keeps_the_last_good_zone()
    {
        await using var dns = DnsTestServer.Start();
        var client = Client(dns.EndPoint);
        string file = Path.Combine(dns.Directory, "bank.test.zone");
        Assert.Equal("127.0.2.1", (await client.QueryAsync("mx.bank.test", QueryType.A)).Answers.ARecords().Single().Address.ToString());

        File.WriteAllText(file, File.ReadAllText(file).Replace("mx      IN  A    127.0.2.1", "mx      IN  A    127.0.2.99"));
        var started = DateTime.UtcNow;
        string? seen = null;
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(2))
        {
            seen = (await client.QueryAsync("mx.bank.test", QueryType.A)).Answers.ARecords().SingleOrDefault()?.Address.ToString();
            if (seen == "127.0.2.99") break;
            await Task.Delay(50);
        }
        Assert.Equal("127.0.2.99", seen);
        Assert.Contains(dns.Events(TraceKind.ZoneLoaded), e => (string?)e.Fields["Zone"] == "bank.test" && e.Site == "bank" && e.Sequence > 0
            && (string?)e.Fields["File"] == file && e.Time > started.AddSeconds(-1));

        var lines = File.ReadAllLines(file).ToList();
        int mxLine = lines.FindIndex(l => l.StartsWith("mx ", StringComparison.Ordinal)) + 1;
        lines[mxLine - 1] = "mx      IN  A    127.0.2.300";
        File.WriteAllLines(file, lines);
        var failed = await dns.WaitFor(e => e.Kind == TraceKind.ZoneReloadFailed, 2000);
        Assert.Equal((file, mxLine, 18, true, "bank"), (failed.Fields["File"], failed.Fields["Line"], failed.Fields["Column"], failed.Fields["KeptLastGood"], failed.Site));
        Assert.Contains($"bank.test.zone:{mxLine}:18", failed.Text);
        Assert.Equal("127.0.2.99", (await client.QueryAsync("mx.bank.test", QueryType.A)).Answers.ARecords().Single().Address.ToString());
    }

    [Fact]
    public async Task A_new_zone_file_is_served_and_a_deleted_one_is_dropped()
    {
        await using var dns = DnsTestServer.Start();
        var client = Client(dns.EndPoint);
        Assert.Equal(DnsHeaderResponseCode.Refused, (await client.QueryAsync("new.test", QueryType.SOA)).Header.ResponseCode);
        string file = Path.Combine(dns.Directory, "new.test.zone");
        File.WriteAllText(file, "$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n");
        await dns.WaitFor(e => e.Kind == TraceKind.ZoneLoaded && (string?)e.Fields["Zone"] == "new.test", 2000);
        Assert.Single((await client.QueryAsync("new.test", QueryType.SOA)).Answers.SoaRecords());
        File.Delete(file);
        await dns.WaitFor(e => e.Kind == TraceKind.ZoneLoaded && e.Fields.ContainsKey("Removed"), 2000);
        Assert.Equal(DnsHeaderResponseCode.Refused, (await client.QueryAsync("new.test", QueryType.SOA)).Header.ResponseCode);
    }

    [Fact]
    public async Task A_second_server_on_the_same_port_fails_with_a_bind_error()
    {
        await using var dns = DnsTestServer.Start();
        var other = new MailLab.Server.Dns.LabDnsServer("127.0.9.1", dns.EndPoint.Port, dns.Zones, dns.Tracer);
        var ex = Assert.Throws<MailLab.Server.Listeners.ListenerBindException>(other.Bind);
        Assert.Equal(("lab", "DNS"), (ex.Site, ex.Role));
        Assert.Contains("already in use", ex.Reason);
        await other.DisposeAsync();
    }
}
