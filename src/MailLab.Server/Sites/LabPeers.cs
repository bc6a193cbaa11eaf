using System.Net;
using System.Net.Sockets;

namespace MailLab.Server.Sites;

/// <summary>
/// Tells the lab's own clients apart from everyone else's, so their work is traced as the lab's
/// (<see cref="Trace.TraceEvent.Origin"/>). In one process the relay's registered end points say it
/// exactly (<see cref="LabRelayConnections"/>: a student who binds a site's address is still a student).
/// A site that runs in another process (<c>--only</c>, the classroom containers) has an address of
/// its own on the lab network that no workstation can use, so there the address says it.
/// </summary>
public sealed class LabPeers
{
    private readonly HashSet<IPAddress> otherProcessSites;

    /// <summary>Peers for a process that runs every site of the lab.</summary>
    public static LabPeers AllInProcess { get; } = new([]);

    /// <summary>Peers where the sites at <paramref name="otherProcessSites"/> run in other processes.</summary>
    public LabPeers(IEnumerable<IPAddress> otherProcessSites) =>
        this.otherProcessSites = [.. otherProcessSites.Select(Normal)];

    /// <summary>Whether a connection from <paramref name="remote"/> is the lab's own relay (this process's or another site's).</summary>
    public bool IsRelay(IPEndPoint remote) => LabRelayConnections.IsOwn(remote) || otherProcessSites.Contains(Normal(remote.Address));

    /// <summary>
    /// Whether a DNS query from <paramref name="remote"/> over <paramref name="protocol"/> is the lab's own
    /// resolver's: this process's by its registered socket (<see cref="LabResolverSockets"/>), another
    /// process's site by its address (each site's resolver asks from the site's address).
    /// </summary>
    public bool IsResolver(IPEndPoint remote, ProtocolType protocol) =>
        LabResolverSockets.IsOwn(protocol, remote) || otherProcessSites.Contains(Normal(remote.Address));

    /// <summary>
    /// Whether <paramref name="remote"/> is a resolver socket of this process (registered, so it cannot be
    /// forged by binding an address). Another process's site is known only by its address, which a
    /// workstation with raw sockets can spoof, so it is not one of these.
    /// </summary>
    public bool IsOwnResolverSocket(IPEndPoint remote, ProtocolType protocol) => LabResolverSockets.IsOwn(protocol, remote);

    private static IPAddress Normal(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
