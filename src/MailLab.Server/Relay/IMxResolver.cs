using System.Net;

namespace MailLab.Server.Relay;

/// <summary>
/// What the outbound relay needs from DNS: the mail exchangers of a domain. The lab DNS resolver
/// answers it through <see cref="LabMxResolver"/>; <see cref="StaticMxResolver"/> is a fixed table for tests and for labs without DNS.
/// </summary>
public interface IMxResolver
{
    /// <summary>Looks up where mail for <paramref name="domain"/> goes. Never throws for DNS outcomes; they are values.</summary>
    Task<MxLookup> ResolveAsync(string domain, CancellationToken ct);
}

/// <summary>One mail exchanger: its MX preference, host name and addresses.</summary>
internal sealed record MxHost(int Preference, string Name, IReadOnlyList<IPAddress> Addresses);

/// <summary>The outcome of an MX lookup: hosts, null MX, no such domain, or a temporary error.</summary>
public abstract record MxLookup
{
    /// <summary>Short name of the outcome for the trace: hosts, null-mx, nxdomain, temperror.</summary>
    public abstract string Outcome { get; }
}

/// <summary>
/// Mail exchangers in the order to try them (lowest preference first, RFC 5321 §5.1). When a domain
/// has no MX, the resolver returns its A/AAAA as one host of preference 0 (the implicit MX).
/// </summary>
internal sealed record MxHosts(IReadOnlyList<MxHost> Hosts) : MxLookup
{
    /// <inheritdoc />
    public override string Outcome => "hosts";

    /// <summary>The DNSSEC status of the MX RRset (RFC 7672 §2.2.1); <see cref="Dns.DnssecStatus.Unchecked"/> without validation.</summary>
    public Dns.DnssecStatus Dnssec { get; init; }

    /// <summary>The hosts ordered by preference; equal preferences keep their given order.</summary>
    public IEnumerable<MxHost> Ordered => Hosts.OrderBy(h => h.Preference);
}

/// <summary>RFC 7505 null MX ("MX 0 ."): the domain accepts no mail; fail at once.</summary>
internal sealed record NullMx : MxLookup
{
    /// <inheritdoc />
    public override string Outcome => "null-mx";
}

/// <summary>
/// The domain does not exist; a permanent failure. <paramref name="Rcode"/> is what the DNS said:
/// NXDOMAIN, or REFUSED for a name outside every lab zone (the lab DNS is the lab's whole DNS).
/// </summary>
internal sealed record NoSuchDomain(string Rcode = "NXDOMAIN") : MxLookup
{
    /// <inheritdoc />
    public override string Outcome => "nxdomain";
}

/// <summary>A temporary DNS failure (SERVFAIL, timeout): try again later.</summary>
internal sealed record TempError(string Reason) : MxLookup
{
    /// <inheritdoc />
    public override string Outcome => "temperror";
}
