using System.Net;
using System.Net.Sockets;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Attacks;

/// <summary>
/// The attacker of the <c>spoof-dns</c> switch: a DNS forwarder on the attacker site's address that sits on the
/// path between a victim site's mail resolver and the lab DNS (the victim's resolver asks it instead of the
/// lab DNS, as a poisoned network path would make it). It passes every question on and every answer back,
/// byte for byte, except for the names and types it forges: those it answers itself, with the forged records
/// in place of the genuine ones. Like a real on-path forger it cannot sign: it copies the genuine answer's
/// RRSIGs beside its forgery, so a validating resolver finds a signature that does not match (RFC 4035 §5.3).
/// Everything it forges is traced with role ATTACKER and Origin attack.
/// </summary>
internal sealed class DnsForger : IAsyncDisposable
{
    /// <summary>How long a forwarded question waits for the lab DNS.</summary>
    public static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Questions handled at once; more are dropped (the victim's resolver asks again), so a flood cannot pile up.</summary>
    public const int MaxInFlight = 64;

    private static long sessions;
    private readonly string attackerSite;
    private readonly string victimSite;
    private readonly IPEndPoint upstream;
    private readonly IReadOnlyList<DnsRecord> forged;
    private readonly Tracer tracer;
    private readonly SemaphoreSlim inFlight = new(MaxInFlight);
    private readonly CancellationTokenSource shutdown = new();
    private readonly List<Task> tasks = [];
    private Socket? udp;
    private Socket? tcp;

    /// <summary>A forger at <paramref name="address"/> (the attacker site's) that forwards to the lab DNS at <paramref name="upstream"/>.</summary>
    public DnsForger(string attackerSite, string address, int port, string victimSite, IPEndPoint upstream, IReadOnlyList<DnsRecord> forged, Tracer tracer)
    {
        this.attackerSite = attackerSite;
        this.victimSite = victimSite;
        this.upstream = upstream;
        this.forged = forged;
        this.tracer = tracer;
        Info = new ListenerInfo(attackerSite, nameof(TraceRole.ATTACKER), address, port, "none");
    }

    /// <summary>The listener as listeners.json shows it (role ATTACKER, the attacker site's address, a free port).</summary>
    public ListenerInfo Info { get; private set; }

    /// <summary>Where the victim's resolver sends its questions.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Parse(Info.Address), Info.Port);

    /// <summary>Binds UDP and TCP on one port of the attacker's address (with port 0, a free one for both).</summary>
    public void Bind()
    {
        var address = IPAddress.Parse(Info.Address);
        for (int attempt = 0; ; attempt++)
        {
            var u = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var t = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                u.Bind(new IPEndPoint(address, Info.Port));
                int port = ((IPEndPoint)u.LocalEndPoint!).Port;
                t.Bind(new IPEndPoint(address, port));
                t.Listen(16);
                (udp, tcp) = (u, t);
                Info = Info with { Port = port };
                return;
            }
            catch (SocketException ex) when (Info.Port == 0 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 10)
            {
                u.Dispose();
                t.Dispose();
            }
            catch (SocketException ex)
            {
                u.Dispose();
                t.Dispose();
                throw ListenerSockets.BindError(attackerSite, Info.Role, $"{Info.Address}:{Info.Port}", ex);
            }
        }
    }

    /// <summary>Starts forwarding and forging.</summary>
    public void Start()
    {
        if (udp is null || tcp is null) throw new InvalidOperationException("Bind first");
        Trace().Emit(TraceKind.ListenerStarted,
            $"spoof-dns: {attackerSite}'s DNS forger on {Info.Address}:{Info.Port} sits between {victimSite}'s mail resolver and the lab DNS; it forges {string.Join(" | ", forged)}",
            ("Address", Info.Address), ("Port", Info.Port), ("Tls", Info.Tls));
        tasks.Add(UdpLoopAsync(udp));
        tasks.Add(TcpLoopAsync(tcp));
    }

    private TraceContext Trace(string? session = null) => tracer.ForLab(LabOrigin.Attack, attackerSite, TraceRole.ATTACKER, session);

