using System.Net;
using System.Text.RegularExpressions;
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

    /// <summary>Checks one case over <paramref name="dns"/> (the in-memory zonedata when null).</summary>
    internal static async Task RunAsync(SpfSuiteCase c, ISpfResolver? dns = null)
    {
        var evaluator = new SpfEvaluator(dns ?? c.Dns, c.Receiver ?? "receiver.example");
        var result = await evaluator.CheckMailFromAsync(IPAddress.Parse(c.Host), c.MailFrom, c.Helo);
        var trace = string.Join("\n", result.Steps);
        var accepted = SpfSuiteExceptions.Accepted(c.File, c.Name) ?? c.Results;
        Assert.True(accepted.Contains(result.Keyword),
            $"{c.Name}: expected {string.Join("|", accepted)}, got {result.Keyword} ({result.Problem})\n{trace}");
        if (c.Header is not null) AssertHeaderAgrees(c.Header, result.ToReceivedSpfValue());
        if (c.Explanation is not null && c.Explanation != "DEFAULT")
            Assert.Equal(SpfSuiteExceptions.Explanation(c.File, c.Name) ?? c.Explanation, result.Explanation);
    }

    // pyspf's header is one valid rendering (RFC 7208 §9.1 leaves latitude): the result keyword and the
    // key=value pairs must agree; "problem" is free text, so only its presence is compared.
    private static void AssertHeaderAgrees(string expected, string actual)
    {
        Assert.Equal(expected.Split(' ')[0], actual.Split(' ')[0], ignoreCase: true);
        var mine = Pairs(actual);
        foreach (var (key, value) in Pairs(expected))
        {
            Assert.True(mine.ContainsKey(key), $"missing {key} in {actual}");
            if (key != "problem") Assert.Equal(value, mine[key]);
        }
    }

    private static Dictionary<string, string> Pairs(string header)
    {
        var afterComment = header[(header.IndexOf(')') + 1)..];
        return Regex.Matches(afterComment, @"([A-Za-z][\w-]*)=(""(?:[^""\\]|\\.)*""|[^;\s]+)")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }
}
