using System.Net;
using System.Net.Sockets;
using MailLab.Protocols.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Dns;

/// <summary>
/// The lab's authoritative DNS server: UDP and TCP on one address and port, answering from the
/// <see cref="ZoneStore"/>'s current zones. Every query and answer is traced (DnsQuery, DnsAnswer);
/// a query from the lab's own resolver (<see cref="Peers"/>) is traced as the lab's (<see cref="LabOrigin.Resolver"/>).
/// </summary>
public sealed class LabDnsServer : IAsyncDisposable
{
    /// <summary>
    /// How long a TCP connection may take to deliver a whole query, counted from its opening or from
    /// its previous query (5 s). RFC 7766 §6.2.3 recommends an idle timeout "on the order of seconds";
    /// counting to a whole query, not to any byte, means a client dripping one byte at a time cannot
    /// hold a connection either.
    /// </summary>
    public static readonly TimeSpan DefaultTcpIdleTimeout = TimeSpan.FromSeconds(5);

    private static long queryCounter;
    private readonly ZoneStore zones;
    private readonly Tracer tracer;
    private readonly ConnectionLimiter limiter;
    private readonly ResponseRateLimiter? rateLimiter;
    private readonly CancellationTokenSource shutdown = new();
    private readonly List<Task> tasks = [];
    private Socket? udp;
    private Socket? tcp;

    /// <summary>Creates (but does not bind) the server.</summary>
    /// <param name="address">Address for UDP and TCP.</param>
    /// <param name="port">Port for both; 0 picks a free one.</param>
    /// <param name="zones">The zones answered from.</param>
    /// <param name="tracer">Where queries and answers are traced.</param>
    /// <param name="limiter">Connection limits of the TCP listener (the lab's max-connections and max-connections-per-client).</param>
    /// <param name="rateLimit">UDP responses per second per client; 0 = no limit.</param>
    internal LabDnsServer(string address, int port, ZoneStore zones, Tracer tracer, ConnectionLimiter? limiter = null,
        int rateLimit = LabDns.DefaultRateLimit)
    {
        Info = new ListenerInfo("lab", "DNS", address, port, "none");
        this.zones = zones;
        this.tracer = tracer;
        this.limiter = limiter ?? new ConnectionLimiter(new LabLimits().MaxConnections, new LabLimits().MaxConnectionsPerClient);
        rateLimiter = rateLimit > 0 ? new ResponseRateLimiter(rateLimit) : null;
    }

    /// <summary>
    /// How the lab's own resolvers are told from everyone else: in this process by their registered
    /// sockets (<see cref="LabResolverSockets"/>), for sites run in other processes by the sites' addresses.
    /// </summary>
    public LabPeers Peers { get; init; } = LabPeers.AllInProcess;

    /// <summary>Idle time a TCP connection may wait between queries.</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = DefaultTcpIdleTimeout;

    /// <summary>The listener as listeners.json shows it; after <see cref="Bind"/> it carries the real port.</summary>
    public ListenerInfo Info { get; private set; }

    /// <summary>The bound endpoint (UDP and TCP).</summary>
    public IPEndPoint EndPoint => new(IPAddress.Parse(Info.Address), Info.Port);

    /// <summary>The zones being served.</summary>
    internal ZoneStore Zones => zones;

    /// <summary>Binds UDP and TCP to the same port; throws <see cref="ListenerBindException"/> with the reason.</summary>
    public void Bind()
    {
        if (!IPAddress.TryParse(Info.Address, out var address))
        {
            throw new ListenerBindException("lab", "DNS", $"{Info.Address}:{Info.Port}", "not an IP address");
        }
        try
        {
            (udp, tcp, int port) = ListenerSockets.BindUdpAndTcp(address, Info.Port, 64);
            Info = Info with { Port = port };
        }
        catch (SocketException ex)
        {
            var error = ListenerSockets.BindError("lab", "DNS", $"{Info.Address}:{Info.Port}", ex);
            if (Info.Port == 5353 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // An mDNS daemon (avahi) holds 5353 on every address; the lab DNS does not share a UDP port.
                throw new ListenerBindException("lab", "DNS", $"{Info.Address}:{Info.Port}",
                    $"{error.Reason}; 5353 is also the mDNS port (avahi-daemon): set another port under dns: in the lab file");
            }
            throw error;
        }
    }

    /// <summary>Closes the sockets of a server that was bound but never started (a listener failed to bind).</summary>
    public void Unbind()
    {
        udp?.Dispose();
        tcp?.Dispose();
        (udp, tcp) = (null, null);
    }

