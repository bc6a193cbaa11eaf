using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MailLab.Server.Dns;

/// <summary>
/// The local end points (per protocol: UDP and TCP ports are separate spaces) of the sockets this
/// process's lab resolvers are asking the lab DNS from, so the lab DNS of the same process can mark
/// their questions as the lab's (<see cref="Trace.LabOrigin.Resolver"/>) while a student who binds the
/// same site address (<c>dig -b 127.0.1.1</c>) stays a student. A socket is registered after it is bound
/// without SO_REUSEADDR (the kernel then lets no other socket have that address and port) and before
/// its query is sent, and unregistered before it is closed, as <see cref="Listeners.LabRelayConnections"/>
/// does for the relay.
/// </summary>
public static class LabResolverSockets
{
    private static readonly ConcurrentDictionary<(ProtocolType, IPEndPoint), byte> open = new();

    /// <summary>Registers <paramref name="local"/> for <paramref name="protocol"/> until the returned value is disposed.</summary>
    public static IDisposable Register(ProtocolType protocol, IPEndPoint local)
    {
        var key = (protocol, Normal(local));
        open[key] = 0;
        return new Registration(key);
    }

    /// <summary>Whether a query from <paramref name="remote"/> over <paramref name="protocol"/> came from a lab resolver of this process.</summary>
    public static bool IsOwn(ProtocolType protocol, IPEndPoint remote) => open.ContainsKey((protocol, Normal(remote)));

    private static IPEndPoint Normal(IPEndPoint e) =>
        e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;

    private sealed class Registration((ProtocolType, IPEndPoint) key) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) open.TryRemove(key, out _);
        }
    }
}
