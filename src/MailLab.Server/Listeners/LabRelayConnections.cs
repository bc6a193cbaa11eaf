using System.Collections.Concurrent;
using System.Net;

namespace MailLab.Server.Listeners;

/// <summary>
/// The local end points of the outbound connections this process's relay has open, so that a listener
/// of the same process can tell the lab's own relay from a student who bound the site's address
/// (any local process can use 127.0.1.1 as its source). The relay registers its socket's end point
/// after binding it and before connecting, and drops it before closing the socket. While our socket
/// holds an address and port (bound without SO_REUSEADDR), the kernel lets no other socket bind them,
/// so a connection arriving from a registered end point is ours. Process-wide on purpose: the key is
/// unique on the machine, whichever lab instance registered it.
/// </summary>
public static class LabRelayConnections
{
    private static readonly ConcurrentDictionary<IPEndPoint, byte> open = new();

    /// <summary>Registers <paramref name="local"/> until the returned value is disposed.</summary>
    public static IDisposable Register(IPEndPoint local)
    {
        var key = Normal(local);
        open[key] = 0;
        return new Registration(key);
    }

    /// <summary>Whether a connection from <paramref name="remote"/> is one of this process's relay connections.</summary>
    public static bool IsOwn(IPEndPoint remote) => open.ContainsKey(Normal(remote));

    private static IPEndPoint Normal(IPEndPoint e) =>
        e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;

    private sealed class Registration(IPEndPoint key) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) open.TryRemove(key, out _);
        }
    }
}