    /// <summary>Whether both loops serve their sockets now (one status when they agree).</summary>
    public ListenerHealth Health
    {
        get
        {
            bool stopping = shutdown.IsCancellationRequested;
            string overUdp = ListenerHealth.Of(tasks.ElementAtOrDefault(0), udp, stopping, stream: false);
            string overTcp = ListenerHealth.Of(tasks.ElementAtOrDefault(1), tcp, stopping);
            return new(overUdp == overTcp ? overUdp : $"UDP {overUdp}, TCP {overTcp}");
        }
    }

    /// <summary>Starts answering.</summary>
    public void Start()
    {
        if (udp is null || tcp is null) throw new InvalidOperationException("Bind first");
        tracer.ForLab(LabOrigin.Host, "lab", TraceRole.DNS).Emit(TraceKind.ListenerStarted, $"DNS listening on {Info.Address}:{Info.Port} (UDP and TCP)",
            ("Address", Info.Address), ("Port", Info.Port), ("Tls", Info.Tls));
        tasks.Add(UdpLoopAsync(udp));
        tasks.Add(TcpLoopAsync(tcp));
    }

    private async Task UdpLoopAsync(Socket socket)
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!shutdown.IsCancellationRequested)
        {
            SocketReceiveFromResult got;
            try
            {
                got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, shutdown.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // an ICMP error from an earlier reply
            }
            var client = (IPEndPoint)got.RemoteEndPoint;
            var message = buffer.AsSpan(0, got.ReceivedBytes);
            var verdict = RateVerdict.Answer;
            // This process's own resolvers are not limited: their sockets are registered and cannot be forged (as
            // the relay's connections are exempt from the connection limits); a drop would stall a message 2 s.
            // A site in another process is known by its address only, which a spoofed flood could use: limited.
            if (rateLimiter is not null && !Peers.IsOwnResolverSocket(client, ProtocolType.Udp))
            {
                verdict = rateLimiter.Check(client.Address, DateTime.UtcNow, out var report);
                if (report is not null) TraceRateLimited(report);
            }
            // A limited query is not traced one by one (the DnsRateLimited event counts them), so a flood cannot flood the trace.
            byte[]? reply = verdict switch
            {
                RateVerdict.Answer => Handle(message, client, "udp", null),
                RateVerdict.Slip => Slipped(message),
                _ => null,
            };
            if (reply is null) continue;
            try
            {
                await socket.SendToAsync(reply, SocketFlags.None, client, shutdown.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>The slip for a rate-limited query: no records, TC set (never larger than the query); null for junk.</summary>
    private static byte[]? Slipped(ReadOnlySpan<byte> message)
    {
        var q = DnsWire.ParseQuery(message, out ushort id, out _);
        return q is null ? null : DnsWire.WriteResponse(q, id, DnsRcode.NoError, false, [], [], 0, out _);
    }

    private void TraceRateLimited(RateLimitReport r)
    {
        int limit = rateLimiter!.PerSecond;
        string text = r.Period == TimeSpan.Zero
            ? $"{r.Client} asks for more than {limit} answers a second over UDP: answers over the rate are dropped, every {ResponseRateLimiter.Slip}nd sent empty with TC (retry over TCP); counted every {ResponseRateLimiter.ReportInterval.TotalSeconds:0} s"
            : $"{r.Client} still over {limit} answers a second: {r.Dropped} dropped and {r.Slipped} sent with TC in the last {r.Period.TotalSeconds:0.0} s";
        tracer.For("lab", TraceRole.DNS).Emit(TraceKind.DnsRateLimited, text,
            ("Client", r.Client), ("Limit", limit), ("Dropped", r.Dropped), ("Slipped", r.Slipped), ("Seconds", Math.Round(r.Period.TotalSeconds, 1)));
    }

    private async Task TcpLoopAsync(Socket listening)
    {
        var connections = new List<Task>();
        while (!shutdown.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listening.AcceptAsync(shutdown.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }
            connections.RemoveAll(c => c.IsCompleted);
            connections.Add(ServeTcpAsync(client));
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeTcpAsync(Socket client)
    {
        await Task.Yield();
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        string session = $"D{Interlocked.Increment(ref queryCounter)}";
        await using var stream = new NetworkStream(client, ownsSocket: true);
        // The lab's max-connections and max-connections-per-client, as for the mail listeners.
        if (limiter.TryAcquire(remote.Address) is { } refused)
        {
            // DNS has no "go away" message: closing is the refusal (RFC 7766 §6.2.3 lets a server close at any time).
            For("lab", session, remote, "tcp").Emit(TraceKind.SessionRefused, $"DNS connection from {remote} refused: {refused}",
                ("Client", remote.Address.ToString()), ("Reason", refused));
            return;
        }
        var framer = new DnsTcpFramer();
        var buffer = new byte[4096];
        try
        {
            // A whole query must arrive within TcpIdleTimeout of the opening or of the previous query:
            // partial bytes do not reset the deadline. Replies are written under the same deadline.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token);
            deadline.CancelAfter(TcpIdleTimeout);
            while (true)
            {
                int n = await stream.ReadAsync(buffer, deadline.Token);
                if (n == 0) return;
                framer.Append(buffer.AsSpan(0, n));
                while (framer.TryRead() is { } message)
                {
                    deadline.CancelAfter(TcpIdleTimeout);
                    if (Handle(message, remote, "tcp", session) is { } reply)
                    {
                        await stream.WriteAsync(DnsTcpFramer.Frame(reply), deadline.Token);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Idle, too slow, shut down, or the client went away.
        }
        finally
        {
            limiter.Release(remote.Address);
        }
    }

    /// <summary>One query in, one reply out (null: not worth a reply, for example a stray response).</summary>
    private byte[]? Handle(ReadOnlySpan<byte> message, IPEndPoint client, string transport, string? session)
    {
        session ??= $"D{Interlocked.Increment(ref queryCounter)}";
        var q = DnsWire.ParseQuery(message, out ushort id, out string? problem);
        // RFC 6891 §6.2.5: over UDP, the smaller of the client's EDNS size and ours; 512 without EDNS.
        int limit = transport == "tcp" ? ushort.MaxValue
            : q?.EdnsUdpSize is { } edns ? Math.Min((int)edns, (int)DnsWire.OurEdnsSize) : DnsWire.ClassicUdpLimit;
        if (q is null)
        {
            var t = For("lab", session, client, transport);
            t.Emit(TraceKind.DnsQuery, $"malformed query from {client.Address} over {transport}: {problem}",
                ("Client", client.Address.ToString()), ("Name", null), ("Type", null), ("Transport", transport), ("Problem", problem));
            if (message.Length < 12 || (message[2] & 0x80) != 0) return null; // no header, or a response: never answer it
            t.Emit(TraceKind.DnsAnswer, "FORMERR", ("Rcode", "FORMERR"), ("Answers", new List<string>()), ("Authority", new List<string>()), ("Transport", transport));
            return DnsWire.WriteResponse(null, id, DnsRcode.FormErr, false, [], [], limit, out _);
        }
        string type = DnsAnswerer.TypeName(q.QType);
        DnsAnswer answer = q.Opcode != 0 ? new DnsAnswer(DnsRcode.NotImp, false, [], [], null)
            : q.QClass is not (1 or 255) ? new DnsAnswer(DnsRcode.Refused, false, [], [], null)
            : DnsAnswerer.Answer(zones.Current, q.Name, q.QType, q.DnssecOk);
        var trace = For(answer.Zone?.Site ?? zones.Current.Find(q.Name)?.Site ?? "lab", session, client, transport);
        trace.Emit(TraceKind.DnsQuery, $"{client.Address} asks {DnsNames.Absolute(q.Name)} {type} over {transport}",
            ("Client", client.Address.ToString()), ("Name", q.Name), ("Type", type), ("Transport", transport), ("Id", (int)q.Id));
        byte[] reply = DnsWire.WriteResponse(q, id, answer.Rcode, answer.Authoritative, answer.Answers, answer.Authority, limit, out bool truncated);
        var answers = answer.Answers.Select(r => r.ToString()).ToList();
        var authority = answer.Authority.Select(r => r.ToString()).ToList();
        string summary = answers.Count > 0 ? string.Join(" | ", answers) : authority.Count > 0 ? $"no answer; authority {authority[0]}" : "no answer";
        trace.Emit(TraceKind.DnsAnswer, $"{answer.Status} {DnsNames.Absolute(q.Name)} {type}: {summary}{(truncated ? " (truncated: TC set, ask over TCP)" : "")}",
            ("Rcode", answer.Status), ("Name", q.Name), ("Type", type), ("Answers", answers), ("Authority", authority),
            ("Authoritative", answer.Authoritative), ("Truncated", truncated), ("Transport", transport));
        return reply;
    }

    /// <summary>
    /// The trace context of a query from <paramref name="client"/>: the lab's (<see cref="LabOrigin.Resolver"/>)
    /// when one of the lab's resolvers asked, else a client's own (a student's <c>dig</c>, from any address).
    /// </summary>
    private TraceContext For(string site, string session, IPEndPoint client, string transport) =>
        Peers.IsResolver(client, transport == "tcp" ? ProtocolType.Tcp : ProtocolType.Udp)
            ? tracer.ForLab(LabOrigin.Resolver, site, TraceRole.DNS, session)
            : tracer.For(site, TraceRole.DNS, session);

    /// <summary>Stops both sockets and waits for open TCP connections to end.</summary>
    public async Task StopAsync()
    {
        if (shutdown.IsCancellationRequested) return;
        await shutdown.CancelAsync();
        udp?.Dispose();
        tcp?.Dispose();
        await Task.WhenAll(tasks);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        shutdown.Dispose();
    }
}
