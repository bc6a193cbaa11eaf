using MailLab.Server.Exercises;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;

namespace MailLab.Tests.Exercises;

/// <summary><see cref="HandoutRenderer"/>: the handouts, written for the default lab, rendered for another lab.</summary>
public sealed class HandoutRendererTests
{
    private static readonly IReadOnlyList<ListenerInfo> Defaults = HandoutRenderer.ConfiguredListeners(LabDefinitionLoader.LoadDefault());

    /// <summary>A lab where every address and every port differs from the default lab, and no two sites share a port.</summary>
    private static readonly IReadOnlyList<ListenerInfo> Running =
    [
        new("uc", "MTA", "10.1.0.5", 40025, "starttls"), new("uc", "MSA", "10.1.0.5", 40587, "starttls"), new("uc", "MSA", "10.1.0.5", 40465, "implicit"),
        new("uc", "POP3", "10.1.0.5", 40110, "starttls"), new("uc", "POP3", "10.1.0.5", 40995, "implicit"),
        new("uc", "IMAP", "10.1.0.5", 40143, "starttls"), new("uc", "IMAP", "10.1.0.5", 40993, "implicit"),
        new("bank", "MTA", "10.2.0.5", 41025, "starttls"), new("bank", "MSA", "10.2.0.5", 41587, "starttls"), new("bank", "MSA", "10.2.0.5", 41465, "implicit"),
        new("bank", "POP3", "10.2.0.5", 41110, "starttls"), new("bank", "POP3", "10.2.0.5", 41995, "implicit"),
        new("bank", "IMAP", "10.2.0.5", 41143, "starttls"),
        new("evil", "MTA", "10.3.0.5", 42025, "starttls"), new("evil", "MSA", "10.3.0.5", 42587, "starttls"), new("evil", "MSA", "10.3.0.5", 42465, "implicit"),
        new("evil", "POP3", "10.3.0.5", 42110, "starttls"), new("evil", "POP3", "10.3.0.5", 42995, "implicit"),
        new("evil", "IMAP", "10.3.0.5", 42143, "starttls"), new("evil", "IMAP", "10.3.0.5", 42993, "implicit"),
        new("lab", "DNS", "10.9.0.5", 5353, "none"), new("lab", "WEB", "10.9.0.5", 48080, "none"),
    ];

    private static string Render(string text) => HandoutRenderer.Render(text, Defaults, Running, "/srv/lab data").Text;

    [Theory]
    [InlineData("nc -C 127.0.2.1 2525", "nc -C 10.2.0.5 41025")]
    [InlineData("openssl s_client -starttls smtp -connect 127.0.1.1:5587 -crlf", "openssl s_client -starttls smtp -connect 10.1.0.5:40587 -crlf")]
    [InlineData("openssl s_client -connect 127.0.1.1:1995 -quiet", "openssl s_client -connect 10.1.0.5:40995 -quiet")]
    [InlineData("swaks --server 127.0.3.1 --port 5465 --tls-on-connect", "swaks --server 10.3.0.5 --port 42465 --tls-on-connect")]
    [InlineData("dig @127.0.9.1 -p 1053 -x 127.0.2.1 +short", "dig @10.9.0.5 -p 5353 -x 10.2.0.5 +short")]
    [InlineData("nslookup -port=1053 -type=txt bank.test 127.0.9.1", "nslookup -port=5353 -type=txt bank.test 10.9.0.5")]
    [InlineData("nc -C 127.0.2.1 2525          # or: telnet 127.0.2.1 2525", "nc -C 10.2.0.5 41025          # or: telnet 10.2.0.5 41025")]
    [InlineData("| bank | bank.test | 127.0.2.1 | 2525 | 5587 / 5465 |", "| bank | bank.test | 10.2.0.5 | 41025 | 41587 / 41465 |")]
    [InlineData("bank.test's MTA: 127.0.2.1 port 2525 (25 in containers).", "bank.test's MTA: 10.2.0.5 port 41025 (25 in containers).")]
    [InlineData("sudo tcpdump -i lo -A -s0 'host 127.0.1.1 and tcp port 5587'", "sudo tcpdump -i lo -A -s0 'host 10.1.0.5 and tcp port 40587'")]
    [InlineData("cat maillab-data/mail/bank.test/bob/INBOX/new/*", "cat /srv/lab data/mail/bank.test/bob/INBOX/new/*")]
    [InlineData("maillab spf check --ip 127.0.2.1 --sender ceo@bank.test", "maillab spf check --ip 10.2.0.5 --sender ceo@bank.test")]
    [InlineData("curl -s -o ca.crt http://127.0.9.1:11371/pki/ca.crt", "curl -s -o ca.crt http://10.9.0.5:48080/pki/ca.crt")]
    [InlineData("gpg --keyserver hkp://127.0.9.1:11371 --recv-keys bob@bank.test", "gpg --keyserver hkp://10.9.0.5:48080 --recv-keys bob@bank.test")]
    [InlineData("gpg --keyserver hkp://127.0.9.1:11371 --recv-keys 0x1234", "gpg --keyserver hkp://10.9.0.5:48080 --recv-keys 0x1234")]
    [InlineData("curl -s 'http://127.0.9.1:11371/pks/lookup?op=get&search=bob@bank.test'", "curl -s 'http://10.9.0.5:48080/pks/lookup?op=get&search=bob@bank.test'")]
    public void Maps_each_default_address_and_port_pair_to_the_running_listener_of_the_same_site_and_role(string written, string rendered) =>
        Assert.Equal(rendered, Render(written));

