using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Server.Web;
using MailLab.Tests.Support;

namespace MailLab.Tests.Web;

/// <summary>What goes wrong inside the web service is a traced 500; too many connections from one client a 503.</summary>
public class WebRobustnessTests
{
    [Fact]
    public async Task A_route_that_fails_answers_500_and_the_trace_says_why()
    {
        await using var lab = TestLab.Create().Start();
        // A directory where the CRL file should be: reading it throws.
        Directory.CreateDirectory(Path.Combine(lab.DataDirectory, "certs", "user-ca.crl"));
        using var http = new HttpClient { BaseAddress = new Uri(lab.Runtime!.Web!.Url) };
        var r = await http.GetAsync("/pki/user-ca.crl");
        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        var failed = await lab.WaitForEvent(e => e.Kind == TraceKind.WebRequest && (int)e.Fields["Status"]! == 500);
        Assert.Equal("/pki/user-ca.crl", failed.Fields["Path"]);
        Assert.Contains(lab.Events(TraceKind.InternalError), e => e.Role == TraceRole.WEB && ((string)e.Fields["Reason"]!).Contains("user-ca.crl"));
        // The service goes on.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/pki/ca.crt")).StatusCode);
    }

    [Fact]
    public async Task A_client_over_its_connection_limit_gets_503_and_a_session_refused_event()
    {
        await using var lab = TestLab.Create(perClient: 2).Start();
        var endPoint = lab.Runtime!.Web!.EndPoint;
        var held = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(endPoint);
                // A whole request answered: the connection is surely counted.
                Assert.StartsWith("HTTP/1.1 200", await Exchange(c, "GET /pki/ca.crt HTTP/1.1\r\nHost: lab\r\n\r\n"));
                held.Add(c);
            }
            using var third = new TcpClient();
            await third.ConnectAsync(endPoint);
            string answer = await Exchange(third, "GET /pki/ca.crt HTTP/1.1\r\nHost: lab\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 503", answer);
            var refused = Assert.Single(lab.Events(TraceKind.SessionRefused), e => e.Role == TraceRole.WEB);
            Assert.Equal("127.0.0.1", refused.Fields["Client"]);
            held[0].Dispose();
            held.RemoveAt(0);
            // A slot is free again once a held connection is gone.
            // The server sees the close asynchronously: ask until it has (bounded), never a blind sleep.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            string again;
            while (!(again = await Connect(endPoint)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            Assert.StartsWith("HTTP/1.1 200", again);
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
    }

    private static async Task<string> Connect(IPEndPoint endPoint)
    {
        using var c = new TcpClient();
        await c.ConnectAsync(endPoint);
        return await Exchange(c, "GET /pki/ca.crt HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n");
    }

    private static async Task<string> Exchange(TcpClient c, string request)
    {
        var stream = c.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[64 * 1024];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task A_key_that_would_grow_past_the_cap_and_a_full_store_are_refused_and_nothing_changes()
    {
        await using var bob = new GpgHome("bob");
        await using var carol = new GpgHome("carol");
        string b = await bob.MakeKey("Bob <bob@bank.test>");
        string c = await carol.MakeKey("Carol <carol@uc.test>");
        var bobKey = PgpKeyText.Parse(Encoding.ASCII.GetBytes(await bob.Export(b))).Keys.Single();
        string dir = TempDir.New("keystore");
        var store = new KeyServerStore(dir, maxKeyOctets: bobKey.GetEncoded().Length + 10, maxKeys: 1);
        Assert.Equal(KeyStoreOutcome.Added, store.Add(bobKey).Outcome);
        string before = File.ReadAllText(Path.Combine(dir, b + ".asc"));
        Assert.Equal(0, (await bob.Run("--quick-add-uid", b, "Bob at home with a long name <bob@home.test>")).Code);
        var grown = store.Add(PgpKeyText.Parse(Encoding.ASCII.GetBytes(await bob.Export(b))).Keys.Single());
        Assert.Equal(KeyStoreOutcome.TooLarge, grown.Outcome);
        Assert.Contains("flooding", grown.Problem);
        Assert.Equal(before, File.ReadAllText(Path.Combine(dir, b + ".asc")));
        var full = store.Add(PgpKeyText.Parse(Encoding.ASCII.GetBytes(await carol.Export(c))).Keys.Single());
        Assert.Equal(KeyStoreOutcome.Full, full.Outcome);
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task A_store_over_its_total_octets_is_full_even_below_the_key_count()
    {
        await using var bob = new GpgHome("bob");
        await using var carol = new GpgHome("carol");
        var bobKey = PgpKeyText.Parse(Encoding.ASCII.GetBytes(await bob.Export(await bob.MakeKey("Bob <bob@bank.test>")))).Keys.Single();
        var carolKey = PgpKeyText.Parse(Encoding.ASCII.GetBytes(await carol.Export(await carol.MakeKey("Carol <carol@uc.test>")))).Keys.Single();
        string dir = TempDir.New("keystore-total");
        var store = new KeyServerStore(dir, maxTotalOctets: bobKey.GetEncoded().Length + carolKey.GetEncoded().Length - 1);
        Assert.Equal(KeyStoreOutcome.Added, store.Add(bobKey).Outcome);
        var full = store.Add(carolKey);
        Assert.Equal(KeyStoreOutcome.Full, full.Outcome);
        Assert.Contains("octets of keys", full.Problem);
        Assert.Single(Directory.GetFiles(dir));
        // A restart counts what is on disk: the budget holds across runs.
        Assert.Equal(KeyStoreOutcome.Full, new KeyServerStore(dir, maxTotalOctets: bobKey.GetEncoded().Length + carolKey.GetEncoded().Length - 1).Add(carolKey).Outcome);
    }
}
