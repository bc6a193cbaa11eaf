using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DnsClient;
using DnsClient.Protocol;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

using static MailLab.Tests.Dns.RawDns;

namespace MailLab.Tests.Dns;

/// <summary>
/// Issue 20 items 7 and 11: the lab DNS listener under many and slow TCP connections, and against a
/// second process binding its UDP port.
/// </summary>
public class DnsListenerLimitTests
{
    private static LookupClient Client(IPEndPoint server, bool tcp = false) => new(new LookupClientOptions(new NameServer(server))
    {
        UseCache = false, Recursion = false, ThrowDnsErrors = false, UseTcpOnly = tcp, UseTcpFallback = true,
        Retries = 0, Timeout = TimeSpan.FromSeconds(3),
    });

    [Fact]
    public async Task A_second_socket_cannot_bind_the_dns_udp_port_even_with_so_reuseaddr()
    {
        await using var dns = DnsTestServer.Start();
        using var rogue = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        rogue.SetRawSocketOption(1, 2, BitConverter.GetBytes(1)); // SOL_SOCKET, SO_REUSEADDR
        var ex = Assert.Throws<SocketException>(() => rogue.Bind(dns.EndPoint));
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
        using var wildcard = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        wildcard.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
        Assert.Throws<SocketException>(() => wildcard.Bind(new IPEndPoint(IPAddress.Any, dns.EndPoint.Port)));
    }


    [Fact]
    public async Task Tcp_connections_over_the_per_client_limit_are_closed_while_others_are_still_answered()
    {
        await using var dns = DnsTestServer.Start(limiter: new ConnectionLimiter(100, 3), tcpIdle: TimeSpan.FromSeconds(30));
        var held = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var c = await Connect(dns.EndPoint, IPAddress.Loopback);
                held.Add(c);
                Assert.Equal(0, Rcode(await TcpQuery(c.GetStream(), "uc.test", DnsType.MX))); // served: the slot is taken
            }
            using var extra = await Connect(dns.EndPoint, IPAddress.Loopback);
            Assert.True(await ClosedWithin(extra.GetStream(), TimeSpan.FromSeconds(5)), "the fourth connection from one client stays open");
            var refused = await dns.WaitFor(e => e.Kind == TraceKind.SessionRefused && e.Role == TraceRole.DNS);
            Assert.Equal("127.0.0.1", refused.Fields["Client"]);

            // Another client, and the held connections, are still answered.
            using var other = await Connect(dns.EndPoint, IPAddress.Parse("127.0.0.2"));
            Assert.Equal(0, Rcode(await TcpQuery(other.GetStream(), "bank.test", DnsType.MX)));
            Assert.Equal(0, Rcode(await TcpQuery(held[0].GetStream(), "bank.test", DnsType.MX)));
            var (code, output, err) = await ExternalTool.Run("dig",
                [$"@{dns.EndPoint.Address}", "-p", dns.EndPoint.Port.ToString(), "-b", "127.0.0.3", "mx", "bank.test", "+tcp", "+norecurse", "+time=3", "+tries=1"]);
            Assert.True(code == 0, err);
            Assert.Contains("status: NOERROR", output);

            // A closed connection gives its slot back.
            held[2].Dispose();
            held.RemoveAt(2);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (true)
            {
                using var again = await Connect(dns.EndPoint, IPAddress.Loopback);
                try
                {
                    Assert.Equal(0, Rcode(await TcpQuery(again.GetStream(), "uc.test", DnsType.A)));
                    break;
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50); // the server has not seen the close yet
                }
            }
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }
    }


    [Fact]
    public async Task A_tcp_connection_that_drips_one_byte_at_a_time_is_closed_at_the_query_deadline()
    {
        await using var dns = DnsTestServer.Start(tcpIdle: TimeSpan.FromSeconds(1));
        using var c = await Connect(dns.EndPoint, IPAddress.Loopback);
        var stream = c.GetStream();
        byte[] query = DnsTcpFramer.Frame(Query(7, "uc.test", DnsType.A));
        var read = stream.ReadAsync(new byte[512]).AsTask();
        var watch = Stopwatch.StartNew();
        bool closed = false;
        for (int i = 0; watch.Elapsed < TimeSpan.FromSeconds(8); i++)
        {
            if (await Task.WhenAny(read, Task.Delay(250)) == read)
            {
                closed = read.IsFaulted || await read == 0;
                break;
            }
            try
            {
                await stream.WriteAsync(query.AsMemory(i % query.Length, 1)); // one byte, never a whole query in time
            }
            catch (IOException)
            {
                closed = true;
                break;
            }
        }
        Assert.True(closed, "a connection dripping a byte every 250 ms is still open after 8 s");
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));
    }


    [Fact]
    public async Task An_idle_tcp_connection_is_closed_after_the_idle_timeout()
    {
        await using var dns = DnsTestServer.Start(tcpIdle: TimeSpan.FromSeconds(1));
        using var c = await Connect(dns.EndPoint, IPAddress.Loopback);
        Assert.Equal(0, Rcode(await TcpQuery(c.GetStream(), "uc.test", DnsType.A)));
        var watch = Stopwatch.StartNew();
        Assert.True(await ClosedWithin(c.GetStream(), TimeSpan.FromSeconds(5)));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));
    }
}
