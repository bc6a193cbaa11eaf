using MailLab.Server.Lab;

namespace MailLab.Tests.Pop3;

/// <summary>The lab keys POP3 adds: switch enable-apop, limits auth-failure-delay and pop3-idle-timeout.</summary>
public sealed class Pop3LabSettingsTests
{
    private const string Site = """
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0 }
        """;

    [Fact]
    public void Keys_are_read()
    {
        var lab = LabDefinitionLoader.Parse($"""
            name: t
            switches: {"{"} enable-apop: true {"}"}
            limits: {"{"} auth-failure-delay: 500ms, pop3-idle-timeout: 15m {"}"}
            {Site}
            """, "t.yml");
        Assert.True(lab.Switches.EnableApop);
        Assert.Equal(TimeSpan.FromMilliseconds(500), lab.Limits.AuthFailureDelay);
        Assert.Equal(TimeSpan.FromMinutes(15), lab.Limits.Pop3IdleTimeout);
        Assert.Equal((0, 0), (lab.Sites[0].Ports.Pop3, lab.Sites[0].Ports.Pop3s));
    }

    [Fact]
    public void Defaults_are_off_and_RFC_1939_ten_minutes()
    {
        var lab = LabDefinitionLoader.Parse($"name: t\n{Site}", "t.yml");
        Assert.False(lab.Switches.EnableApop);
        Assert.Equal(TimeSpan.FromSeconds(2), lab.Limits.AuthFailureDelay);
        Assert.Equal(TimeSpan.FromMinutes(10), lab.Limits.Pop3IdleTimeout);
        var shipped = LabDefinitionLoader.Load(Path.Combine(AppContext.BaseDirectory, LabDefinitionLoader.DefaultFileName));
        Assert.False(shipped.Switches.EnableApop);
        Assert.Equal(TimeSpan.FromMinutes(10), shipped.Limits.Pop3IdleTimeout);
        Assert.All(shipped.Sites, s => Assert.Equal((1110, 1995), (s.Ports.Pop3, s.Ports.Pop3s)));
    }

    [Fact]
    public void A_bad_duration_is_an_error_at_its_key()
    {
        var ex = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse($"""
            name: t
            limits: {"{"} pop3-idle-timeout: soon {"}"}
            {Site}
            """, "t.yml"));
        Assert.Contains("limits.pop3-idle-timeout", ex.Message);
    }
}
