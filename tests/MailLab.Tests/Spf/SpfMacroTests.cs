using System.Net;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

public sealed class SpfMacroTests
{
    private static SpfMacroContext Ctx(string ip = "192.0.2.3") => new()
    {
        Ip = IPAddress.Parse(ip),
        Sender = "strong-bad@email.example.com",
        Domain = "email.example.com",
        Helo = "mx.example.org",
        Receiver = "mybox.example.org",
        Now = DateTimeOffset.FromUnixTimeSeconds(1700000000),
    };

    // RFC 7208 §7.4 examples, plus the escapes and letters of §7.2/§7.3.
    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%{h}", "mx.example.org")]
    [InlineData("%{p}", "unknown")]
    [InlineData("a%%b%_c%-d", "a%b c%20d")]
    [InlineData("%{S}", "strong-bad%40email.example.com")]
    public async Task Expands_domain_spec_macros(string macro, string expected)
    {
        Assert.Null(SpfMacro.Validate(macro, explain: false));
        var (value, error) = await SpfMacro.ExpandAsync(macro, Ctx(), explain: false);
        Assert.Null(error);
        Assert.Equal(expected, value);
    }

    [Fact]
    public async Task Expands_ipv6_as_nibbles()
    {
        var (value, _) = await SpfMacro.ExpandAsync("%{ir}.%{v}._spf.%{d2}", Ctx("2001:db8::cb01"), explain: false);
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", value);
    }

    [Theory]
    [InlineData("%{c}", "192.0.2.3")]
    [InlineData("%{r}", "mybox.example.org")]
    [InlineData("%{t}", "1700000000")]
    [InlineData("%{c} is not one of %{d}'s designated mail servers.", "192.0.2.3 is not one of email.example.com's designated mail servers.")]
    public async Task Expands_explanation_only_macros(string macro, string expected)
    {
        var (value, error) = await SpfMacro.ExpandAsync(macro, Ctx(), explain: true);
        Assert.Null(error);
        Assert.Equal(expected, value);
        // c, r, t are only allowed in explanation strings (RFC 7208 §7.1).
        Assert.NotNull(SpfMacro.Validate(macro.Split(' ')[0], explain: false));
    }

    [Fact]
    public async Task Empty_local_part_becomes_postmaster()
    {
        var ctx = new SpfMacroContext { Ip = IPAddress.Loopback, Sender = "@example.net", Domain = "example.net", Helo = "h.example.net" };
        Assert.Equal("postmaster@example.net", (await SpfMacro.ExpandAsync("%{s}", ctx, false)).Value);
    }

    [Theory]
    [InlineData("%{d0}")]
    [InlineData("%{x}")]
    [InlineData("%{d")]
    [InlineData("%a")]
    [InlineData("abc%")]
    [InlineData("%{d2r!}")]
    [InlineData("a b")]
    public async Task Rejects_bad_macro_syntax(string macro)
    {
        Assert.NotNull(SpfMacro.Validate(macro, explain: false));
        var (value, error) = await SpfMacro.ExpandAsync(macro, Ctx(), explain: false);
        Assert.Null(value);
        Assert.NotNull(error);
    }
}
