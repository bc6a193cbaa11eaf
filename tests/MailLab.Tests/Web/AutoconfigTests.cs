using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using System.Xml.Schema;
using DnsClient;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Lab;
using MailLab.Server.Web;
using MailLab.Tests.Dns;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Web;

/// <summary>
/// Thunderbird's autoconfig file: fetched at the URLs Thunderbird's account wizard asks, through the lab DNS, checked
/// against the format (Web/data/config-v1.1.xsd), and then used as it is by MailKit to log in and submit.
/// </summary>
public class AutoconfigTests
{
    private const string Query = "?emailaddress=bob%40bank.test";

    /// <summary>The test lab with bank's IMAP and POP3 listeners (both TLS modes) and mail.bank.test as a second host name.</summary>
    internal static TestLab StartLab()
    {
        var yaml = TestLab.LabYaml()
            .Replace("host-names: [mx.bank.test]", "host-names: [mx.bank.test, mail.bank.test]")
            .Replace("address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0 }",
                "address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 }");
        Assert.Contains("imaps: 0", yaml);
        return TestLab.FromYaml(yaml).Start();
    }

    private static LookupClient Dns(TestLab lab) => DnsServerTests.Client(lab.Runtime!.Dns!.EndPoint);

    /// <summary>A name's address as the lab DNS answers it (the classroom's resolver).</summary>
    private static async Task<IPAddress> Resolve(TestLab lab, string name)
    {
        var answer = await Dns(lab).QueryAsync(name, QueryType.A);
        return Assert.Single(answer.Answers.ARecords()).Address;
    }

