using MailLab.Server.Dns;
using MailLab.Server.Sites;

namespace MailLab.Server.Relay;

/// <summary>
/// Where the relay's TLS policy gets its DNS and HTTPS inputs: the TLSA RRset of an MX host and the recipient
/// domain's MTA-STS policy. The lab's is <see cref="LabTlsPolicySource"/>; <see cref="NoTlsPolicySource"/> has none.
/// </summary>
internal interface ITlsPolicySource
{
    /// <summary>
    /// The TLSA RRset of <paramref name="host"/> for SMTP, asked from <paramref name="site"/>'s resolver at
    /// <c>_25._tcp.HOST</c> (see <see cref="TlsaRecords.Port"/>).
    /// </summary>
    Task<TlsaLookup> TlsaAsync(LabSite site, string host, CancellationToken ct);

    /// <summary>The MTA-STS policy of <paramref name="domain"/> as <paramref name="site"/>'s MTA knows it (RFC 8461 §3, §5.1).</summary>
    Task<MtaStsLookup> MtaStsAsync(LabSite site, string domain, CancellationToken ct);
}

/// <summary>
/// An MTA-STS discovery: the policy in force (null: none), the TXT id, where it came from (<c>none</c>,
/// <c>fetched</c>, <c>cached</c>) and what happened on the way (a failed fetch, a policy that did not parse).
/// </summary>
internal sealed record MtaStsLookup(MtaStsPolicy? Policy, string? Id, string Source, string Detail)
{
    /// <summary>No policy.</summary>
    public static MtaStsLookup None(string detail) => new(null, null, "none", detail);
}

/// <summary>No TLSA records, no MTA-STS: every delivery is opportunistic (a lab with a fixed MX table, tests).</summary>
internal sealed class NoTlsPolicySource : ITlsPolicySource
{
    /// <summary>The one instance.</summary>
    public static readonly NoTlsPolicySource Instance = new();

    /// <inheritdoc />
    public Task<TlsaLookup> TlsaAsync(LabSite site, string host, CancellationToken ct) =>
        Task.FromResult(new TlsaLookup(TlsaRecords.OwnerName(host), [], DnssecStatus.Unchecked, false, null));

    /// <inheritdoc />
    public Task<MtaStsLookup> MtaStsAsync(LabSite site, string domain, CancellationToken ct) =>
        Task.FromResult(MtaStsLookup.None("no MTA-STS discovery here (fixed MX table)"));
}
