using System.Net;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

/// <summary>Runs every case of the openspf RFC 7208 suite (and pyspf's own cases) through check_host().</summary>
public sealed class SpfConformanceTests
{
    private const string Rfc7208 = "rfc7208-tests.yml";
    private const string Pyspf = "pyspf-test.yml";

    public static TheoryData<string> Rfc7208Cases() => [.. SpfSuite.Load(Rfc7208).Keys];

    public static TheoryData<string> PyspfCases() => [.. SpfSuite.Load(Pyspf).Keys];

    [Fact]
    public void The_suites_have_all_their_cases()
    {
        Assert.Equal(203, SpfSuite.Load(Rfc7208).Count);
        Assert.Equal(16, SpfSuite.Load(Pyspf).Count);
    }

    [Fact]
    public void Every_listed_exception_names_a_real_case_with_a_reason()
    {
        foreach (var ((file, name), (_, reason)) in SpfSuiteExceptions.Results)
        {
            Assert.Contains(name, SpfSuite.Load(file).Keys);
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
        foreach (var ((file, name), (_, reason)) in SpfSuiteExceptions.Explanations)
        {
            Assert.Contains(name, SpfSuite.Load(file).Keys);
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
    }

    [Theory]
    [MemberData(nameof(Rfc7208Cases))]
    public Task Rfc7208_suite(string name) => RunAsync(SpfSuite.Load(Rfc7208)[name]);

    [Theory]
    [MemberData(nameof(PyspfCases))]
    public Task Pyspf_suite(string name) => RunAsync(SpfSuite.Load(Pyspf)[name]);

    private static async Task RunAsync(SpfSuiteCase c)
    {
        var evaluator = new SpfEvaluator(c.Dns, c.Receiver ?? "receiver.example");
        var result = await evaluator.CheckMailFromAsync(IPAddress.Parse(c.Host), c.MailFrom, c.Helo);
        var trace = string.Join("\n", result.Steps);
        var accepted = SpfSuiteExceptions.Accepted(c.File, c.Name) ?? c.Results;
        Assert.True(accepted.Contains(result.Keyword),
            $"{c.Name}: expected {string.Join("|", accepted)}, got {result.Keyword} ({result.Problem})\n{trace}");
        if (c.Explanation is not null && c.Explanation != "DEFAULT")
            Assert.Equal(SpfSuiteExceptions.Explanation(c.File, c.Name) ?? c.Explanation, result.Explanation);
    }
}
