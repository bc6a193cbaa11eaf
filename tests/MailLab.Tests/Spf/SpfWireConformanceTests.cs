using System.Net;
using MailLab.MailAuth.Spf;
using MailLab.Server.Dns;

namespace MailLab.Tests.Spf;

/// <summary>
/// The RFC 7208 suite again, with each scenario's zonedata written as zone files and served by a real
/// lab DNS: check_host() asks over UDP (TCP on truncation) through LabResolver and LabSpfResolver.
/// </summary>
public sealed class SpfWireConformanceTests(SpfWireServers servers) : IClassFixture<SpfWireServers>
{
    private const string Rfc7208 = "rfc7208-tests.yml";

    public static TheoryData<string> WireCases() => [.. SpfSuite.Load(Rfc7208).Keys.Where(n => !SpfWireExceptions.Cases.ContainsKey(n))];

    public static TheoryData<string> ListedCases() => [.. SpfWireExceptions.Cases.Keys];

    [Theory]
    [MemberData(nameof(WireCases))]
    public async Task Rfc7208_suite_over_the_lab_dns(string name)
    {
        var c = SpfSuite.Load(Rfc7208)[name];
        var (_, server) = await servers.For(c);
        await SpfConformanceTests.RunAsync(c, new LabSpfResolver(new LabResolver(server.EndPoint)));
    }

    [Fact]
    public void Every_listed_case_is_real_and_its_gap_is_in_the_scenario()
    {
        Assert.NotEmpty(SpfWireExceptions.Cases);
        foreach (var (name, (gap, reason)) in SpfWireExceptions.Cases)
        {
            Assert.True(SpfSuite.Load(Rfc7208).TryGetValue(name, out var c), $"{name} is not a case of the suite");
            Assert.False(string.IsNullOrWhiteSpace(reason));
            var left = SpfSuiteZones.For(Rfc7208, c!.Scenario).Left;
            switch (gap)
            {
                case SpfWireGap.Timeout:
                    Assert.Contains(left, l => l.Contains("TIMEOUT", StringComparison.Ordinal));
                    break;
                case SpfWireGap.NameNotInZoneFile:
                    Assert.Contains(left, l => l.Contains("not a name a zone file can hold", StringComparison.Ordinal));
                    break;
            }
        }
    }

    // Each listed case really does come out differently over the wire: the list holds no case that would pass.
    [Theory]
    [MemberData(nameof(ListedCases))]
    public async Task A_listed_case_differs_over_the_lab_dns(string name)
    {
        var c = SpfSuite.Load(Rfc7208)[name];
        var (_, server) = await servers.For(c);
        var evaluator = new SpfEvaluator(new LabSpfResolver(new LabResolver(server.EndPoint)), c.Receiver ?? "receiver.example");
        var result = await evaluator.CheckMailFromAsync(IPAddress.Parse(c.Host), c.MailFrom, c.Helo);
        bool same = c.Results.Contains(result.Keyword)
            && (c.Explanation is null or "DEFAULT" || (SpfSuiteExceptions.Explanation(c.File, c.Name) ?? c.Explanation) == result.Explanation);
        Assert.False(same, $"{name} gives {result.Keyword} over the wire as expected; take it off the list");
    }
}
