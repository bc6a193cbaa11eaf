using System.Net;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

public sealed class SpfEvaluatorTests
{
    private static readonly IPAddress Client = IPAddress.Parse("127.0.3.1");

    private static Task<SpfResult> Check(FakeSpfResolver dns, string ip = "127.0.3.1", string domain = "example.com") =>
        new SpfEvaluator(dns, "mx.receiver.test").CheckHostAsync(IPAddress.Parse(ip), domain, "alice@" + domain, "client.example.com");

    [Fact]
    public async Task A_simple_fail_explains_each_term()
    {
        var dns = new FakeSpfResolver().Record("example.com", "v=spf1 ip4:127.0.2.1 -all");
        var r = await Check(dns);

        Assert.Equal(SpfResultCode.Fail, r.Result);
        Assert.Equal("-all", r.DecidingTerm);
        Assert.Equal("example.com", r.Domain);
        Assert.Null(r.Explanation);
        Assert.Null(r.Problem);
        Assert.Collection(r.Steps,
            s => { Assert.Equal("(record lookup)", s.Term); Assert.Equal("TXT example.com", s.Query); Assert.Equal("v=spf1 ip4:127.0.2.1 -all", s.Answer); },
            s => { Assert.Equal("ip4:127.0.2.1", s.Term); Assert.False(s.Matched); Assert.Equal(0, s.Lookups); },
            s => { Assert.Equal("-all", s.Term); Assert.True(s.Matched); Assert.Equal(0, s.Lookups); });
    }

    [Theory]
    [InlineData("v=spf1 ip4:127.0.2.1 ip4:127.0.3.0/24 -all", "127.0.3.1", SpfResultCode.Pass, "ip4:127.0.3.0/24")]
    [InlineData("v=spf1 ~ip4:127.0.0.0/8", "127.9.9.9", SpfResultCode.SoftFail, "~ip4:127.0.0.0/8")]
    [InlineData("v=spf1 ?ip6:2001:db8::/32 -all", "2001:db8:1::5", SpfResultCode.Neutral, "?ip6:2001:db8::/32")]
    [InlineData("v=spf1 ip6:2001:db8::/32 -all", "2001:db9::5", SpfResultCode.Fail, "-all")]
    [InlineData("v=spf1 ip4:127.0.3.1", "::ffff:127.0.3.1", SpfResultCode.Pass, "ip4:127.0.3.1")]
    [InlineData("v=spf1 ip4:10.0.0.0/8", "127.0.3.1", SpfResultCode.Neutral, "default")]
    public async Task Qualifiers_and_networks_decide_the_result(string record, string ip, SpfResultCode expected, string term)
    {
        var r = await Check(new FakeSpfResolver().Record("example.com", record), ip);
        Assert.Equal(expected, r.Result);
        Assert.Equal(term, r.DecidingTerm);
    }

    [Fact]
    public async Task A_and_mx_use_the_cidr_lengths()
    {
        var dns = new FakeSpfResolver()
            .Record("example.com", "v=spf1 a:web.example.com/24 mx/16 -all")
            .Address("web.example.com", "127.0.9.1")
            .Address("mail.example.com", "127.0.200.200");
        dns.Mx["example.com"] = [new MxRecord(10, "mail.example.com")];
        var r = await Check(dns);
        Assert.Equal(SpfResultCode.Pass, r.Result);
        Assert.Equal("mx/16", r.DecidingTerm);
        Assert.Equal(2, r.Steps[^1].Lookups);
    }

    [Fact]
    public async Task Include_passes_only_on_pass_and_redirect_takes_over()
    {
        var dns = new FakeSpfResolver()
            .Record("example.com", "v=spf1 include:other.example.net redirect=_spf.example.com")
            .Record("other.example.net", "v=spf1 -all")
            .Record("_spf.example.com", "v=spf1 ip4:127.0.3.1 -all");
        var r = await Check(dns);
        Assert.Equal(SpfResultCode.Pass, r.Result);
        Assert.Equal("_spf.example.com", r.Domain);
        Assert.Equal(2, r.Steps[^1].Lookups);
        Assert.Contains(r.Steps, s => s.Term == "include:other.example.net" && s.Matched == false);
    }

    [Fact]
    public async Task Exp_explains_a_fail_with_macros_but_not_a_softfail()
    {
        var dns = new FakeSpfResolver()
            .Record("example.com", "v=spf1 -ip4:127.0.3.1 ~all exp=why.%{d}")
            .Record("why.example.com", "%{c} may not send for %{d} (ask %{r})");
        var r = await Check(dns);
        Assert.Equal(SpfResultCode.Fail, r.Result);
        Assert.Equal("127.0.3.1 may not send for example.com (ask mx.receiver.test)", r.Explanation);

        var soft = await Check(dns, "127.0.3.2");
        Assert.Equal(SpfResultCode.SoftFail, soft.Result);
        Assert.Null(soft.Explanation);
    }

    [Fact]
    public async Task More_than_ten_dns_terms_is_a_permerror()
    {
        var dns = new FakeSpfResolver();
        for (var i = 0; i < 11; i++) dns.Record($"d{i}.example.com", $"v=spf1 include:d{i + 1}.example.com");
        dns.Record("d11.example.com", "v=spf1 +all");
        var r = await Check(dns, domain: "d0.example.com");
        Assert.Equal(SpfResultCode.PermError, r.Result);
        Assert.Contains("Too many DNS lookups", r.Problem);
        Assert.Equal(SpfLimits.DnsTerms + 1, r.Steps[^1].Lookups);
        Assert.DoesNotContain("TXT d11.example.com", dns.Queries);
    }