    /// <summary>
    /// The spoof-dns forger on evil's address (exercise 15) maps to the running lab's ATTACKER listener of that site;
    /// with its switch off there is none, and the line stays as written without borrowing the DNS's port from the line above.
    /// </summary>
    [Fact]
    public void The_dns_forger_maps_to_the_running_attacker_listener_and_stays_as_written_when_its_switch_is_off()
    {
        const string written = "dig @127.0.9.1 -p 1053 bank.test MX +short\ndig @127.0.3.1 -p 1053 bank.test MX +short";
        var withForger = Running.Append(new ListenerInfo("evil", "ATTACKER", "10.3.0.5", 42053, "none")).ToList();
        var on = HandoutRenderer.Render(written, Defaults, withForger, "/srv/lab data");
        Assert.Equal("dig @10.9.0.5 -p 5353 bank.test MX +short\ndig @10.3.0.5 -p 42053 bank.test MX +short", on.Text);
        Assert.Empty(on.Unmapped);
        var off = HandoutRenderer.Render(written, Defaults, Running, "/srv/lab data");
        Assert.Equal("dig @10.9.0.5 -p 5353 bank.test MX +short\ndig @10.3.0.5 -p 1053 bank.test MX +short", off.Text);
        Assert.Empty(off.Unmapped);
    }

    [Theory]
    [InlineData("The MTA port (2525/25) offers STARTTLS too")]          // no address: which site's?
    [InlineData("a bounce is sent 2525 times")]
    [InlineData("127.0.0.5 port 2525")]                                // not a lab address
    [InlineData("serial 2025010101, 5 minutes, version 1.2.3.4.5")]
    [InlineData("my-maillab-data/x and maillab-data-old")]
    public void Leaves_numbers_that_are_no_default_address_and_port_pair_as_written(string text) =>
        Assert.Equal(text, Render(text));

    [Fact]
    public void Pairs_a_port_with_the_address_of_an_earlier_line_of_the_same_paragraph_only()
    {
        string text = "uc.test's access servers at 127.0.1.1: POP3 1110 (STLS) and 1995 (TLS); IMAP 1143\n(STARTTLS) and 1993 (TLS). In containers: 110, 995.\n\nThe MSA listens on 5587.\n";
        Assert.Equal("uc.test's access servers at 10.1.0.5: POP3 40110 (STLS) and 40995 (TLS); IMAP 40143\n(STARTTLS) and 40993 (TLS). In containers: 110, 995.\n\nThe MSA listens on 5587.\n",
            Render(text));
    }

    [Fact]
    public void A_command_in_a_fenced_block_never_pairs_with_an_address_in_the_prose_around_it()
    {
        string text = "uc's MSA is 127.0.1.1:\n```sh\nsudo tcpdump 'tcp port 5587'\n```\n";
        Assert.Equal("uc's MSA is 10.1.0.5:\n```sh\nsudo tcpdump 'tcp port 5587'\n```\n", Render(text));
    }

    [Fact]
    public void A_listener_the_running_lab_lacks_is_left_as_written_and_named()
    {
        var r = HandoutRenderer.Render("openssl s_client -connect 127.0.2.1:1993", Defaults, Running, "/d"); // bank serves no IMAPS here
        Assert.Equal("openssl s_client -connect 10.2.0.5:1993", r.Text);
        Assert.Equal(["the running lab has no IMAP listener (implicit) for site 'bank': 127.0.2.1 port 1993 left as written"], r.Unmapped);
    }

    [Fact]
    public void On_the_default_lab_itself_only_the_data_directory_changes()
    {
        foreach (var e in ExerciseDemoTests.Catalog.Exercises)
        {
            string text = File.ReadAllText(e.HandoutPath);
            var r = HandoutRenderer.Render(text, Defaults, Defaults, "maillab-data");
            Assert.Equal(text, r.Text);
            Assert.Empty(r.Unmapped);
        }
    }

    [Fact]
    public void Rendered_for_another_lab_no_handout_keeps_a_default_address_or_a_default_address_and_port_pair()
    {
        foreach (var e in ExerciseDemoTests.Catalog.Exercises)
        {
            var r = HandoutRenderer.Render(File.ReadAllText(e.HandoutPath), Defaults, Running, "/srv/lab");
            foreach (var d in Defaults.Where(d => d.Site is "uc" or "bank" or "evil" or "lab"))
            {
                Assert.DoesNotContain(d.Address, r.Text);
            }
            Assert.DoesNotMatch(@"(?<![\w./-])maillab-data(?![\w-])", r.Text);
            Assert.Empty(r.Unmapped);
        }
    }
}
