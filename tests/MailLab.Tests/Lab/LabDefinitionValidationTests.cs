using MailLab.Server.Lab;

namespace MailLab.Tests.Lab;

/// <summary>Each mistake an instructor can make is reported at the right line, column and field.</summary>
public class LabDefinitionValidationTests
{
    private static LabDefinitionError Single(string yaml)
    {
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(yaml, "lab.yml"));
        LabDefinitionError error = Assert.Single(e.Errors);
        Assert.Equal((error.Line, error.Column, error.Field), (e.Line, e.Column, e.Field));
        Assert.Equal("lab.yml", e.File);
        return error;
    }

    private static void AssertError(string yaml, int line, int column, string field, string problemPart)
    {
        LabDefinitionError error = Single(yaml);
        Assert.Equal((line, column, field), (error.Line, error.Column, error.Field));
        Assert.Contains(problemPart, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BadIpAddressMessageHasFileLineColumnAndField()
    {
        LabDefinitionError error = Single("""
            name: x
            sites:
              - name: one
                domains: [one.test]
                host-names: [mx.one.test]
                address: 127.0.2.x
                ports: { mta: 0, submission: 0, submissions: 0 }
            """);
        Assert.Equal("lab.yml:6:14: sites[0].address: '127.0.2.x' is not an IP address", error.ToString());
    }

    [Theory]
    [InlineData("127.1")] // IPAddress.TryParse would take these
    [InlineData("2130706433")]
    [InlineData("127.0.0.256")]
    [InlineData("fe80::1%2")]
    [InlineData("localhost")]
    public void AbbreviatedOrNamedAddressesAreRejected(string address) => AssertError($"""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: "{address}"
            ports: {"{"} mta: 0, submission: 0, submissions: 0 {"}"}
        """, 6, 14, "sites[0].address", "is not an IP address");

    [Fact]
    public void UnknownTopLevelKeySuggestsTheRightOne()
    {
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse("""
            name: x
            site:
              - name: one
            """, "lab.yml"));
        Assert.Equal([(1, 1, "sites"), (2, 1, "site")], e.Errors.Select(x => (x.Line, x.Column, x.Field)));
        Assert.Contains("unknown key 'site' (did you mean 'sites'", e.Errors[1].Problem, StringComparison.Ordinal);
        Assert.Contains("required field is missing", e.Errors[0].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TypoInSiteKeyIsNotIgnored() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            adress: 127.0.1.2
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 7, 5, "sites[0].adress", "unknown key 'adress' (did you mean 'address'");

    [Fact]
    public void CamelCaseKeyPointsToKebabCase() => AssertError("""
        name: x
        switches:
          allowPlaintextAuth: true
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 3, 3, "switches.allowPlaintextAuth", "did you mean 'allow-plaintext-auth'");

    [Fact]
    public void MissingRequiredFieldIsReportedAtItsMapping() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 3, 5, "sites[0].address", "required field is missing");

    [Fact]
    public void MissingPortIsReported() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0 }
        """, 7, 12, "sites[0].ports.submissions", "required field is missing");

    [Fact]
    public void EmptyRequiredValueIsReportedAtItsKey() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address:
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 6, 5, "sites[0].address", "has no value");

    [Fact]
    public void MissingLabNameAndSites()
    {
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse("switches: {}\n", "lab.yml"));
        Assert.Equal(["name", "sites"], e.Errors.Select(x => x.Field).Order());
        Assert.All(e.Errors, x => Assert.Equal((1, 1), (x.Line, x.Column)));
    }

    [Fact]
    public void EmptySiteListIsAnError() => AssertError("name: x\nsites: []\n", 2, 8, "sites", "at least one site");

    [Fact]
    public void ScalarWhereAListBelongs() => AssertError("name: x\nsites: uc.test\n", 2, 8, "sites", "expected a list");

    [Fact]
    public void DuplicateSiteNames() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
          - name: ONE
            domains: [two.test]
            host-names: [mx.two.test]
            address: 127.0.2.1
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 8, 11, "sites[1].name", "site name 'ONE' is already used at sites[0].name");

    [Fact]
    public void SiteNameMustBeSafeAsAFileName() => AssertError("""
        name: x
        sites:
          - name: ../one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 3, 11, "sites[0].name", "not a valid site name");

    [Fact]
    public void DuplicateDomainAcrossSites() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
          - name: two
            domains: [two.test, ONE.test.]
            host-names: [mx.two.test]
            address: 127.0.2.1
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 9, 25, "sites[1].domains[1]", "domain 'one.test' is already used at sites[0].domains[0]");

    [Fact]
    public void InvalidDomainName() => AssertError("""
        name: x
        sites:
          - name: one
            domains:
              - one.test
              - uc_test
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 6, 9, "sites[0].domains[1]", "'uc_test' is not a valid DNS name");

    [Fact]
    public void UserOutsideItsSitesDomains() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - address: alice@one.test
                password: a
              - address: bob@two.test
                password: b
        """, 11, 18, "sites[0].users[1].address", "domain 'two.test' is not one of this site's domains");

    [Fact]
    public void DuplicateUser() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - address: alice@one.test
                password: a
              - address: Alice@ONE.test
                password: b
        """, 11, 18, "sites[0].users[1].address", "user 'Alice@one.test' is already used at sites[0].users[0].address");

    [Fact]
    public void UserWithoutPassword() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - address: alice@one.test
        """, 9, 9, "sites[0].users[0].password", "required field is missing");

    [Fact]
    public void UserAddressWithoutDomain() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - address: alice
                password: a
        """, 9, 18, "sites[0].users[0].address", "is not a mailbox address");

    [Theory]
    [InlineData("65536")]
    [InlineData("-1")]
    public void PortOutOfRange(string port) => AssertError($"""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports:
              mta: 25
              submission: {port}
              submissions: 465
        """, 9, 19, "sites[0].ports.submission", "out of range");

    [Fact]
    public void PortThatIsNotANumber() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: smtp, submission: 0, submissions: 0 }
        """, 7, 19, "sites[0].ports.mta", "'smtp' is not a whole number");

    [Fact]
    public void DuplicateAddressAndPortAcrossSites() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 2525, submission: 5587, submissions: 5465 }
          - name: two
            domains: [two.test]
            host-names: [mx.two.test]
            address: 127.0.1.1
            ports: { mta: 2526, submission: 5588, submissions: 5465 }
        """, 12, 56, "sites[1].ports.submissions", "127.0.1.1:5465 is already used at sites[0].ports.submissions");

    [Fact]
    public void SamePortTwiceInOneSite() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 2525, submission: 2525, submissions: 0 }
        """, 7, 37, "sites[0].ports.submission", "127.0.1.1:2525 is already used at sites[0].ports.mta");

    [Fact]
    public void WildcardAddressClashesWithEveryAddress() => AssertError("""
        name: x
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 0.0.0.0
            ports: { mta: 2525, submission: 0, submissions: 0 }
          - name: two
            domains: [two.test]
            host-names: [mx.two.test]
            address: 127.0.2.1
            ports: { mta: 2525, submission: 0, submissions: 0 }
        """, 12, 19, "sites[1].ports.mta", "already used at sites[0].ports.mta");

    [Fact]
    public void WebPortThatClashesWithTheDnsIsReportedAtTheWebField() => AssertError("""
        name: x
        dns: { address: 127.0.9.1, port: 1053 }
        web: { address: 127.0.9.1, port: 1053 }
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 2525, submission: 0, submissions: 0 }
        """, 3, 34, "web.port", "127.0.9.1:1053 is already used at dns.port");

    [Fact]
    public void WebServiceDefaultsToHkpPortOnTheDnsAddressAndNamesItsCrlUrl()
    {
        LabDefinition lab = LabDefinitionLoader.Parse("""
            name: x
            sites:
              - name: one
                domains: [one.test]
                host-names: [mx.one.test]
                address: 127.0.1.1
                ports: { mta: 2525, submission: 0, submissions: 0 }
            """, "lab.yml");
        Assert.Equal("127.0.9.1", lab.Web.Address);
        Assert.Equal(11371, lab.Web.Port);
        Assert.Equal("http://127.0.9.1:11371/pki/user-ca.crl", lab.Web.CrlUrl);
        Assert.False(lab.Switches.MdaHoldsUserKeys);
        Assert.Equal("http://[::1]:8080/pki/user-ca.crl", new LabWeb { Address = "::1", Port = 8080 }.CrlUrl);
    }

    [Fact]
    public void SameAddressOnOtherPortsAndRepeatedEphemeralPortsAreFine()
    {
        LabDefinition lab = LabDefinitionLoader.Parse("""
            name: x
            sites:
              - name: one
                domains: [one.test]
                host-names: [mx.one.test]
                address: 127.0.1.1
                ports: { mta: 2525, submission: 0, submissions: 0 }
              - name: two
                domains: [two.test]
                host-names: [mx.two.test]
                address: 127.0.1.1
                ports: { mta: 2526, submission: 0, submissions: 0 }
            """, "lab.yml");
        Assert.Equal(2, lab.Sites.Count);
    }

    [Theory]
    [InlineData("max-recipients: 0", 19, "must be positive")]
    [InlineData("max-connections: -5", 20, "must be positive")]
    [InlineData("max-auth-failures: many", 22, "is not a whole number")]
    [InlineData("max-message-size: 0", 21, "must be positive")]
    [InlineData("max-message-size: -1", 21, "must be positive")]
    [InlineData("max-message-size: 10MB", 21, "is not a size")]
    [InlineData("command-timeout: 0s", 20, "must be positive")]
    [InlineData("session-timeout: 30", 20, "is not a duration")]
    public void BadLimits(string entry, int column, string problem)
    {
        string key = entry[..entry.IndexOf(':', StringComparison.Ordinal)];
        AssertError($"""
            name: x
            limits:
              {entry}
            sites:
              - name: one
                domains: [one.test]
                host-names: [mx.one.test]
                address: 127.0.1.1
                ports: {"{"} mta: 0, submission: 0, submissions: 0 {"}"}
            """, 3, column, $"limits.{key}", problem);
    }

    [Fact]
    public void SwitchMustBeTrueOrFalse() => AssertError("""
        name: x
        switches:
          enable-vrfy: yes
        sites:
          - name: one
            domains: [one.test]
            host-names: [mx.one.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
        """, 3, 16, "switches.enable-vrfy", "use true or false");

    [Fact]
    public void YamlSyntaxErrorCarriesItsMark()
    {
        LabDefinitionError error = Single("""
            name: x
            sites:
              - name: one
                domains: [one.test
                host-names: [mx.one.test]
            """);
        Assert.Equal("", error.Field);
        Assert.StartsWith("YAML error: ", error.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Idx:", error.Problem, StringComparison.Ordinal);
        Assert.InRange(error.Line, 4, 5);
        Assert.True(error.Column > 0);
    }

    [Fact]
    public void YamlExceptionMessageIsReportedWithoutItsOwnMarks()
    {
        LabDefinitionError error = Single("""
            name: x
            sites:
              - name: "one
            """);
        Assert.Equal("", error.Field);
        Assert.StartsWith("YAML error: ", error.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Line:", error.Problem, StringComparison.Ordinal);
        Assert.Equal(3, error.Line);
        Assert.Equal(11, error.Column); // where the quoted scalar starts
    }

    [Fact]
    public void DuplicateKeyIsAnError()
    {
        LabDefinitionError error = Single("""
            name: x
            name: y
            sites: []
            """);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void EmptyFileAndTwoDocuments()
    {
        Assert.Contains("no content", Single("# only a comment\n").Problem, StringComparison.Ordinal);
        LabDefinitionError second = Single("name: x\n---\nname: y\n");
        Assert.Equal(3, second.Line);
        Assert.Contains("only one YAML document", second.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RootMustBeAMapping() => AssertError("- a\n- b\n", 1, 1, "", "expected a mapping");
}
