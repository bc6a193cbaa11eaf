using System.Net;
using System.Xml.Linq;
using MailLab.Server.Lab;
using MailLab.Server.Web;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace MailLab.Tests.Web;

/// <summary>
/// A site's <c>published:</c> block (where the classroom publishes its container ports on the host): the autoconfig
/// file names the published host and ports to a client that reached the lab there, the container's to any other;
/// the block is validated like the rest of the lab file; and docker-compose.yml and the derived classroom lab agree.
/// </summary>
public sealed class ClassroomPublishedTests
{
    private const string BankPorts = "address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0 }";

    /// <summary>The test lab with bank's IMAP and POP3 listeners and <paramref name="published"/> as its published: block (flow style).</summary>
    private static string Yaml(string published)
    {
        string yaml = TestLab.LabYaml().Replace("host-names: [mx.bank.test]", "host-names: [mx.bank.test, mail.bank.test]");
        Assert.Contains(BankPorts, yaml);
        return yaml.Replace(BankPorts, "address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 }"
            + (published.Length == 0 ? "" : "\n    published: " + published));
    }

    private static List<(string Type, string Host, int Port, string SocketType)> Servers(string xml) =>
        AutoconfigTests.Validated(xml).Root!.Element("emailProvider")!.Elements().Where(e => e.Name.LocalName is "incomingServer" or "outgoingServer")
            .Select(e => ((string)e.Attribute("type")!, (string)e.Element("hostname")!, (int)e.Element("port")!, (string)e.Element("socketType")!)).ToList();

    private static List<(string Type, string Host, int Port, string SocketType)> FileFor(LabDefinition lab, string site, string domain, string? host) =>
        Servers(System.Text.Encoding.UTF8.GetString(AutoconfigRoutes.Document(new AutoconfigDirectory(lab, () => []), lab.Sites.Single(s => s.Name == site), domain, host)));

    private static async Task<LabDefinition> Classroom()
    {
        string derived = TempDir.New("classroom");
        var script = await ExternalTool.Run("sh", [Repository.File("docker/classroom-lab.sh"), Repository.File("lab"), derived]);
        Assert.True(script.Code == 0, script.Out + script.Err);
        return LabDefinitionLoader.Load(Path.Combine(derived, "lab.yml"));
    }

    [Fact]
    public async Task The_classroom_file_names_the_published_ports_to_a_client_on_the_host_and_the_container_ports_to_one_inside()
    {
        var classroom = await Classroom();
        // Thunderbird on the instructor's machine, mailnews.auto_config_url http://127.0.0.1:11371/v1.1/: Host 127.0.0.1.
        Assert.Equal(
            [("imap", "127.0.0.1", 20993, "SSL"), ("imap", "127.0.0.1", 20143, "STARTTLS"), ("pop3", "127.0.0.1", 20995, "SSL"),
             ("pop3", "127.0.0.1", 20110, "STARTTLS"), ("smtp", "127.0.0.1", 20465, "SSL"), ("smtp", "127.0.0.1", 20587, "STARTTLS")],
            FileFor(classroom, "bank", "bank.test", "127.0.0.1"));
        // The workstation container asks autoconfig.bank.test (or the web's address): the container's ports on mail.bank.test.
        var inside = (List<(string, string, int, string)>)
            [("imap", "mail.bank.test", 993, "SSL"), ("imap", "mail.bank.test", 143, "STARTTLS"), ("pop3", "mail.bank.test", 995, "SSL"),
             ("pop3", "mail.bank.test", 110, "STARTTLS"), ("smtp", "mail.bank.test", 465, "SSL"), ("smtp", "mail.bank.test", 587, "STARTTLS")];
        Assert.Equal(inside, FileFor(classroom, "bank", "bank.test", "autoconfig.bank.test"));
        Assert.Equal(inside, FileFor(classroom, "bank", "bank.test", "10.127.9.1"));
        Assert.Equal(inside, FileFor(classroom, "bank", "bank.test", null));
        Assert.Equal(10993, FileFor(classroom, "uc", "uc.test", "127.0.0.1")[0].Port);
    }

