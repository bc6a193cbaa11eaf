using System.Net;

namespace MailLab.Server.Sites;

/// <summary>
/// The local end points of the outbound connections this process's relay has open, so that a listener
/// of the same process can tell the lab's own relay from a student who bound the site's address
/// (any local process can use 127.0.1.1 as its source); see <see cref="OwnEndPoints"/>. Process-wide on
/// purpose: the key is unique on the machine, whichever lab instance registered it.
/// </summary>
internal static class LabRelayConnections
{
    private static readonly OwnEndPoints open = new();

    /// <summary>Registers <paramref name="local"/> until the returned value is disposed.</summary>
    public static IDisposable Register(IPEndPoint local) => open.Register(local);

    /// <summary>Whether a connection from <paramref name="remote"/> is one of this process's relay connections.</summary>
    public static bool IsOwn(IPEndPoint remote) => open.IsOwn(remote);
}