    private async Task UdpLoopAsync(Socket socket)
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
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
                continue;
            }
            if (!inFlight.Wait(0)) continue;
            byte[] query = buffer.AsSpan(0, got.ReceivedBytes).ToArray();
            var client = (IPEndPoint)got.RemoteEndPoint;
            _ = Task.Run(async () =>
            {
                try
                {
                    if (await AnswerAsync(query, client, tcp: false) is { } reply)
                    {
                        await socket.SendToAsync(reply, SocketFlags.None, client, shutdown.Token);
                    }
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                }
                finally
                {
                    inFlight.Release();
                }
            });
        }
    }

    private async Task TcpLoopAsync(Socket listening)
    {
        while (!shutdown.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listening.AcceptAsync(shutdown.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (!inFlight.Wait(0))
            {
                client.Dispose();
                continue;
            }
            _ = ServeTcpAsync(client);
        }
    }

    private async Task ServeTcpAsync(Socket client)
    {
        await Task.Yield();
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: true);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token);
            deadline.CancelAfter(TimeSpan.FromSeconds(5)); // as the lab DNS: a whole query within seconds (RFC 7766 §6.2.3)
            var framer = new DnsTcpFramer();
            var buffer = new byte[4096];
            while (true)
            {
                int n = await stream.ReadAsync(buffer, deadline.Token);
                if (n == 0) return;
                framer.Append(buffer.AsSpan(0, n));
                while (framer.TryRead() is { } query)
                {
                    if (await AnswerAsync(query, remote, tcp: true) is { } reply)
                    {
                        await stream.WriteAsync(DnsTcpFramer.Frame(reply), deadline.Token);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            inFlight.Release();
        }
    }

    /// <summary>The reply to one question: the lab DNS's own, or a forgery built on it.</summary>
    private async Task<byte[]?> AnswerAsync(byte[] query, IPEndPoint client, bool tcp)
    {
        byte[]? genuine = await ForwardAsync(query, tcp);
        var q = DnsWire.ParseQuery(query, out _, out _);
        if (q is null || q.QClass != 1) return genuine;
        var lies = forged.Where(r => r.Name == q.Name && (ushort)r.Type == q.QType).ToList();
        if (lies.Count == 0) return genuine;

        var real = genuine is null ? null : DnsResponseParser.Parse(genuine, out _);
        // The genuine signatures over this RRset, copied: the forger has no zone key to make its own.
        var signatures = real?.Answers.Where(r => r.Name == q.Name && Covers(r, q.QType)).ToList() ?? [];
        var answers = lies.Concat(signatures).ToList();
        int limit = tcp ? ushort.MaxValue : q.EdnsUdpSize is { } edns ? Math.Min((int)edns, (int)DnsWire.OurEdnsSize) : DnsWire.ClassicUdpLimit;
        byte[] reply = DnsWire.WriteResponse(q, q.Id, DnsRcode.NoError, authoritative: true, answers, [], limit, out bool truncated);
        string type = DnsAnswerer.TypeName(q.QType);
        var was = real?.Answers.Where(r => (ushort)r.Type == q.QType).Select(r => r.ToString()).ToArray() ?? [];
        Trace($"F{Interlocked.Increment(ref sessions)}").Emit(TraceKind.DnsForged,
            $"forged {DnsNames.Absolute(q.Name)} {type} for {victimSite}'s resolver ({client.Address}): {string.Join(" | ", lies.Select(r => r.Data.ToZoneText()))}"
            + $" instead of {(was.Length > 0 ? string.Join(" | ", real!.Answers.Where(r => (ushort)r.Type == q.QType).Select(r => r.Data.ToZoneText())) : "the lab DNS's answer")}"
            + (signatures.Count > 0 ? $"; {signatures.Count} genuine RRSIG copied beside it" : ""),
            ("Victim", victimSite), ("Client", client.Address.ToString()), ("Name", q.Name), ("Type", type),
            ("Forged", lies.Select(r => r.ToString()).ToArray()), ("Genuine", was), ("CopiedSignatures", signatures.Count),
            ("Transport", tcp ? "tcp" : "udp"), ("Truncated", truncated));
        return reply;
    }

    /// <summary>Whether <paramref name="r"/> is an RRSIG (RFC 4034 §3.1) over <paramref name="type"/>.</summary>
    private static bool Covers(DnsRecord r, ushort type) => r.Data is RrsigData sig && (ushort)sig.TypeCovered == type;

    /// <summary>Asks the lab DNS the same question, from the attacker's address, over the same transport; null when it does not answer.</summary>
    private async Task<byte[]?> ForwardAsync(byte[] query, bool tcp)
    {
        var local = new IPEndPoint(IPAddress.Parse(Info.Address), 0);
        using var socket = new Socket(upstream.AddressFamily, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token);
        timeout.CancelAfter(UpstreamTimeout);
        try
        {
            socket.Bind(local);
            // The question is still the victim resolver's: the lab DNS traces it as the lab's, not a student's.
            using var own = LabResolverSockets.Register(tcp ? ProtocolType.Tcp : ProtocolType.Udp, (IPEndPoint)socket.LocalEndPoint!);
            if (tcp)
            {
                await socket.ConnectAsync(upstream, timeout.Token);
                await socket.SendAsync(DnsTcpFramer.Frame(query), SocketFlags.None, timeout.Token);
                var framer = new DnsTcpFramer();
                var buffer = new byte[8192];
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    if (n == 0) return null;
                    framer.Append(buffer.AsSpan(0, n));
                    if (framer.TryRead() is { } reply) return reply;
                }
            }
            await socket.SendToAsync(query, SocketFlags.None, upstream, timeout.Token);
            var answer = new byte[65535];
            while (true)
            {
                var got = await socket.ReceiveFromAsync(answer, SocketFlags.None, upstream, timeout.Token);
                // Only the lab DNS's reply to this very question (same id) is passed back.
                if (got.ReceivedBytes >= 2 && upstream.Equals(got.RemoteEndPoint) && answer[0] == query[0] && answer[1] == query[1])
                {
                    return answer.AsSpan(0, got.ReceivedBytes).ToArray();
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Stops both sockets.</summary>
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
        inFlight.Dispose();
    }
}