    [Fact]
    public async Task The_web_service_answers_by_the_host_the_client_asked()
    {
        await using var lab = TestLab.FromYaml(Yaml("{ address: 127.0.0.1, ports: { imaps: 20993, submission: 20587 } }")).Start();
        using var http = new HttpClient { BaseAddress = new Uri(lab.Runtime!.Web!.Url), Timeout = TimeSpan.FromSeconds(20) };
        // Reached at the lab's own address: the listeners' bound ports, on the site's host name.
        var direct = Servers(await http.GetStringAsync("/v1.1/bank.test"));
        var imaps = lab.Runtime.EndPoint("bank", "IMAP", "implicit");
        Assert.Contains(("imap", "mail.bank.test", imaps.Port, "SSL"), direct);
        Assert.Equal(6, direct.Count);
        // Reached through the published address (Host 127.0.0.1:PORT, as through docker's port mapping): only what is published there.
        foreach (string path in (string[])["/v1.1/bank.test", "/mail/config-v1.1.xml?emailaddress=bob%40bank.test", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=bob%40bank.test"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "127.0.0.1:11371";
            var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([("imap", "127.0.0.1", 20993, "SSL"), ("smtp", "127.0.0.1", 20587, "STARTTLS")], Servers(await response.Content.ReadAsStringAsync()));
        }
        // The published address is in the site's certificate, so a client given 127.0.0.1 can check the name.
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(imaps);
            System.Security.Cryptography.X509Certificates.X509Certificate2? seen = null;
            await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, c, _, _) =>
            {
                seen = new System.Security.Cryptography.X509Certificates.X509Certificate2(c!);
                return true;
            });
            await tls.AuthenticateAsClientAsync("mail.bank.test");
            var san = seen!.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single();
            Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());
            Assert.Contains(IPAddress.Parse("127.0.2.1"), san.EnumerateIPAddresses());
        }
        // Another site has no published: block: its file is as before, whatever the Host.
        using var uc = new HttpRequestMessage(HttpMethod.Get, "/v1.1/uc.test");
        uc.Headers.Host = "127.0.0.1:11371";
        // (uc serves no IMAP or POP3 in the test lab, so its file has no incomingServer, which the schema wants: not validated.)
        var ucFile = XDocument.Parse(await (await http.SendAsync(uc)).Content.ReadAsStringAsync());
        var hosts = ucFile.Descendants("hostname").Select(h => h.Value).ToList();
        Assert.Equal(2, hosts.Count);
        Assert.All(hosts, h => Assert.Equal("mx.uc.test", h));
    }

    [Fact]
    public void A_published_host_name_matches_in_any_case_and_an_ipv6_address_in_brackets()
    {
        var lab = LabDefinitionLoader.Parse(Yaml("{ address: Lab-Host.Example., ports: { imaps: 993 } }"), "lab.yml");
        var bank = lab.Sites.Single(s => s.Name == "bank");
        Assert.Equal("lab-host.example", bank.Published!.Address);
        Assert.NotNull(AutoconfigDirectory.PublishedFor(bank, "LAB-HOST.example"));
        Assert.Null(AutoconfigDirectory.PublishedFor(bank, "other.example"));
        var v6 = LabDefinitionLoader.Parse(Yaml("{ address: '::1', ports: { imaps: 993 } }"), "lab.yml").Sites.Single(s => s.Name == "bank");
        Assert.NotNull(AutoconfigDirectory.PublishedFor(v6, "[::1]"));
        Assert.Null(AutoconfigDirectory.PublishedFor(v6, "127.0.0.1"));
    }

    [Theory]
    [InlineData("{ address: 127.0.0.1 }", "sites[1].published.ports", "required field is missing")]
    [InlineData("{ ports: { imaps: 993 } }", "sites[1].published.address", "required field is missing")]
    [InlineData("{ address: 'not an address!', ports: { imaps: 993 } }", "sites[1].published.address", "neither an IP address nor a host name")]
    [InlineData("{ address: 127.0.0.1, ports: { imaps: 0 } }", "sites[1].published.ports.imaps", "out of range")]
    [InlineData("{ address: 127.0.0.1, ports: { imaps: 70000 } }", "sites[1].published.ports.imaps", "out of range")]
    [InlineData("{ address: 127.0.0.1, ports: { imapz: 993 } }", "sites[1].published.ports.imapz", "unknown key 'imapz'")]
    [InlineData("{ address: 127.0.0.1, ports: { imaps: 993, imap: 993 } }", "sites[1].published.ports.imaps", "127.0.0.1:993 is already published at sites[1].published.ports.imap")]
    [InlineData("{ address: 127.0.0.1, ports: {} }", "sites[1].published.ports", "publish at least one listener")]
    [InlineData("127.0.0.1", "sites[1].published", "expected a mapping")]
    public void Published_errors_name_the_field(string published, string field, string problem)
    {
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(Yaml(published), "lab.yml"));
        var error = Assert.Single(e.Errors, x => x.Field == field);
        Assert.Contains(problem, error.Problem);
        Assert.True(error.Line > 0 && error.Column > 0);
    }

    [Fact]
    public void A_listener_the_site_does_not_serve_cannot_be_published_and_two_sites_cannot_share_a_published_port()
    {
        // uc serves no POP3 in the test lab.
        string yaml = Yaml("{ address: 127.0.0.1, ports: { imaps: 20993 } }")
            .Replace("address: 127.0.1.1\n    ports: { mta: 0, submission: 0, submissions: 0 }",
                "address: 127.0.1.1\n    ports: { mta: 0, submission: 0, submissions: 0 }\n    published: { address: 127.0.0.1, ports: { pop3: 10110, submission: 20993 } }");
        var e = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(yaml, "lab.yml"));
        Assert.Contains(e.Errors, x => x.Field == "sites[0].published.ports.pop3" && x.Problem.Contains("no pop3 listener"));
        Assert.Contains(e.Errors, x => x.Field == "sites[1].published.ports.imaps" && x.Problem.Contains("already published at sites[0].published.ports.submission"));
    }

    [Fact]
    public async Task Docker_compose_publishes_exactly_the_ports_the_classroom_lab_file_says()
    {
        var classroom = await Classroom();
        var root = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(Repository.File("docker-compose.yml")))) root.Load(reader);
        var services = (YamlMappingNode)((YamlMappingNode)root.Documents[0].RootNode)["services"];
        Assert.Equal(["uc", "bank", "evil"], classroom.Sites.Select(s => s.Name));
        foreach (var site in classroom.Sites)
        {
            // docker-compose.yml: "HOST:PUBLISHED:CONTAINER" per listener.
            var mapped = ((YamlSequenceNode)((YamlMappingNode)services[site.Name])["ports"]).Children
                .Select(n => ((YamlScalarNode)n).Value!.Split(':')).Select(p => (Host: p[0], Published: int.Parse(p[1]), Container: int.Parse(p[2]))).ToList();
            var published = site.Published!;
            var container = new Dictionary<string, int?>
            {
                ["mta"] = site.Ports.Mta, ["submission"] = site.Ports.Submission, ["submissions"] = site.Ports.Submissions,
                ["pop3"] = site.Ports.Pop3, ["pop3s"] = site.Ports.Pop3s, ["imap"] = site.Ports.Imap, ["imaps"] = site.Ports.Imaps,
            };
            var fromLab = published.Ports.Select(p => (Host: published.Address, Published: p.Value, Container: container[p.Key]!.Value)).OrderBy(m => m.Published).ToList();
            Assert.Equal(mapped.OrderBy(m => m.Published).ToList(), fromLab);
            // Every listener the site serves is published, so the file a host client gets lists them all.
            Assert.Equal(container.Where(c => c.Value is not null).Select(c => c.Key).Order(), published.Ports.Keys.Order());
        }
    }
}
