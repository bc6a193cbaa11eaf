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
    private static TestLab StartLab()
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

    private sealed record Server(bool Incoming, string Type, string Host, int Port, string SocketType, string User, string Auth);

    private static List<Server> Servers(XDocument doc) =>
        doc.Root!.Element("emailProvider")!.Elements().Where(e => e.Name.LocalName is "incomingServer" or "outgoingServer")
            .Select(e => new Server(e.Name.LocalName == "incomingServer", (string)e.Attribute("type")!, (string)e.Element("hostname")!,
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
}
