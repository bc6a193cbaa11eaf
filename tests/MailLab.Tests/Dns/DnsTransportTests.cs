using System.Net;
using System.Net.Sockets;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dns;

/// <summary>The lab's own DNS client over real loopback sockets: source address, TCP on truncation, answers that are not ours.</summary>
public class DnsTransportTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Asks_from_the_source_address_it_is_given(bool tcp)
    {
        await using var dns = DnsTestServer.Start();
        var from = IPAddress.Parse("127.0.0.77");
        var r = await new DnsTransport(dns.EndPoint, from).QueryAsync("bank.test", DnsType.MX, tcp);
        Assert.True(r.Ok, r.Reason);
        Assert.Equal(tcp, r.Tcp);
        Assert.Equal(new MxData(10, "mx.bank.test"), r.Response!.AnswerData<MxData>(DnsType.MX).Single());
        var query = await dns.WaitFor(e => e.Kind == TraceKind.DnsQuery && (string?)e.Fields["Name"] == "bank.test");
        Assert.Equal(("127.0.0.77", tcp ? "tcp" : "udp"), (query.Fields["Client"], query.Fields["Transport"]));

        // Without a source the system chooses: 127.0.0.1 towards a loopback server, as dig.
        await new DnsTransport(dns.EndPoint).QueryAsync("uc.test", DnsType.MX);
        var plain = await dns.WaitFor(e => e.Kind == TraceKind.DnsQuery && (string?)e.Fields["Name"] == "uc.test");
        Assert.Equal("127.0.0.1", plain.Fields["Client"]);
    }

    [Fact]
    public async Task A_truncated_answer_is_asked_again_over_tcp_from_the_same_address()
    {
        await using var dns = DnsTestServer.Start(longTxt: new string('t', 2000));
        var r = await new DnsTransport(dns.EndPoint, IPAddress.Parse("127.0.0.78")).QueryAsync("long.extra.test", DnsType.TXT);
        Assert.True(r.Ok, r.Reason);
        Assert.True(r.Tcp);
        Assert.Equal(new string('t', 2000), r.Response!.AnswerData<TxtData>(DnsType.TXT).Single().Text);
        var asked = dns.Events(TraceKind.DnsQuery).Where(e => (string?)e.Fields["Name"] == "long.extra.test")
            .Select(e => ((string?)e.Fields["Transport"], (string?)e.Fields["Client"])).ToList();
        Assert.Equal([("udp", "127.0.0.78"), ("tcp", "127.0.0.78")], asked);
    }

    [Fact]
    public async Task A_udp_datagram_that_is_not_the_answer_is_ignored_and_the_real_one_taken()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var fake = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            var got = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
            var q = DnsWire.ParseQuery(buffer.AsSpan(0, got.ReceivedBytes), out ushort id, out _)!;
            var wrong = new DnsRecord(q.Name, DnsType.A, 60, new AddressData(IPAddress.Parse("10.6.6.6")));
            var right = new DnsRecord(q.Name, DnsType.A, 60, new AddressData(IPAddress.Parse("127.0.2.1")));
            // A forged answer with another id, then junk, then the answer.
            await server.SendToAsync(DnsWire.WriteResponse(q, (ushort)(id + 1), DnsRcode.NoError, true, [wrong], [], 1232, out _), got.RemoteEndPoint);
            await server.SendToAsync(new byte[] { 1, 2, 3 }, got.RemoteEndPoint);
            await server.SendToAsync(DnsWire.WriteResponse(q, id, DnsRcode.NoError, true, [right], [], 1232, out _), got.RemoteEndPoint);
        });
        var r = await new DnsTransport((IPEndPoint)server.LocalEndPoint!).QueryAsync("mx.bank.test", DnsType.A);
        await fake;
        Assert.True(r.Ok, r.Reason);
        Assert.Equal("127.0.2.1", r.Response!.AnswerData<AddressData>(DnsType.A).Single().Address.ToString());
    }

    [Fact]
    public async Task A_udp_answer_larger_than_the_payload_size_offered_is_asked_again_over_tcp()
    {
        // A responder that ignores our EDNS0 size (RFC 6891 §6.2.5) and sends 6,000 octets in one datagram, without TC.
        var (udp, tcp) = BindBoth();
        using var _u = udp;
        using var _t = tcp;
        var text = new string('t', 5000);
        DnsRecord Answer(DnsQuestionMessage q) => new(q.Name, DnsType.TXT, 60, TxtData.FromText(text));
        var serveUdp = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            var got = await udp.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
            var q = DnsWire.ParseQuery(buffer.AsSpan(0, got.ReceivedBytes), out ushort id, out _)!;
            var big = DnsWire.WriteResponse(q, id, DnsRcode.NoError, true, [Answer(q)], [], 65535, out _);
            Assert.True(big.Length > 5000);
            await udp.SendToAsync(big, got.RemoteEndPoint);
        });
        var serveTcp = Task.Run(async () =>
        {
            using var c = await tcp.AcceptTcpClientAsync();
            var s = c.GetStream();
            var length = new byte[2];
            await s.ReadExactlyAsync(length);
            var query = new byte[length[0] << 8 | length[1]];
            await s.ReadExactlyAsync(query);
            var q = DnsWire.ParseQuery(query, out ushort id, out _)!;
            var answer = DnsWire.WriteResponse(q, id, DnsRcode.NoError, true, [Answer(q)], [], 65535, out _);
            await s.WriteAsync(new[] { (byte)(answer.Length >> 8), (byte)answer.Length });
            await s.WriteAsync(answer);
        });

        var r = await new DnsTransport((IPEndPoint)udp.LocalEndPoint!).QueryAsync("big.test", DnsType.TXT);

        Assert.True(r.Ok, r.Reason);
        Assert.True(r.Tcp); // before waiting for the TCP side: a client that took the datagram never connects
        Assert.Equal(text, r.Response!.AnswerData<TxtData>(DnsType.TXT).Single().Text);
        await Task.WhenAll(serveUdp, serveTcp);
    }

    // A UDP socket and a TCP listener on the same loopback port (a port free for one may be taken for the other).
    private static (Socket Udp, TcpListener Tcp) BindBoth()
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var tcp = new TcpListener(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port);
            try
            {
                tcp.Start();
                return (udp, tcp);
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
            }
        }
    }

    [Fact]
    public async Task Silence_a_bad_tcp_answer_and_a_bad_name_are_error_values()
    {
        // UDP: a server that never answers. The attempts time out; no exception, no hang.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var r = await new DnsTransport((IPEndPoint)silent.LocalEndPoint!, timeout: TimeSpan.FromMilliseconds(200)).QueryAsync("bank.test", DnsType.MX);
        Assert.Equal((DnsQueryError?)DnsQueryError.NoAnswer, r.Error);
        Assert.Contains("2 tries", r.Reason);

        // TCP: a server that sends a length and then garbage of that length.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var c = await listener.AcceptTcpClientAsync();
            var s = c.GetStream();
            await s.ReadExactlyAsync(new byte[2]);
            await s.WriteAsync(new byte[] { 0, 12, 0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0 });
            _ = await s.ReadAsync(new byte[100]); // until the client closes
        });
        var bad = await new DnsTransport((IPEndPoint)listener.LocalEndpoint).QueryAsync("bank.test", DnsType.MX, tcp: true);
        await serve;
        Assert.Equal((DnsQueryError?)DnsQueryError.Malformed, bad.Error);
        Assert.Contains("question: a name is cut short", bad.Reason);

        var name = await new DnsTransport((IPEndPoint)silent.LocalEndPoint!).QueryAsync("a..b.test", DnsType.A);
        Assert.Equal((DnsQueryError?)DnsQueryError.BadName, name.Error);

        // A source of the other address family (a site on ::1, the DNS on IPv4) cannot be bound: an error value too.
        var family = await new DnsTransport((IPEndPoint)silent.LocalEndPoint!, IPAddress.IPv6Loopback).QueryAsync("bank.test", DnsType.A);
        Assert.Equal((DnsQueryError?)DnsQueryError.NoAnswer, family.Error);
        Assert.Contains("address family", family.Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_lab_resolvers_questions_are_the_labs_and_the_same_address_unregistered_is_a_students(bool tcp)
    {
        await using var dns = DnsTestServer.Start();
        var site = IPAddress.Parse("127.0.1.1");
        Assert.True((await new DnsTransport(dns.EndPoint, site, labResolver: true).QueryAsync("bank.test", DnsType.MX, tcp)).Ok);
        Assert.True((await new DnsTransport(dns.EndPoint, site).QueryAsync("bank.test", DnsType.TXT, tcp)).Ok); // dig -b 127.0.1.1
        var events = dns.Tracer.Stream.Query().Where(e => e.Kind is TraceKind.DnsQuery or TraceKind.DnsAnswer).ToList();
        Assert.Equal([(TraceKind.DnsQuery, "MX", LabOrigin.Resolver), (TraceKind.DnsAnswer, "MX", LabOrigin.Resolver),
            (TraceKind.DnsQuery, "TXT", null), (TraceKind.DnsAnswer, "TXT", null)],
            events.Select(e => (e.Kind, e.Field("Type"), e.Origin)));
        Assert.All(events.Where(e => e.Kind == TraceKind.DnsQuery), e => Assert.Equal("127.0.1.1", e.Field("Client")));
    }

    [Fact]
    public async Task A_site_run_in_another_process_is_known_by_its_address()
    {
        // The DNS runs alone (--only dns): the sites' resolvers are in other processes, so their addresses say it.
        await using var dns = DnsTestServer.Start(peers: new MailLab.Server.Sites.LabPeers([IPAddress.Parse("127.0.2.1")]));
        await new DnsTransport(dns.EndPoint, IPAddress.Parse("127.0.2.1")).QueryAsync("uc.test", DnsType.TXT);
        await new DnsTransport(dns.EndPoint, IPAddress.Parse("127.0.0.1")).QueryAsync("uc.test", DnsType.MX);
        var asked = dns.Events(TraceKind.DnsQuery).Select(e => (e.Field("Client"), e.Origin)).ToList();
        Assert.Equal([("127.0.2.1", LabOrigin.Resolver), ("127.0.0.1", (string?)null)], asked);
    }
}
