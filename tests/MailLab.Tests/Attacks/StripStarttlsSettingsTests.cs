using MailLab.Server.Lab;
using MailLab.Tests.Support;

namespace MailLab.Tests.Attacks;

/// <summary>The lab file's <c>attacks: strip-starttls:</c> section: defaults that fit the default lab, and validation.</summary>
public sealed class StripStarttlsSettingsTests
{
    [Fact]
    public void The_default_lab_names_uc_bank_and_an_address_of_its_own()
    {
        var attack = LabDefinitionLoader.LoadDefault().Attacks.StripStarttls;
        Assert.Equal(("uc", "bank", "127.0.6.1"), (attack.Victim, attack.Target, attack.Address));
    }

    [Fact]
    public void The_section_is_read()
    {
        var lab = LabDefinitionLoader.Parse(TestLab.LabYaml() + "\nattacks:\n  strip-starttls: { victim: bank, target: evil, address: 127.0.7.1 }\n", "t.yml");
        Assert.Equal(("bank", "evil", "127.0.7.1"), (lab.Attacks.StripStarttls.Victim, lab.Attacks.StripStarttls.Target, lab.Attacks.StripStarttls.Address));
    }

    [Theory]
    [InlineData("{ victim: nobody }", "attacks.strip-starttls.victim", "'nobody' is not a site of this lab")]
    [InlineData("{ target: uc }", "attacks.strip-starttls.target", "must be another site than the victim")]
    [InlineData("{ address: 127.0.2.1 }", "attacks.strip-starttls.address", "site bank's address")]
    [InlineData("{ address: here }", "attacks.strip-starttls.address", "not an IP address")]
    [InlineData("{ port: 25 }", "attacks.strip-starttls", "port")]
    public void Bad_values_are_errors_at_their_field(string section, string field, string problem)
    {
        var e = Assert.Throws<LabDefinitionException>(() =>
            LabDefinitionLoader.Parse(TestLab.LabYaml() + $"\nattacks:\n  strip-starttls: {section}\n", "t.yml"));
        Assert.Contains(field, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void With_the_switch_on_and_no_section_the_defaults_must_fit_the_lab()
    {
        var yaml = TestLab.LabYaml().Replace("switches:\n", "switches:\n  strip-starttls: true\n").Replace("name: uc", "name: campus");
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(yaml, "t.yml"));
        Assert.Contains("'uc' is not a site of this lab", e.Message);
    }
}
