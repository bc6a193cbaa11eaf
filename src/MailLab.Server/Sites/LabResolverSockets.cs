using System.Net;
using System.Net.Sockets;

namespace MailLab.Server.Sites;

/// <summary>
/// The local end points of the sockets this process's lab resolvers are asking the lab DNS from, per
/// protocol (UDP and TCP ports are separate spaces), so the lab DNS of the same process can mark their
/// questions as the lab's (<see cref="Trace.LabOrigin.Resolver"/>) while a student who binds the same
/// site address (<c>dig -b 127.0.1.1</c>) stays a student; see <see cref="OwnEndPoints"/>.
/// </summary>
internal static class LabResolverSockets
{
    private static readonly OwnEndPoints udp = new(), tcp = new();

    /// <summary>Registers <paramref name="local"/> for <paramref name="protocol"/> until the returned value is disposed.</summary>
    public static IDisposable Register(ProtocolType protocol, IPEndPoint local) => Of(protocol).Register(local);

    /// <summary>Whether a query from <paramref name="remote"/> over <paramref name="protocol"/> came from a lab resolver of this process.</summary>
    public static bool IsOwn(ProtocolType protocol, IPEndPoint remote) => Of(protocol).IsOwn(remote);

    private static OwnEndPoints Of(ProtocolType protocol) => protocol == ProtocolType.Tcp ? tcp : udp;
}
