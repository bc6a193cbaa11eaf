using System.Net;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

public sealed class SpfRecordTests
{
    private static SpfMechanism Single(string term)
    {
        var (record, error) = SpfRecord.Parse("v=spf1 " + term);
        Assert.Null(error);
        return Assert.IsType<SpfMechanism>(Assert.Single(record!.Terms));
    }

    [Theory]
    [InlineData("a", SpfMechanismKind.A, null, null, null)]
    [InlineData("a/24", SpfMechanismKind.A, null, 24, null)]
    [InlineData("a//64", SpfMechanismKind.A, null, null, 64)]
    [InlineData("a/24//64", SpfMechanismKind.A, null, 24, 64)]
    [InlineData("a:example.com/0//0", SpfMechanismKind.A, "example.com", 0, 0)]
    [InlineData("mx:mail.example.com//128", SpfMechanismKind.Mx, "mail.example.com", null, 128)]
    [InlineData("mx:%{d}/30", SpfMechanismKind.Mx, "%{d}", 30, null)]
    public void Parses_dual_cidr_lengths(string term, SpfMechanismKind kind, string? spec, int? c4, int? c6)
    {
        var m = Single(term);
        Assert.Equal(kind, m.Kind);
        Assert.Equal(spec, m.DomainSpec);
        Assert.Equal(c4, m.Cidr4);
        Assert.Equal(c6, m.Cidr6);
    }

    [Theory]
    [InlineData("ip4:192.0.2.0/24", "192.0.2.0", 24)]
    [InlineData("ip4:192.0.2.1", "192.0.2.1", 32)]
    [InlineData("-ip4:0.0.0.0/0", "0.0.0.0", 0)]
    public void Parses_ip4_networks(string term, string network, int length)
    {
        var m = Single(term);
        Assert.Equal(IPAddress.Parse(network), m.Network);
        Assert.Equal(length, m.Cidr4);
    }

    [Theory]
    [InlineData("ip6:2001:db8::/32", "2001:db8::", 32)]
    [InlineData("ip6:::1", "::1", 128)]
    public void Parses_ip6_networks(string term, string network, int length)
    {
        var m = Single(term);
        Assert.Equal(IPAddress.Parse(network), m.Network);
        Assert.Equal(length, m.Cidr6);
    }

    [Theory]
    [InlineData("a/33")]
    [InlineData("a//129")]
    [InlineData("a/024")]
    [InlineData("a/")]
    [InlineData("a:example.com/abc")]
    [InlineData("ip4:192.0.2.1/33")]
    [InlineData("ip4:192.0.2.1/024")]
    [InlineData("ip4:192.0.2")]
    [InlineData("ip4:192.0.2.01")]
    [InlineData("ip6:192.0.2.1")]
    [InlineData("ip6:2001:db8::/129")]
    [InlineData("all:example.com")]
    [InlineData("include")]
    [InlineData("a:museum")]
    [InlineData("a:example.123")]
    [InlineData("foo:example.com")]
    [InlineData("redirect=a.example.com redirect=b.example.com")]
    [InlineData("exp=")]
    [InlineData("x-bad=%{z}")]
    public void Rejects_bad_terms(string terms)
    {
        var (record, error) = SpfRecord.Parse("v=spf1 " + terms);
        Assert.Null(record);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Keeps_unknown_modifiers_and_reads_redirect_and_exp()
    {
        var (record, error) = SpfRecord.Parse("v=spf1  ~all x-note=hello redirect=_spf.example.com exp=why.%{d} ");
        Assert.Null(error);
        Assert.Equal(4, record!.Terms.Count);
        Assert.Equal("_spf.example.com", record.Redirect!.Value);
        Assert.Equal("why.%{d}", record.Exp!.Value);
        Assert.Equal('~', Assert.IsType<SpfMechanism>(record.Terms[0]).Qualifier);
    }

    [Theory]
    [InlineData("v=spf1", true)]
    [InlineData("V=SPF1 -all", true)]
    [InlineData("v=spf10 -all", false)]
    [InlineData("v=spf1-all", false)]
    [InlineData("spf1 -all", false)]
    public void Recognises_spf_records(string text, bool expected) => Assert.Equal(expected, SpfRecord.IsSpfRecord(text));
}
