using MailLab.Server.Lab;

namespace MailLab.Tests.Lab;

public class LabDefinitionLoaderTests
{
    private const string Good = """
        name: test-lab
        switches:
          allow-plaintext-auth: true
          reveal-secrets: false
          allow-sender-forgery: true
          enable-vrfy: true
          reject-spf-fail: true
        limits:
          max-recipients: 7
          max-message-size: 2MiB
          max-connections-per-client: 3
          max-connections: 40
          command-timeout: 90s
          session-timeout: 2h
          max-auth-failures: 5
        sites:
          - name: one
            domains: [One.Test., alt.one.test]
            host-names: [mx.one.test, mail.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - address: alice@ONE.test
                password: secret-a
              - address: al@alt.one.test
                password: secret-al
          - name: two
            domains: [two.test]
            host-names: [mx.two.test]
            address: "::1"
            ports:
              mta: 2525
              submission: 5587
              submissions: 5465
        """;

    [Fact]
    public void GoodFileGivesEveryField()
    {
        LabDefinition lab = LabDefinitionLoader.Parse(Good, "good.yml");

        Assert.Equal("test-lab", lab.Name);
        Assert.Equal("good.yml", lab.SourceFile);
        Assert.True(lab.Switches.AllowPlaintextAuth);
        Assert.False(lab.Switches.RevealSecrets);
        Assert.True(lab.Switches.AllowSenderForgery);
        Assert.True(lab.Switches.EnableVrfy);
        Assert.True(lab.Switches.RejectSpfFail);
        Assert.Equal(7, lab.Limits.MaxRecipients);
        Assert.Equal(2L * 1024 * 1024, lab.Limits.MaxMessageSize);
        Assert.Equal(3, lab.Limits.MaxConnectionsPerClient);
        Assert.Equal(40, lab.Limits.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(90), lab.Limits.CommandTimeout);
        Assert.Equal(TimeSpan.FromHours(2), lab.Limits.SessionTimeout);
        Assert.Equal(5, lab.Limits.MaxAuthFailures);

        Assert.Equal(["one", "two"], lab.Sites.Select(s => s.Name));
        SiteDefinition one = lab.Sites[0];
        Assert.Equal(["one.test", "alt.one.test"], one.Domains); // lower case, root dot removed
        Assert.Equal(["mx.one.test", "mail.one.test"], one.HostNames);
        Assert.Equal("mx.one.test", one.PrimaryHostName);
        Assert.Equal("127.0.1.1", one.Address);
        Assert.Equal((0, 0, 0), (one.Ports.Mta, one.Ports.Submission, one.Ports.Submissions));
        Assert.Equal(["alice@one.test", "al@alt.one.test"], one.Users.Select(u => u.Address));
        Assert.Equal(["secret-a", "secret-al"], one.Users.Select(u => u.Password));

        SiteDefinition two = lab.Sites[1];
        Assert.Equal(System.Net.IPAddress.IPv6Loopback, two.IPAddress);
        Assert.Equal((2525, 5587, 5465), (two.Ports.Mta, two.Ports.Submission, two.Ports.Submissions));
        Assert.Empty(two.Users);
    }

    [Fact]
    public void SwitchesAndLimitsDefaultWhenLeftOut()
    {
        LabDefinition lab = LabDefinitionLoader.Parse("""
            name: small
            sites:
              - name: one
                domains: [one.test]
                host-names: [mx.one.test]
                address: 127.0.1.1
                ports: { mta: 0, submission: 0, submissions: 0 }
            """, "small.yml");

        Assert.False(lab.Switches.AllowPlaintextAuth || lab.Switches.RevealSecrets || lab.Switches.AllowSenderForgery || lab.Switches.EnableVrfy || lab.Switches.RejectSpfFail);
        Assert.Equal(100, lab.Limits.MaxRecipients);
        Assert.Equal(10L * 1024 * 1024, lab.Limits.MaxMessageSize);
        Assert.Equal(20, lab.Limits.MaxConnectionsPerClient);
        Assert.Equal(500, lab.Limits.MaxConnections);
        Assert.Equal(TimeSpan.FromMinutes(5), lab.Limits.CommandTimeout);
        Assert.Equal(TimeSpan.FromMinutes(30), lab.Limits.SessionTimeout);
        Assert.Equal(3, lab.Limits.MaxAuthFailures);
        Assert.Empty(lab.Sites[0].Users);
    }

    [Fact]
    public void FindSiteAndUserIgnoreCaseAndRootDot()
    {
        LabDefinition lab = LabDefinitionLoader.Parse(Good, "good.yml");

        Assert.Equal("one", lab.FindSiteByDomain("ALT.one.test.")?.Name);
        Assert.Equal("two", lab.FindSiteByDomain("two.test")?.Name);
        Assert.Null(lab.FindSiteByDomain("three.test"));
        Assert.Null(lab.FindSiteByDomain("mx.one.test")); // a host name is not a mail domain

        Assert.Equal("secret-a", lab.FindUser("Alice@one.TEST")?.Password);
        Assert.Equal("secret-al", lab.FindUser("al@alt.one.test")?.Password);
        Assert.Null(lab.FindUser("al@one.test")); // same local part, other domain
        Assert.Null(lab.FindUser("nobody@one.test"));
        Assert.Null(lab.FindUser("alice"));
        Assert.Null(lab.FindUser("alice@"));
    }

    [Fact]
    public void LoadReadsAFileAndNamesItInErrors()
    {
        string dir = Directory.CreateTempSubdirectory("maillab-lab-").FullName;
        try
        {
            string path = Path.Combine(dir, "lab.yml");
            File.WriteAllText(path, Good);
            Assert.Equal(path, LabDefinitionLoader.Load(path).SourceFile);

            File.WriteAllText(path, Good.Replace("address: 127.0.1.1", "address: 127.0.2.x", StringComparison.Ordinal));
            var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Load(path));
            Assert.Equal($"{path}:20:14: sites[0].address: '127.0.2.x' is not an IP address", e.Message);

            var missing = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Load(Path.Combine(dir, "nope.yml")));
            Assert.Equal(0, missing.Line);
            Assert.StartsWith(Path.Combine(dir, "nope.yml") + ": cannot read the file", missing.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AllErrorsAreReportedInFileOrder()
    {
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse("""
            name: many
            sites:
              - name: one
                domains: [one.test]
                host-names: [mx.one.test]
                address: 127.0.1.300
                ports: { mta: 99999, submission: 0, submissions: 0 }
            limits:
              max-recipients: 0
            """, "many.yml"));

        Assert.Equal(
            [(6, "sites[0].address"), (7, "sites[0].ports.mta"), (9, "limits.max-recipients")],
            e.Errors.Select(x => (x.Line, x.Field)));
        Assert.Equal((6, 14, "sites[0].address"), (e.Line, e.Column, e.Field));
        Assert.Equal(3, e.Message.Split(Environment.NewLine).Length);
    }
}
