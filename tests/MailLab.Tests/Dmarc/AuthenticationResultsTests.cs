using System.Net;
using MailLab.MailAuth.AuthResults;
using MailLab.MailAuth.Dmarc;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Dmarc;

/// <summary>Authentication-Results (RFC 8601): one field from SPF, DKIM and DMARC values; crafted values cannot add clauses.</summary>
public sealed class AuthenticationResultsTests
{
    private static SpfResult Spf(SpfResultCode code, string domain, string sender, string identity = "mailfrom", string helo = "mx.evil.test") =>
        new(code, domain, null, [], null, null) { ClientIp = IPAddress.Parse("127.0.3.1"), Sender = sender, Helo = helo, Identity = identity };

    private static DmarcResult Dmarc(string from, DmarcResultCode code) => new()
    {
        Result = code, Author = DmarcEvaluatorTests.From(from), Mode = DmarcMode.Rfc9989, Policy = DmarcPolicy.Reject,
        PolicyTag = "p", Disposition = DmarcPolicy.Reject, Reason = "test",
    };

    [Fact]
    public void Renders_spf_dkim_and_dmarc_in_one_field()
    {
        var value = AuthenticationResults.Render("mx.bank.test", Spf(SpfResultCode.Fail, "bank.test", "ceo@bank.test"), "ceo@bank.test",
            [new DmarcDkimInput("uc.test", DkimOutcome.Pass, "lab")], Dmarc("ceo@bank.test", DmarcResultCode.Fail));
        Assert.Equal("mx.bank.test;\r\n\tspf=fail smtp.mailfrom=ceo@bank.test;\r\n\tdkim=pass header.d=uc.test header.s=lab;\r\n\t" +
            "dmarc=fail (p=reject dis=reject RFC 9989) header.from=bank.test", value);
    }

    [Fact]
    public void Null_sender_uses_smtp_helo_and_no_signature_is_dkim_none()
    {
        var value = AuthenticationResults.Render("mx.bank.test", Spf(SpfResultCode.Pass, "mx.uc.test", "postmaster@mx.uc.test", "helo", "mx.uc.test"), "", [], null);
        Assert.Equal("mx.bank.test;\r\n\tspf=pass smtp.helo=mx.uc.test;\r\n\tdkim=none", value);
    }

    [Theory]
    [InlineData("x@evil.test; dmarc=pass", "\"x@evil.test; dmarc=pass\"")]
    [InlineData("a\"b@evil.test", "\"a\\\"b@evil.test\"")]
    [InlineData("x@evil.test\r\nAuthentication-Results: mx.bank.test; dmarc=pass", "\"x@evil.testAuthentication-Results: mx.bank.test; dmarc=pass\"")]
    [InlineData("x(y)@evil.test", "\"x(y)@evil.test\"")]
    [InlineData("ceo@bank.test", "ceo@bank.test")]
    public void Crafted_values_are_quoted_so_they_add_no_clause(string mailFrom, string rendered)
    {
        var value = AuthenticationResults.Render("mx.bank.test", Spf(SpfResultCode.Pass, "evil.test", mailFrom), mailFrom, [], null);
        Assert.Contains("smtp.mailfrom=" + rendered + ";", value);
        // Outside quoted strings there are two ';' (after the authserv-id and after spf): nothing injected.
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Replace(value, "\"(\\\\.|[^\"\\\\])*\"", "").Count(c => c == ';'));
        Assert.DoesNotContain("\r\nAuthentication", value);
    }

    [Fact]
    public void Comments_and_reasons_are_escaped()
    {
        Assert.Equal("(a\\) b=c; \\(d\\\\)", AuthenticationResults.Comment("a) b=c; (d\\"));
        var r = Dmarc("ceo@bank.test, mallory@evil.test", DmarcResultCode.PermError) with { Policy = null };
        var value = AuthenticationResults.Render("mx.bank.test", null, "", [], r);
        Assert.EndsWith("dmarc=permerror reason=\"several-addresses: From holds 2 addresses (RFC 7489 §6.6.1)\"", value);
    }

    [Theory]
    [InlineData(" mx.bank.test; spf=pass", "mx.bank.test")]
    [InlineData("(comment) mx.bank.test 1; dkim=pass", "mx.bank.test")]
    [InlineData("\"mx.bank.test\"; none", "mx.bank.test")]
    [InlineData("mx.bank.test;spf=pass", "mx.bank.test")]
    [InlineData(" ; none", null)]
    public void Authserv_id_of_an_incoming_field(string value, string? id) => Assert.Equal(id, AuthenticationResults.AuthservId(value));
}
