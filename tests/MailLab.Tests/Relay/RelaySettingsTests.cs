using MailLab.Server.Lab;
using MailLab.Server.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>The lab file's <c>relay:</c> section: values, defaults and validation errors.</summary>
public sealed class RelaySettingsTests
{
    private static string Yaml(string relay) => TestLab.LabYaml() + "\n" + relay;

    [Fact]
    public void Relay_section_is_read()
    {
        var lab = LabDefinitionLoader.Parse(Yaml("relay:\n  relay-port: 2526\n  retry-intervals: [1s, 90s, 3m]\n  queue-lifetime: 2h\n"), "lab.yml");
        Assert.Equal(2526, lab.Relay.RelayPort);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(3)], lab.Relay.RetryIntervals);
        Assert.Equal(TimeSpan.FromHours(2), lab.Relay.QueueLifetime);
    }

    [Fact]
    public void Defaults_without_a_relay_section_and_the_default_lab_uses_2525()
    {
        var lab = LabDefinitionLoader.Parse(TestLab.LabYaml(), "lab.yml");
        Assert.Equal(25, lab.Relay.RelayPort);
        Assert.Equal(4, lab.Relay.RetryIntervals.Count);
        Assert.Equal(TimeSpan.FromHours(1), lab.Relay.QueueLifetime);
        Assert.Equal(2525, LabDefinitionLoader.LoadDefault().Relay.RelayPort);
    }

    [Theory]
    [InlineData("relay:\n  relay-port: 0\n", "relay.relay-port", "out of range")]
    [InlineData("relay:\n  relay-port: 70000\n", "relay.relay-port", "out of range")]
    [InlineData("relay:\n  retry-intervals: [5s, soon]\n", "relay.retry-intervals[1]", "not a duration")]
    [InlineData("relay:\n  retry-intervals: []\n", "relay.retry-intervals", "at least one")]
    [InlineData("relay:\n  queue-lifetime: 0s\n", "relay.queue-lifetime", "must be positive")]
    [InlineData("relay:\n  retry-interval: [5s]\n", "relay.retry-interval", "did you mean 'retry-intervals'")]
    public void Bad_values_are_reported_with_their_field(string relay, string field, string problem)
    {
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(Yaml(relay), "lab.yml"));
        var error = Assert.Single(e.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public async Task Static_resolver_from_the_lab_maps_each_domain_to_its_site()
    {
        var lab = LabDefinitionLoader.Parse(TestLab.LabYaml(), "lab.yml");
        var resolver = StaticMxResolver.FromLab(lab);
        var bank = Assert.IsType<MxHosts>(await resolver.ResolveAsync("BANK.test.", default));
        var host = Assert.Single(bank.Hosts);
        Assert.Equal(("mx.bank.test", "127.0.2.1"), (host.Name, Assert.Single(host.Addresses).ToString()));
        Assert.IsType<NoSuchDomain>(await resolver.ResolveAsync("nowhere.test", default));
    }
}
