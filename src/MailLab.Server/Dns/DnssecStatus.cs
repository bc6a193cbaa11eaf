namespace MailLab.Server.Dns;

/// <summary>
/// What DNSSEC validation said of an answer (RFC 4035 §4.3), or <see cref="Unchecked"/> when the resolver
/// does not validate (the <c>dnssec-validate</c> switch is off).
/// </summary>
public enum DnssecStatus
{
    /// <summary>Not validated: the resolver does not validate.</summary>
    Unchecked,

    /// <summary>A chain of signed DNSKEY and DS RRsets from the trust anchor reaches the answer, every signature checks.</summary>
    Secure,

    /// <summary>The chain proves the answer's zone unsigned (a signed proof that no DS exists above it).</summary>
    Insecure,

    /// <summary>The chain says the answer should be signed, but a signature, key, digest or denial does not check.</summary>
    Bogus,

    /// <summary>No trust anchor covers the name, or the chain could not be fetched.</summary>
    Indeterminate,
}

/// <summary>
/// The TLSA RRset of one service (RFC 6698 §3: <c>_PORT._tcp.HOST</c>), with its DNSSEC status. DANE for
/// SMTP (RFC 7672 §2.2) uses it only when <see cref="Status"/> is <see cref="DnssecStatus.Secure"/>.
/// </summary>
internal sealed record TlsaLookup(string Owner, IReadOnlyList<MailLab.Protocols.Dns.TlsaData> Records, DnssecStatus Status,
    bool NxDomain, string? TempError, string? BogusReason = null)
{
    /// <summary>True when the lookup could not be completed.</summary>
    public bool IsTempError => TempError is not null;
}
