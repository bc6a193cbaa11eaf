using System.Collections.Concurrent;
using System.Net;

namespace MailLab.Server.Sites;

/// <summary>
/// Local end points of sockets this process's lab clients have open, so a server of the same process
/// can tell its own lab's client from a student who bound the same address. A socket is registered
/// after it is bound without SO_REUSEADDR (the kernel then lets no other socket have that address and
/// port) and before it sends, and unregistered before it is closed, so a registered end point is ours.
/// </summary>
internal sealed class OwnEndPoints
{
    private readonly ConcurrentDictionary<IPEndPoint, byte> open = new();

    /// <summary>Registers <paramref name="local"/> until the returned value is disposed.</summary>
    public IDisposable Register(IPEndPoint local)
    {
        var key = Normal(local);
        open[key] = 0;
        return new Registration(this, key);
    }

    /// <summary>Whether <paramref name="remote"/> is a registered end point.</summary>
    public bool IsOwn(IPEndPoint remote) => open.ContainsKey(Normal(remote));

    private static IPEndPoint Normal(IPEndPoint e) =>
        e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;

    private sealed class Registration(OwnEndPoints owner, IPEndPoint key) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.open.TryRemove(key, out _);
        }
    }
}
