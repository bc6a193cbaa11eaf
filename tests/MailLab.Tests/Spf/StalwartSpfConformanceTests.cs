using System.Net;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

/// <summary>Runs every check of Stalwart mail-auth's SPF suite through check_host(), HELO then MAIL FROM as its driver does.</summary>
public sealed class StalwartSpfConformanceTests
{
    public static TheoryData<string> Cases() => [.. StalwartSpfSuite.Cases.Keys];

    [Fact]
    public void The_suite_has_all_its_groups_and_checks()
    {
        var cases = StalwartSpfSuite.Cases.Values;
        Assert.Equal(12, cases.Select(c => c.File).Distinct().Count());
        Assert.Equal(37, cases.Select(c => (c.File, c.Group)).Distinct().Count());
        Assert.Equal(163, cases.Count());
        Assert.Equal(81, cases.Count(c => c.Result == "pass"));
        Assert.Equal(58, cases.Count(c => c.Result == "fail"));
    }

    [Fact]
    public void Every_listed_exception_names_a_real_case_with_a_reason()
    {
        foreach (var (id, (result, reason)) in StalwartSpfExceptions.Results)
        {
            Assert.True(StalwartSpfSuite.Cases.ContainsKey(id), id);
            Assert.NotEqual(StalwartSpfSuite.Cases[id].Result, result);
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Stalwart_suite(string id)
    {
        var c = StalwartSpfSuite.Cases[id];
        var evaluator = new SpfEvaluator(c.Zone.Resolver(), "localdomain.org");
        var ip = IPAddress.Parse(c.Ip);
        // Stalwart's driver checks HELO first (RFC 7208 §2.3) and checks MAIL FROM only when HELO passes.
        var result = await evaluator.CheckHeloAsync(ip, c.Helo);
        if (result.Result == SpfResultCode.Pass) result = await evaluator.CheckMailFromAsync(ip, c.MailFrom, c.Helo);
        var expected = StalwartSpfExceptions.Results.TryGetValue(id, out var e) ? e.Result : c.Result;
        Assert.True(expected == result.Keyword,
            $"{id}: expected {expected}, got {result.Keyword} ({result.Problem})\n{string.Join("\n", result.Steps)}");
        if (c.Explanation is not null) Assert.Equal(c.Explanation, result.Explanation);
    }
}