    [Fact]
    public async Task A_third_void_lookup_is_a_permerror()
    {
        var dns = new FakeSpfResolver().Record("example.com", "v=spf1 a:n1.example.com a:n2.example.com exists:n3.example.com +all");
        var r = await Check(dns);
        Assert.Equal(SpfResultCode.PermError, r.Result);
        Assert.Equal("exists:n3.example.com", r.DecidingTerm);
        Assert.Equal(3, r.Steps[^1].VoidLookups);

        var two = await Check(new FakeSpfResolver().Record("example.com", "v=spf1 a:n1.example.com a:n2.example.com +all"));
        Assert.Equal(SpfResultCode.Pass, two.Result);
    }

    [Fact]
    public async Task More_than_ten_mx_names_is_a_permerror()
    {
        var dns = new FakeSpfResolver().Record("example.com", "v=spf1 mx +all");
        dns.Mx["example.com"] = Enumerable.Range(1, 11).Select(i => new MxRecord(i, $"mx{i}.example.com")).ToList();
        var r = await Check(dns);
        Assert.Equal(SpfResultCode.PermError, r.Result);
        Assert.Equal("mx", r.DecidingTerm);
    }

    [Fact]
    public async Task Ptr_matches_only_a_validated_name()
    {
        var dns = new FakeSpfResolver()
            .Record("example.com", "v=spf1 ptr -all")
            .Address("host.example.com", "127.0.3.1")
            .Address("fake.example.com", "127.0.3.99");
        dns.Ptr[Client] = ["fake.example.com", "host.example.com"];
        dns.Ptr[IPAddress.Parse("127.0.3.99")] = ["other.example.org"];
        Assert.Equal(SpfResultCode.Pass, (await Check(dns)).Result);
        Assert.Equal(SpfResultCode.Fail, (await Check(dns, "127.0.3.99")).Result);
    }

    [Theory]
    [InlineData("example.com", SpfResultCode.TempError)]
    [InlineData("inc.example.net", SpfResultCode.TempError)]
    public async Task Dns_errors_are_temperrors_with_a_problem(string failing, SpfResultCode expected)
    {
        var dns = new FakeSpfResolver().Record("example.com", "v=spf1 include:inc.example.net -all");
        dns.Failing.Add(failing);
        var r = await Check(dns);
        Assert.Equal(expected, r.Result);
        Assert.Contains("SERVFAIL", r.Problem);
    }

    [Theory]
    [InlineData(new[] { "v=spf1 -all", "v=spf1 +all" }, SpfResultCode.PermError)]
    [InlineData(new[] { "google-site-verification=x", "v=spf10 +all" }, SpfResultCode.None)]
    [InlineData(new[] { "v=spf1 -all", "other text" }, SpfResultCode.Fail)]
    [InlineData(new[] { "v=spf1 a:" }, SpfResultCode.PermError)]
    [InlineData(new[] { "v=spf1 +all bogus" }, SpfResultCode.PermError)]
    public async Task Record_selection_follows_section_4_5(string[] records, SpfResultCode expected)
    {
        var dns = new FakeSpfResolver();
        foreach (var t in records) dns.Record("example.com", t);
        Assert.Equal(expected, (await Check(dns)).Result);
    }

    [Fact]
    public async Task Helo_identity_and_null_sender_use_postmaster()
    {
        var dns = new FakeSpfResolver().Record("client.example.com", "v=spf1 -all");
        var evaluator = new SpfEvaluator(dns, "mx.receiver.test");
        Assert.Equal(("client.example.com", "postmaster@client.example.com"), SpfEvaluator.MailFromIdentity("", "client.example.com"));

        var helo = await evaluator.CheckHeloAsync(Client, "client.example.com");
        Assert.Equal(SpfResultCode.Fail, helo.Result);
        Assert.Equal("helo", helo.Identity);
        Assert.Equal("postmaster@client.example.com", helo.Sender);

        var nullSender = await evaluator.CheckMailFromAsync(Client, "", "client.example.com");
        Assert.Equal("client.example.com", nullSender.Domain);
        Assert.Equal(SpfResultCode.None, (await evaluator.CheckHeloAsync(Client, "[127.0.3.1]")).Result);
    }

    [Fact]
    public async Task Renders_the_received_spf_header_value()
    {
        var dns = new FakeSpfResolver().Record("example.com", "v=spf1 ip4:127.0.3.0/24 -all");
        var pass = await Check(dns);
        Assert.Equal(
            "pass (mx.receiver.test: domain of alice@example.com designates 127.0.3.1 as permitted sender) " +
            "client-ip=127.0.3.1; envelope-from=\"alice@example.com\"; helo=client.example.com; " +
            "receiver=mx.receiver.test; identity=mailfrom; mechanism=\"ip4:127.0.3.0/24\"",
            pass.ToReceivedSpfValue());

        var perm = await Check(new FakeSpfResolver().Record("example.com", "v=spf1 ip4:1.2.3"));
        var header = perm.ToReceivedSpfValue();
        Assert.StartsWith("permerror (mx.receiver.test: permanent error in processing domain of example.com: ", header);
        Assert.Contains("problem=\"", header);
        Assert.DoesNotContain("mechanism=", header);
    }
}