    /// <summary>An HTTP client that connects every URL's host to <paramref name="to"/>, as a resolver would, keeping the URL's name (Host, SNI).</summary>
    private static HttpClient Via(IPAddress to) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(to, context.DnsEndPoint.Port), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = { RemoteCertificateValidationCallback = TestPki.Validate },
    }) { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>Parses and validates the file against the format's schema; fails with every schema error.</summary>
    internal static XDocument Validated(string xml)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(null, Path.Combine(AppContext.BaseDirectory, "Web", "data", "config-v1.1.xsd"));
        var doc = XDocument.Parse(xml);
        var errors = new List<string>();
        doc.Validate(schemas, (_, e) => errors.Add(e.Message));
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + xml);
        return doc;
    }

    private sealed record Listed(bool Incoming, string Type, string Host, int Port, string SocketType, string User, string Auth);

    private static List<Listed> Servers(XDocument doc) =>
        doc.Root!.Element("emailProvider")!.Elements().Where(e => e.Name.LocalName is "incomingServer" or "outgoingServer")
            .Select(e => new Listed(e.Name.LocalName == "incomingServer", (string)e.Attribute("type")!, (string)e.Element("hostname")!,
                (int)e.Element("port")!, (string)e.Element("socketType")!, (string)e.Element("username")!, (string)e.Element("authentication")!))
            .ToList();

    [Fact]
    public async Task Thunderbird_lookup_url_through_the_lab_dns_gives_the_real_listeners_and_mailkit_logs_in_and_submits_with_them()
    {
        await using var lab = StartLab();
        var runtime = lab.Runtime!;
        int port = runtime.Web!.Info.Port;
        // Thunderbird asks http://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=...; the lab DNS names the web service.
        var web = await Resolve(lab, "autoconfig.bank.test");
        Assert.Equal(runtime.Web.EndPoint.Address, web);
        using var http = Via(web);
        var response = await http.GetAsync($"http://autoconfig.bank.test:{port}/mail/config-v1.1.xml{Query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        var doc = Validated(await response.Content.ReadAsStringAsync());
        var provider = doc.Root!.Element("emailProvider")!;
        Assert.Equal(("1.1", "bank.test", "bank.test"), ((string)doc.Root.Attribute("version")!, (string)provider.Attribute("id")!, (string)provider.Element("domain")!));

        // Each protocol in both TLS modes, the site's real (bound) ports, implicit TLS first (RFC 8314 §3); never the MTA.
        var servers = Servers(doc);
        var expected = new (string Type, string Role, string Tls)[]
        {
            ("imap", "IMAP", "implicit"), ("imap", "IMAP", "starttls"), ("pop3", "POP3", "implicit"), ("pop3", "POP3", "starttls"),
            ("smtp", "MSA", "implicit"), ("smtp", "MSA", "starttls"),
        };
        Assert.Equal(expected.Select(e => (e.Type, runtime.EndPoint("bank", e.Role, e.Tls).Port, e.Tls == "implicit" ? "SSL" : "STARTTLS")),
            servers.Select(s => (s.Type, s.Port, s.SocketType)));
        Assert.DoesNotContain(servers, s => s.Port == runtime.EndPoint("bank", "MTA").Port);
        Assert.All(servers, s => Assert.Equal(("mail.bank.test", "%EMAILADDRESS%", "password-cleartext"), (s.Host, s.User, s.Auth)));

        // Now use exactly what the file says: its host name through the lab DNS, its port, its socketType, the address as user.
        var mail = await Resolve(lab, "mail.bank.test");
        foreach (var s in servers)
        {
            string user = s.User.Replace("%EMAILADDRESS%", "bob@bank.test");
            var options = s.SocketType == "SSL" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(mail, s.Port);
            using MailKit.MailService client = s.Type switch
            {
                "imap" => new ImapClient(),
                "pop3" => new Pop3Client(),
                _ => new SmtpClient(),
            };
            client.ServerCertificateValidationCallback = TestPki.Validate; // also checks the name: mail.bank.test
            client.CheckCertificateRevocation = false;
            client.Timeout = 20_000;
            await client.ConnectAsync(socket, s.Host, s.Port, options);
            Assert.True(client.IsSecure, $"{s.Type} {s.Port} is not inside TLS");
            await client.AuthenticateAsync(user, "lab-bob");
            if (client is SmtpClient smtp)
            {
                var message = new MimeMessage();
                message.From.Add(MailboxAddress.Parse(user));
                message.To.Add(MailboxAddress.Parse(user));
                message.Subject = $"autoconfig {s.SocketType} {s.Port}";
                message.Body = new TextPart("plain") { Text = "sent with the settings of config-v1.1.xml" };
                Assert.StartsWith("2.0.0", await smtp.SendAsync(message));
            }
            await client.DisconnectAsync(true);
        }
        // Both submissions arrive in bob's INBOX, read over the file's first server (IMAP, implicit TLS).
        var first = servers[0];
        using var imap = new ImapClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(mail, first.Port);
            await imap.ConnectAsync(socket, first.Host, first.Port, SecureSocketOptions.SslOnConnect);
            await imap.AuthenticateAsync("bob@bank.test", "lab-bob");
            var subjects = new List<string>();
            for (var deadline = DateTime.UtcNow.AddSeconds(30); subjects.Count < 2 && DateTime.UtcNow < deadline; await Task.Delay(200))
            {
                await imap.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
                subjects = (await imap.Inbox.FetchAsync(0, -1, new MailKit.FetchRequest(MailKit.MessageSummaryItems.Envelope))).Select(m => m.Envelope?.Subject ?? "").ToList();
                await imap.Inbox.CloseAsync();
            }
            Assert.Equal([$"autoconfig SSL {servers[4].Port}", $"autoconfig STARTTLS {servers[5].Port}"], subjects.Order());
            await imap.DisconnectAsync(true);
        }
    }

    [Fact]
    public async Task Curl_fetches_both_lookup_urls_over_http_and_the_https_one_with_the_lab_ca()
    {
        await using var lab = StartLab();
        var web = lab.Runtime!.Web!;
        string ip = (await Resolve(lab, "autoconfig.bank.test")).ToString();
        string ca = Path.Combine(lab.DataDirectory, "certs", "ca.crt");
        int http = web.Info.Port, https = web.HttpsEndPoint!.Port;
        // --resolve stands in for the lab DNS (asked above), so curl sends the Host (and SNI) Thunderbird would.
        string[][] fetches =
        [
            ["--resolve", $"autoconfig.bank.test:{http}:{ip}", $"http://autoconfig.bank.test:{http}/mail/config-v1.1.xml{Query}"],
            ["--resolve", $"bank.test:{http}:{ip}", $"http://bank.test:{http}/.well-known/autoconfig/mail/config-v1.1.xml{Query}"],
            // Thunderbird tries HTTPS first: the certificate names autoconfig.DOMAIN and chains to the lab CA.
            ["--cacert", ca, "--resolve", $"autoconfig.bank.test:{https}:{ip}", $"https://autoconfig.bank.test:{https}/mail/config-v1.1.xml{Query}"],
        ];
        string? first = null;
        foreach (var args in fetches)
        {
            string file = Path.Combine(TempDir.New("autoconfig"), "config-v1.1.xml");
            var curl = await ExternalTool.Run("curl", ["-sS", "-f", "-o", file, "-w", "%{http_code} %{content_type}", .. args]);
            Assert.True(curl.Code == 0, args[^1] + ": " + curl.Err);
            Assert.Equal("200 application/xml; charset=utf-8", curl.Out);
            string xml = await File.ReadAllTextAsync(file);
            Assert.Equal("mail.bank.test", (string)Validated(xml).Descendants("hostname").First());
            Assert.Equal(first ??= xml, xml);
        }
        var events = lab.Events(MailLab.Server.Trace.TraceKind.WebRequest).Where(e => e.Field("Path")?.EndsWith("config-v1.1.xml", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(3, events.Count(e => e.Field("Status") == "200" && e.Field("Query") == Query));
    }

    [Theory]
    [InlineData("autoconfig.bank.test", "", 200)]
    [InlineData("bank.test", "", 200)]
    [InlineData("127.0.9.1", Query, 200)]
    [InlineData("autoconfig.bank.test", "?emailaddress=BOB%40Bank.Test.", 200)]
    [InlineData("autoconfig.example.com", "", 404)]
    [InlineData("127.0.9.1", "?emailaddress=bob%40example.com", 404)]
    [InlineData("127.0.9.1", "", 400)]
    [InlineData("autoconfig.bank.test", "?emailaddress=alice%40uc.test", 400)]
    [InlineData("autoconfig.bank.test", "?emailaddress=bob", 400)]
    [InlineData("autoconfig.bank.test", "?emailaddress=%40bank.test", 400)]
    [InlineData("autoconfig.bank.test", "?emailaddress=bob%40bank..test", 400)]
    [InlineData("autoconfig.bank.test", "?emailaddress=b%20ob%40bank.test", 400)]
    [InlineData("autoconfig.bank.test", "?emailaddress=bob%40bank.test&emailaddress=bob%40bank.test", 400)]
    public async Task The_domain_comes_from_the_host_or_the_address_unknown_is_404_and_bad_input_400(string host, string query, int status)
    {
        await using var lab = StartLab();
        using var http = new HttpClient { BaseAddress = new Uri(lab.Runtime!.Web!.Url), Timeout = TimeSpan.FromSeconds(20) };
        foreach (string path in (string[])["/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path + query);
            request.Headers.Host = host;
            var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(status == (int)response.StatusCode, $"{host} {path}{query}: {(int)response.StatusCode} {body}");
            if (status == 200) Assert.Equal("bank.test", (string)Validated(body).Root!.Element("emailProvider")!.Attribute("id")!);
            else Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        }
    }

    [Fact]
    public async Task Long_addresses_are_400_and_other_methods_405()
    {
        await using var lab = StartLab();
        using var http = new HttpClient { BaseAddress = new Uri(lab.Runtime!.Web!.Url), Timeout = TimeSpan.FromSeconds(20) };
        string local = new('b', 65);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/mail/config-v1.1.xml?emailaddress={local}%40bank.test")).StatusCode);
        string domain = string.Join('.', Enumerable.Repeat(new string('a', 60), 4)) + ".bank.test";
        var tooLong = await http.GetAsync($"/mail/config-v1.1.xml?emailaddress=bob%40{domain}");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("254", await tooLong.Content.ReadAsStringAsync());
        var post = await http.PostAsync("/mail/config-v1.1.xml" + Query, new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var head = new HttpRequestMessage(HttpMethod.Head, "/.well-known/autoconfig/mail/config-v1.1.xml" + Query);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(head)).StatusCode);
    }

    [Fact]
    public void The_schema_refuses_a_wrong_socket_type_a_missing_port_and_a_server_of_an_unknown_type()
    {
        var lab = LabDefinitionLoader.LoadDefault();
        var directory = new AutoconfigDirectory(lab, () => []);
        string good = System.Text.Encoding.UTF8.GetString(AutoconfigRoutes.Document(directory, lab.Sites.Single(s => s.Name == "bank"), "bank.test"));
        Validated(good);
        foreach (var broken in (Func<string, string>[])
        [
            x => x.Replace("<socketType>SSL</socketType>", "<socketType>TLS</socketType>"),
            x => x.Replace("<port>1993</port>", ""),
            x => x.Replace("<port>1993</port>", "<port>0</port>"),
            x => x.Replace("incomingServer type=\"pop3\"", "incomingServer type=\"exchange\""),
            x => x.Replace("<clientConfig version=\"1.1\">", "<clientConfig version=\"1.0\">"),
        ])
        {
            string xml = broken(good);
            Assert.NotEqual(good, xml);
            Assert.ThrowsAny<Exception>(() => Validated(xml));
        }
    }

    [Fact]
    public async Task The_default_and_the_classroom_lab_announce_their_own_ports_and_the_classroom_zones_name_the_web_service()
    {
        // Without running sites (the classroom's dns container serves the file for sites in other containers): the lab file's ports.
        var embedded = LabDefinitionLoader.LoadDefault();
        Assert.Equal(
            [("imap", 1993, "SSL"), ("imap", 1143, "STARTTLS"), ("pop3", 1995, "SSL"), ("pop3", 1110, "STARTTLS"), ("smtp", 5465, "SSL"), ("smtp", 5587, "STARTTLS")],
            FileOf(embedded, "bank", "bank.test"));
        string derived = TempDir.New("classroom");
        var script = await ExternalTool.Run("sh", [Repository.File("docker/classroom-lab.sh"), Repository.File("lab"), derived]);
        Assert.True(script.Code == 0, script.Out + script.Err);
        var classroom = LabDefinitionLoader.Load(Path.Combine(derived, "lab.yml"));
        Assert.Equal(
            [("imap", 993, "SSL"), ("imap", 143, "STARTTLS"), ("pop3", 995, "SSL"), ("pop3", 110, "STARTTLS"), ("smtp", 465, "SSL"), ("smtp", 587, "STARTTLS")],
            FileOf(classroom, "uc", "uc.test"));
        Assert.Equal(443, classroom.Web.HttpsPort);
        foreach (var domain in (string[])["uc.test", "bank.test", "evil.test"])
        {
            Assert.Matches(@"(?m)^autoconfig\s+IN\s+A\s+10\.127\.9\.1\s*$", await File.ReadAllTextAsync(Path.Combine(derived, "zones", domain + ".zone")));
        }
        Assert.Equal("10.127.9.1", classroom.Web.Address);
    }

    [Fact]
    public async Task The_isp_database_form_answers_by_path_for_thunderbirds_auto_config_url()
    {
        await using var lab = StartLab();
        using var http = new HttpClient { BaseAddress = new Uri(lab.Runtime!.Web!.Url), Timeout = TimeSpan.FromSeconds(20) };
        // Thunderbird appends the domain to mailnews.auto_config_url (http://127.0.9.1:11371/v1.1/ in the README).
        var byPath = await http.GetAsync("/v1.1/bank.test");
        Assert.Equal(HttpStatusCode.OK, byPath.StatusCode);
        string xml = await byPath.Content.ReadAsStringAsync();
        Assert.Equal(xml, await http.GetStringAsync("/mail/config-v1.1.xml" + Query));
        Assert.Equal(xml, await http.GetStringAsync("/v1.1/Bank.Test."));
        Assert.Equal("bank.test", (string)Validated(xml).Root!.Element("emailProvider")!.Attribute("id")!);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1.1/example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/v1.1/bank_test")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/v1.1/" + new string('a', 300))).StatusCode);
    }

    [Fact]
    public async Task The_readme_commands_work_as_written()
    {
        var readme = await File.ReadAllTextAsync(Repository.File("README.md"));
        int start = readme.IndexOf("### Thunderbird's account wizard (autoconfig)", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no autoconfig section");
        string block = readme[readme.IndexOf("```sh\n", start, StringComparison.Ordinal)..];
        block = block[6..block.IndexOf("```", 6, StringComparison.Ordinal)];
        var commands = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, commands.Length);
        await using var lab = StartLab();
        var web = lab.Runtime!.Web!.EndPoint;
        var dns = lab.Runtime.Dns!.EndPoint;
        foreach (string command in commands)
        {
            // The default lab's web (127.0.9.1:11371) and DNS port (1053) are the test lab's free ports here.
            string run = command.Replace("127.0.9.1:11371", $"{web.Address}:{web.Port}").Replace("-p 1053", $"-p {dns.Port}");
            var result = await ExternalTool.Run("sh", ["-c", run]);
            Assert.True(result.Code == 0, command + ": " + result.Err);
            if (command.StartsWith("dig", StringComparison.Ordinal)) Assert.Equal(web.Address.ToString(), result.Out.Trim());
            else Assert.Equal("mail.bank.test", (string)Validated(result.Out).Descendants("hostname").First());
        }
    }

    private static List<(string, int, string)> FileOf(LabDefinition lab, string site, string domain)
    {
        var doc = Validated(System.Text.Encoding.UTF8.GetString(
            AutoconfigRoutes.Document(new AutoconfigDirectory(lab, () => []), lab.Sites.Single(s => s.Name == site), domain)));
        var servers = Servers(doc);
        Assert.All(servers, s => Assert.Equal("mail." + domain, s.Host));
        return servers.Select(s => (s.Type, s.Port, s.SocketType)).ToList();
    }
}
