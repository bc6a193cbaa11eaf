using System.Text;
using MailLab.MailAuth.Dmarc;

namespace MailLab.Tests.Dmarc;

/// <summary>
/// RFC5322.From extraction: the ordinary forms give the domain, every ambiguous form (the receiver-side
/// tricks of "Composition Kills", USENIX Security 2020) is refused with its documented problem.
/// </summary>
public sealed class FromExtractorTests
{
    private static AuthorDomain Extract(string headers) => FromExtractor.Extract(Encoding.UTF8.GetBytes(headers + "\r\nbody From: x@evil.test\r\n"));

    [Theory]
    [InlineData("From: ceo@bank.test\r\n", "bank.test")]
    [InlineData("From: The CEO <ceo@Bank.Test>\r\n", "bank.test")]
    [InlineData("FROM: \"Smith, John\" <ceo@bank.test>\r\n", "bank.test")]
    [InlineData("From: =?UTF-8?B?WWFubg==?= <ceo@bank.test>\r\n", "bank.test")]
    [InlineData("From: ceo@bank.test (The CEO)\r\n", "bank.test")]
    [InlineData("From: \"ceo@evil.test\"@bank.test\r\n", "bank.test")]
    [InlineData("From: The CEO\r\n <ceo@bank.test>\r\n", "bank.test")]
    [InlineData("Subject: x\r\nFrom: ceo@bank.test.\r\n", "bank.test")]
    [InlineData("Subject: x\r\n From: mallory@evil.test\r\nFrom: ceo@bank.test\r\n", "bank.test")]
    [InlineData("X-A: 1\r\n\tcontinued\r\nFrom: ceo@bank.test\r\n\t(the CEO)\r\nTo: b@uc.test\r\n", "bank.test")]
    public void Ordinary_forms_give_the_author_domain(string headers, string domain)
    {
        var a = Extract(headers);
        Assert.Null(a.Problem);
        Assert.Equal(domain, a.Domain);
    }

    [Theory]
    [InlineData("Subject: no from\r\n", FromProblem.Missing)]
    [InlineData("From: ceo@bank.test\r\nFrom: mallory@evil.test\r\n", FromProblem.Multiple)]
    [InlineData("From: ceo@bank.test\r\nfROM: mallory@evil.test\r\n", FromProblem.Multiple)]
    [InlineData("From : ceo@bank.test\r\n", FromProblem.OddFieldName)]
    [InlineData("From\t: ceo@bank.test\r\nFrom: mallory@evil.test\r\n", FromProblem.OddFieldName)]
    [InlineData(" From: ceo@bank.test\r\nTo: bob@bank.test\r\n", FromProblem.OddFieldName)]
    [InlineData("To: bob@bank.test\r\nnot a field\r\nFrom: ceo@bank.test\r\n", FromProblem.HeaderSyntax)]
    [InlineData("From: ceo@bank.test, mallory@evil.test\r\n", FromProblem.SeveralAddresses)]
    [InlineData("From: <ceo@bank.test>, <ceo@bank.test>\r\n", FromProblem.SeveralAddresses)]
    [InlineData("From: <ceo@bank.test><mallory@evil.test>\r\n", FromProblem.SeveralAddresses)]
    [InlineData("From: ceo@bank.test <mallory@evil.test>, \r\n", FromProblem.Syntax)]
    [InlineData("From: Bank: ceo@bank.test;\r\n", FromProblem.Group)]
    [InlineData("From: <>\r\n", FromProblem.NoDomain)]
    [InlineData("From: ceo\r\n", FromProblem.NoDomain)]
    [InlineData("From:\r\n", FromProblem.NoDomain)]
    [InlineData("From: =?utf-8?B?Y2VvQGJhbmsudGVzdA==?=\r\n", FromProblem.EncodedAddress)]
    [InlineData("From: <=?utf-8?Q?ceo?=@bank.test>\r\n", FromProblem.EncodedAddress)]
    [InlineData("From: <@evil.test:ceo@bank.test>\r\n", FromProblem.SourceRoute)]
    [InlineData("From: ceo@[127.0.2.1]\r\n", FromProblem.DomainLiteral)]
    [InlineData("From: ceo@bank.test\u0000.evil.test\r\n", FromProblem.Syntax)]
    [InlineData("From: ceo@bank_test\r\n", FromProblem.BadDomain)]
    [InlineData("From: ceo@bank.test evil.test\r\n", FromProblem.BadDomain)]
    [InlineData("From: ceo@bänk.test\r\n", FromProblem.BadDomain)]
    [InlineData("From: ceo@bank..test\r\n", FromProblem.BadDomain)]
    [InlineData("From: <ceo@bank.test(.evil.test)>\r\n", FromProblem.Syntax)]
    [InlineData("From: ceo(x)@bank.test\r\n", FromProblem.Syntax)]
    [InlineData("From: <ceo@bank.test> mallory@evil.test\r\n", FromProblem.Syntax)]
    [InlineData("From: \"unterminated <ceo@bank.test>\r\n", FromProblem.Syntax)]
    public void Ambiguous_forms_are_refused_with_their_problem(string headers, FromProblem problem)
    {
        var a = Extract(headers);
        Assert.Equal(problem, a.Problem);
        Assert.Null(a.Domain);
        Assert.False(string.IsNullOrEmpty(a.Reason));
        Assert.NotNull(a.ProblemKeyword);
    }

    [Fact]
    public async Task Refused_from_is_permerror_with_disposition_reject_and_no_dns_query()
    {
        var dns = new Spf.FakeSpfResolver();
        var r = await new DmarcEvaluator(new SpfBackedDmarcResolver(dns)).EvaluateAsync(
            Extract("From: ceo@bank.test\r\nFrom: mallory@evil.test\r\n"), new DmarcSpfInput("evil.test", MailAuth.Spf.SpfResultCode.Pass, "mailfrom"), []);
        Assert.Equal(DmarcResultCode.PermError, r.Result);
        Assert.Equal(DmarcPolicy.Reject, r.Disposition);
        Assert.Empty(dns.Queries);
        Assert.Contains("several-from", r.Reason);
    }

    [Fact]
    public void Display_name_spoofing_is_noted_but_the_real_domain_is_checked()
    {
        var a = Extract("From: \"ceo@bank.test\" <mallory@evil.test>\r\n");
        Assert.Equal("evil.test", a.Domain);
        Assert.Contains("shows another address", a.Note);
    }

    [Fact]
    public void Only_the_header_section_counts()
    {
        Assert.Equal("bank.test", Extract("From: ceo@bank.test\r\n").Domain); // the body has another From: line
        Assert.Equal(FromProblem.Missing, FromExtractor.Extract("\r\nFrom: ceo@bank.test\r\n"u8).Problem);
    }
}
