using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Listeners;

/// <summary>Handles one accepted connection; returns when the session is over.</summary>
internal delegate Task ConnectionHandler(Stream transport, IPEndPoint remote, IPEndPoint local, string sessionId, CancellationToken shutdown);

/// <summary>
/// A plain socket accept loop for one protocol listener. A socket (not Kestrel) keeps the transport
/// a Stream from the first byte, which STARTTLS needs mid-connection, and reports bind errors as
/// one clear <see cref="ListenerBindException"/>.
/// </summary>
internal sealed class TcpListenerHost : IAsyncDisposable
{
    private static long sessionCounter;
    private readonly ConcurrentDictionary<long, (Task Task, Socket Socket)> sessions = new();
    private readonly CancellationTokenSource shutdown = new();
    private readonly ConnectionHandler handler;
    private readonly Func<string, byte[]> refusal;
    private readonly ConnectionLimiter limiter;
    private readonly TraceContext trace;
    private Socket? socket;
    private Task? acceptLoop;

    /// <summary>Creates (but does not bind) a listener.</summary>
    /// <param name="info">Site, role, address, port (0 for any free port) and TLS mode.</param>
    /// <param name="handler">Runs one session.</param>
    /// <param name="refusal">The protocol's "go away" line for a refused connection, given the reason.</param>
    /// <param name="limiter">This listener's connection limits (<see cref="ConnectionLimiter.ForListener"/>).</param>
    /// <param name="trace">Trace context of the site and role.</param>
    public TcpListenerHost(ListenerInfo info, ConnectionHandler handler, Func<string, byte[]> refusal, ConnectionLimiter limiter, TraceContext trace)
    {
        Info = info;
        this.handler = handler;
        this.refusal = refusal;
        this.limiter = limiter;
        this.trace = trace;
    }

    /// <summary>What the listener is; after <see cref="Bind"/> it carries the real port.</summary>
    public ListenerInfo Info { get; private set; }

    /// <summary>Sessions running now.</summary>
    public int ActiveSessions => sessions.Count;

    /// <summary>Whether it accepts connections now, and its sessions.</summary>
    public ListenerHealth Health => new(ListenerHealth.Of(acceptLoop, socket, shutdown.IsCancellationRequested), sessions.Count);

    /// <summary>Binds and listens; throws <see cref="ListenerBindException"/> with the reason.</summary>
    public void Bind()
    {
        if (!IPAddress.TryParse(Info.Address, out var address))
        {
            throw new ListenerBindException(Info.Site, Info.Role, $"{Info.Address}:{Info.Port}", "not an IP address");
        }
        var endpoint = new IPEndPoint(address, Info.Port);
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            ListenerSockets.ReuseAddressOnly(s);
            s.Bind(endpoint);
            s.Listen(512);
        }
        catch (SocketException ex)
        {
            s.Dispose();
            throw ListenerSockets.BindError(Info.Site, Info.Role, endpoint.ToString(), ex);
        }
        socket = s;
        Info = Info with { Port = ((IPEndPoint)s.LocalEndPoint!).Port };
    }

    /// <summary>Starts accepting connections in the background.</summary>
    public void Start()
    {
        if (socket is null) throw new InvalidOperationException("Bind first");
        trace.AsLab(LabOrigin.Host).Emit(TraceKind.ListenerStarted, $"{Info.Role} listening on {Info.Address}:{Info.Port} (TLS: {Info.Tls})",
            ("Address", Info.Address), ("Port", Info.Port), ("Tls", Info.Tls));
        acceptLoop = AcceptLoopAsync(socket);
    }

    private async Task AcceptLoopAsync(Socket listening)
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
                continue; // a connection reset before accept completed
            }
            var id = Interlocked.Increment(ref sessionCounter);
            var task = RunSessionAsync(client, id);
            sessions[id] = (task, client);
            _ = task.ContinueWith(_ => sessions.TryRemove(id, out var _), TaskScheduler.Default);
        }
    }

    private async Task RunSessionAsync(Socket client, long id)
    {
        await Task.Yield();
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        var local = (IPEndPoint)client.LocalEndPoint!;
        client.NoDelay = true;
        var sessionId = $"C{id}";
        // The lab's own relay is never refused (a student may hold this address's slots); see ConnectionLimiter.
        var labRelay = LabRelayConnections.IsOwn(remote);
        var refused = limiter.TryAcquire(remote.Address, labRelay);
        var strace = trace with { Session = sessionId };
        await using var stream = new NetworkStream(client, ownsSocket: true);
        if (refused is not null)
        {
            strace.Emit(TraceKind.SessionRefused, $"connection from {remote} refused: {refused}",
                ("Client", remote.Address.ToString()), ("Reason", refused));
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await stream.WriteAsync(refusal(refused), cts.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
            return;
        }
        try
        {
            await handler(stream, remote, local, sessionId, shutdown.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away; the session has traced what it knew.
        }
        catch (Exception ex)
        {
            // A bug must cost one session, not the listener.
            strace.Emit(TraceKind.InternalError, $"session {sessionId} ended by an internal error: {ex.GetType().Name}: {ex.Message}",
                ("Error", ex.ToString()));
        }
        finally
        {
            limiter.Release(remote.Address, labRelay);
        }
    }

    /// <summary>Closes the socket of a listener that was bound but never started (a sibling failed to bind).</summary>
    public void Unbind()
    {
        if (acceptLoop is not null) throw new InvalidOperationException("started: use StopAsync");
        socket?.Dispose();
        socket = null;
    }

    /// <summary>
    /// Stops accepting, asks sessions to finish (they send 421 when idle), waits up to
    /// <paramref name="grace"/>, then closes whatever is left.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await shutdown.CancelAsync();
        socket?.Dispose();
        if (acceptLoop is not null) await acceptLoop;
        var all = Task.WhenAll(sessions.Values.Select(s => s.Task));
        if (await Task.WhenAny(all, Task.Delay(grace)) != all)
        {
            foreach (var (_, s) in sessions.Values)
            {
                s.Dispose();
            }
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(2)));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        shutdown.Dispose();
    }
}
