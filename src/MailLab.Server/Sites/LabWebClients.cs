using System.Net;

namespace MailLab.Server.Sites;

/// <summary>
/// The local end points of the connections this process's MDAs have open to the lab's HTTP service (their
/// key-server lookups), so the service can mark those requests as the lab's (<see cref="Trace.LabOrigin.Resolver"/>)
/// while a student's curl or gpg from the same address stays a student's; see <see cref="OwnEndPoints"/>.
/// </summary>
internal static class LabWebClients
{
    private static readonly OwnEndPoints tcp = new();

    /// <summary>Registers <paramref name="local"/> until the returned value is disposed.</summary>
    public static IDisposable Register(IPEndPoint local) => tcp.Register(local);

    /// <summary>Whether a request from <paramref name="remote"/> came from a lab client of this process.</summary>
    public static bool IsOwn(IPEndPoint remote) => tcp.IsOwn(remote);
}
