using System.Collections.Immutable;
using System.Net;

namespace MailLab.Server.Sites;

/// <summary>
/// The lab's network routes between sites. Direct by default; an attack the lab plays (<c>strip-starttls</c>)
/// bends one route, so that a connection from one site's address to another's end point reaches the
/// attacker instead, as a man in the middle on the path would be reached. The connecting side does not
/// know: it still believes it talks to the end point it asked for.
/// </summary>
internal sealed class LabRoutes
{
    private ImmutableDictionary<(IPAddress From, IPEndPoint To), IPEndPoint> bent = ImmutableDictionary<(IPAddress, IPEndPoint), IPEndPoint>.Empty;

    /// <summary>Sends connections from <paramref name="from"/> to <paramref name="to"/> to <paramref name="via"/> instead.</summary>
    public void Bend(IPAddress from, IPEndPoint to, IPEndPoint via) =>
        ImmutableInterlocked.Update(ref bent, d => d.SetItem((Normal(from), Normal(to)), via));

    /// <summary>Where a connection from <paramref name="from"/> to <paramref name="to"/> really goes.</summary>
    public IPEndPoint NextHop(IPAddress from, IPEndPoint to) =>
        bent.TryGetValue((Normal(from), Normal(to)), out var via) ? via : to;

    private static IPAddress Normal(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    private static IPEndPoint Normal(IPEndPoint e) => new(Normal(e.Address), e.Port);
}
