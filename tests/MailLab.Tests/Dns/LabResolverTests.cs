using System.Net;
using System.Net.Sockets;
using MailLab.Server.Dns;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dns;

/// <summary>The mail side's resolver against the real lab DNS.</summary>
public class LabResolverTests
{
    [Fact]
    public async Task Mx_hosts_come_in_preference_order_with_their_addresses()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("two.extra.test");
        Assert.Equal((false, false, false, (string?)null), (r.Implicit, r.NullMx, r.NxDomain, r.TempError));
        Assert.Equal([(10, "primary.extra.test", "127.0.4.2"), (20, "backup.extra.test", "127.0.4.3")],
            r.Hosts.Select(h => ((int)h.Preference, h.Host, h.Addresses.Single().ToString())));
    }

    [Fact]
    public async Task The_default_zones_route_bank_test_to_the_bank_site_and_the_lookups_are_traced()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("BANK.test.");
        var host = Assert.Single(r.Hosts);
        Assert.Equal((10, "mx.bank.test", IPAddress.Parse("127.0.2.1")), ((int)host.Preference, host.Host, host.Addresses.Single()));
        var asked = dns.Events(TraceKind.DnsQuery).Select(e => ((string?)e.Fields["Name"], (string?)e.Fields["Type"])).ToList();
        Assert.Contains(("bank.test", "MX"), asked);
        Assert.Contains(("mx.bank.test", "A"), asked);
    }

    [Fact]
    public async Task No_mx_falls_back_to_the_domains_own_addresses()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("nomx.extra.test");
        Assert.True(r.Implicit);
        var host = Assert.Single(r.Hosts);
        Assert.Equal((0, "nomx.extra.test"), ((int)host.Preference, host.Host));
        Assert.Equal([IPAddress.Parse("127.0.4.1"), IPAddress.IPv6Loopback], host.Addresses);
    }

    [Fact]
    public async Task Null_mx_means_no_mail()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("nullmx.extra.test");
        Assert.True(r.NullMx);
        Assert.Empty(r.Hosts);
    }

    [Fact]
    public async Task A_missing_domain_is_nxdomain_not_an_error()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("nowhere.bank.test");
        Assert.Equal((true, false, (string?)null), (r.NxDomain, r.IsTempError, r.TempError));
        Assert.Empty(r.Hosts);
    }

    [Fact]
    public async Task An_mx_pointing_at_a_cname_gets_the_address_through_it()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("viacname.extra.test");
        Assert.Equal("127.0.4.2", Assert.Single(Assert.Single(r.Hosts).Addresses).ToString());
    }

    [Fact]
    public async Task A_domain_outside_the_lab_does_not_exist_for_lab_mail()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync("example.com");
        Assert.False(r.IsTempError);
        Assert.True(r.NxDomain);
        Assert.True(r.Refused);
        Assert.False((await new LabResolver(dns.EndPoint).ResolveMxAsync("nowhere.bank.test")).Refused);
        Assert.Empty(r.Hosts);
    }

    [Fact]
    public async Task A_name_that_cannot_be_asked_is_an_error_value_not_an_exception()
    {
        await using var dns = DnsTestServer.Start();
        var r = await new LabResolver(dns.EndPoint).ResolveMxAsync(new string('a', 70) + ".test");
        Assert.True(r.IsTempError);
        Assert.Contains("not a name that can be asked", r.TempError);
        // The SPF adapter does not even ask: such a name has no records (a void lookup).
        var spf = await new LabSpfResolver(new LabResolver(dns.EndPoint)).LookupTxtAsync("mail.example...com", default);
        Assert.Equal(MailLab.MailAuth.Spf.DnsAnswerKind.Void, spf.Kind);
    }

    [Fact]
    public async Task No_server_is_a_temporary_error_not_an_exception()
    {
        // A port that was free a moment ago: nothing answers there.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dead = (IPEndPoint)probe.LocalEndPoint!;
        probe.Dispose();
        var resolver = new LabResolver(dead, TimeSpan.FromMilliseconds(300));
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.True(mx.IsTempError);
        Assert.Contains("no answer from the lab DNS", mx.TempError);
        Assert.True((await resolver.TxtAsync("bank.test")).IsTempError);
    }

    [Fact]
    public async Task A_refused_name_is_asked_once_then_kept_until_the_zones_change()
    {
        // The DMARC tree walk asks for _dmarc.<TLD> with every message; no lab zone holds it.
        await using var dns = DnsTestServer.Start();
        object zones = new();
        var resolver = new LabResolver(dns.EndPoint, generation: () => zones);
        int Asked() => dns.Events(TraceKind.DnsQuery).Count(e => (string?)e.Fields["Name"] == "_dmarc.example");
        for (int i = 0; i < 3; i++) Assert.True((await resolver.TxtAsync("_dmarc.example")).NxDomain);
        Assert.Equal(1, Asked());
        zones = new(); // a reload: a zone for it may exist now
        Assert.True((await resolver.TxtAsync("_dmarc.example")).NxDomain);
        Assert.Equal(2, Asked());
    }

    [Fact]
    public async Task Txt_and_addresses()
    {
        await using var dns = DnsTestServer.Start();
        var resolver = new LabResolver(dns.EndPoint);
        Assert.Equal(["v=spf1 +all"], (await resolver.TxtAsync("evil.test")).Values);
        Assert.Equal(["v=DMARC1; p=none; rua=mailto:postmaster@evil.test"], (await resolver.TxtAsync("_dmarc.evil.test")).Values);
        var none = await resolver.TxtAsync("nothing.evil.test");
        Assert.True(none.NxDomain);
        Assert.Empty(none.Values);
        Assert.Equal([IPAddress.Parse("127.0.1.1")], (await resolver.AddressesAsync("mail.uc.test")).Values);
    }
}
