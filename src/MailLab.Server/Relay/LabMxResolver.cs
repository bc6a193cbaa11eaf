using MailLab.Server.Dns;

namespace MailLab.Server.Relay;

/// <summary>
/// The outbound relay's view of a site's lab resolver (<see cref="LabResolver.ResolveMxAsync"/>). It lives
/// here, not in Dns/, so the DNS code does not depend on the relay that uses it.
/// </summary>
internal sealed class LabMxResolver(LabResolver dns) : IMxResolver
{
    /// <inheritdoc />
    public async Task<MxLookup> ResolveAsync(string domain, CancellationToken ct)
    {
        var r = await dns.ResolveMxAsync(domain, ct).ConfigureAwait(false);
        if (r.TempError is { } reason) return new TempError(reason);
        if (r.NxDomain) return new NoSuchDomain(r.Refused ? "REFUSED" : "NXDOMAIN");
        if (r.NullMx) return new NullMx();
        return new MxHosts(r.Hosts.Select(h => new MxHost(h.Preference, h.Host, h.Addresses)).ToList()) { Dnssec = r.Dnssec };
    }
}
