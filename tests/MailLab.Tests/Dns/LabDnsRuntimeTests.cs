using System.Net;
using System.Text.Json;
using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dns;

/// <summary>The DNS inside a running lab: listeners.json, the zone copy in the data directory, the CLI.</summary>
public class LabDnsRuntimeTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "maillab.dll");

    [Fact]
    public async Task The_lab_starts_its_dns_copies_the_zones_and_lists_it_in_listeners_json()
    {
        await using var lab = TestLab.Create().Start();
        var dns = JsonSerializer.Deserialize<List<ListenerInfo>>(File.ReadAllText(lab.Runtime!.ListenersFile))!.Single(l => l.Role == "DNS");
        Assert.Equal(("lab", "127.0.9.1", "none"), (dns.Site, dns.Address, dns.Tls));
        Assert.Equal(lab.Runtime.Dns!.EndPoint.Port, dns.Port);
        string zones = Path.Combine(lab.DataDirectory, "zones");
        Assert.Equal(["127.in-addr.arpa.zone", "bank.test.zone", "evil.test.zone", "uc.test.zone"],
            Directory.GetFiles(zones).Select(Path.GetFileName).Order());
        var mx = await new LabResolver(lab.Runtime.Dns!.EndPoint).ResolveMxAsync("uc.test");
        Assert.Equal(IPAddress.Parse("127.0.1.1"), mx.Hosts.Single().Addresses.Single());
        var loaded = lab.Events(TraceKind.ZoneLoaded).Select(e => (e.Site, (string?)e.Fields["Zone"])).ToList();
        Assert.Contains(("uc", "uc.test"), loaded);
        Assert.Contains(("lab", "127.in-addr.arpa"), loaded);
    }

    [Fact]
    public async Task A_later_start_keeps_the_students_edited_zone_copy()
    {
        var lab = TestLab.Create();
        await using (var first = lab.Start()) { }
        string file = Path.Combine(lab.DataDirectory, "zones", "evil.test.zone");
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"v=spf1 +all\"", "\"v=spf1 ip4:127.0.3.1 -all\""));
        await using var again = TestLab.Create();
        var runtime = MailLab.Server.LabRuntime.Start(lab.Definition, lab.DataDirectory, again.Tracer);
        try
        {
            var txt = await new LabResolver(runtime.Dns!.EndPoint).TxtAsync("evil.test");
            Assert.Equal(["v=spf1 ip4:127.0.3.1 -all"], txt.Values);
        }
        finally
        {
            await runtime.DisposeAsync();
        }
    }

    [Fact]
    public void A_lab_file_with_its_own_zones_directory_is_copied_from_there()
    {
        string dir = TempDir.New("labzones");
        Directory.CreateDirectory(Path.Combine(dir, "myzones"));
        File.WriteAllText(Path.Combine(dir, "myzones", "only.test.zone"), "$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n");
        string labFile = Path.Combine(dir, "lab.yml");
        File.WriteAllText(labFile, TestLab.LabYaml().Replace("dns: { port: 0 }", "dns: { port: 0, zones: myzones }"));
        var lab = LabDefinitionLoader.Load(labFile);
        string data = TempDir.New("labzones-data");
        string zones = LabZones.Prepare(lab, data);
        Assert.Equal(["only.test.zone"], Directory.GetFiles(zones).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("dns: { address: 127.0.9.x }", "dns.address", "is not an IP address")]
    [InlineData("dns: { port: 70000 }", "dns.port", "out of range")]
    [InlineData("dns: { port: 53, adress: 1.2.3.4 }", "dns.adress", "did you mean 'address'")]
    [InlineData("dns: { address: 127.0.2.1, port: 2525 }", "dns.port", "is already used at sites[1].ports.mta")]
    [InlineData("dns: { port: 0, rate-limit: -1 }", "dns.rate-limit", "must be 0 (off) or a number of responses per second")]
    [InlineData("dns: { port: 0, rate-limit: lots }", "dns.rate-limit", "")]
    public void Dns_section_errors_name_the_field(string dnsLine, string field, string problem)
    {
        string yaml = TestLab.LabYaml().Replace("dns: { port: 0 }", dnsLine).Replace("ports: { mta: 0,", "ports: { mta: 2525,");
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(yaml, "lab.yml"));
        var error = Assert.Single(e.Errors, x => x.Field == field);
        Assert.Contains(problem, error.Problem);
        Assert.True(error.Line > 0 && error.Column > 0);
    }

    [Fact]
    public void The_default_lab_documents_the_dns_defaults()
    {
        var lab = LabDefinitionLoader.LoadDefault();
        Assert.Equal(("127.0.9.1", 1053, "zones"), (lab.Dns.Address, lab.Dns.Port, lab.Dns.Zones));
        Assert.Equal((LabDns.DefaultAddress, LabDns.DefaultPort), (new LabDns().Address, new LabDns().Port));
        Assert.Equal((100, LabDns.DefaultRateLimit), (lab.Dns.RateLimit, new LabDns().RateLimit));
        Assert.Equal(0, LabDefinitionLoader.Parse(TestLab.LabYaml().Replace("dns: { port: 0 }", "dns: { port: 0, rate-limit: 0 }"), "lab.yml").Dns.RateLimit);
        // The shipped zones sit next to the default lab file, so 'maillab up' copies those.
        Assert.NotNull(LabZones.SourceDirectory(lab));
    }

    [Fact]
    public async Task Maillab_dns_lists_zones_and_listener_and_query_prints_like_dig()
    {
        await using var lab = TestLab.Create().Start();
        var ep = lab.Runtime!.Dns!.EndPoint;
        var list = await ExternalTool.Run("dotnet", [Dll, "dns", "--data", lab.DataDirectory]);
        Assert.True(list.Code == 0, list.Err);
        Assert.Contains($"DNS listener: {ep.Address}:{ep.Port}", list.Out);
        Assert.Matches(@"bank\.test\.\s+bank\.test\.zone\s+\d+\s+2025010101", list.Out);

        var mx = await ExternalTool.Run("dotnet", [Dll, "dns", "query", "bank.test", "MX", "--data", lab.DataDirectory]);
        Assert.True(mx.Code == 0, mx.Err);
        Assert.Contains("status: NOERROR", mx.Out);
        Assert.Contains("flags: qr aa;", mx.Out);
        Assert.Matches(@"ANSWER SECTION:\s+bank\.test\.\s+3600\s+IN\s+MX\s+10 mx\.bank\.test\.", mx.Out);

        var nx = await ExternalTool.Run("dotnet", [Dll, "dns", "query", "ghost.bank.test", "A", "--server", $"{ep.Address}:{ep.Port}", "--tcp"]);
        Assert.Contains("status: NXDOMAIN", nx.Out);
        Assert.Matches(@"AUTHORITY SECTION:\s+bank\.test\.\s+300\s+IN\s+SOA", nx.Out);

        var ptr = await ExternalTool.Run("dotnet", [Dll, "dns", "query", "127.0.3.1", "PTR", "--data", lab.DataDirectory]);
        Assert.Matches(@"1\.3\.0\.127\.in-addr\.arpa\.\s+3600\s+IN\s+PTR\s+mx\.evil\.test\.", ptr.Out);

        Assert.Contains(lab.Events(TraceKind.DnsQuery), e => (string?)e.Fields["Name"] == "ghost.bank.test" && (string?)e.Fields["Transport"] == "tcp");

        // --source asks from a given address, like dig -b; the answer to ANY is RFC 8482's HINFO.
        var from = await ExternalTool.Run("dotnet", [Dll, "dns", "query", "bank.test", "ANY", "--data", lab.DataDirectory, "--source", "127.0.0.43"]);
        Assert.True(from.Code == 0, from.Err);
        Assert.Matches(@"bank\.test\.\s+3600\s+IN\s+HINFO\s+""RFC8482"" """"", from.Out);
        Assert.Contains($";; SERVER: {ep.Address}#{ep.Port} (UDP) from 127.0.0.43", from.Out);
        var asked = Assert.Single(lab.Events(TraceKind.DnsQuery), e => e.Field("Type") == "ANY");
        Assert.Equal(("127.0.0.43", (string?)null), (asked.Field("Client"), asked.Origin));
        var bad = await ExternalTool.Run("dotnet", [Dll, "dns", "query", "bank.test", "MX", "--data", lab.DataDirectory, "--source", "nowhere"]);
        Assert.Equal(2, bad.Code);
        Assert.Contains("not an IP address", bad.Err);
    }

    [Fact]
    public async Task Maillab_dns_query_without_a_running_lab_says_so()
    {
        var r = await ExternalTool.Run("dotnet", [Dll, "dns", "query", "bank.test", "MX", "--data", TempDir.New("nolab")]);
        Assert.Equal(1, r.Code);
        Assert.Contains("the lab is not running", r.Err);
    }
}
