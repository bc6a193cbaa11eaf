using MailLab.Server.Dns;
using MailLab.Server.Sites;

namespace MailLab.Server.Relay;

/// <summary>
/// The lab's TLS policy inputs: TLSA lookups and <c>_mta-sts</c> TXT lookups through each site's own resolver
/// (so they are the lab's lookups, Origin resolver), policy bodies from <see cref="MtaStsFetcher"/>, and one
/// <see cref="MtaStsCache"/> per site (each MTA keeps its own, as separate mail hosts would).
/// </summary>
internal sealed class LabTlsPolicySource(Func<LabSite, LabResolver> resolverFor, MtaStsFetcher fetcher, Func<DateTimeOffset>? clock = null) : ITlsPolicySource
{
    private readonly Dictionary<string, MtaStsCache> caches = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock gate = new();

    /// <inheritdoc />
    public Task<TlsaLookup> TlsaAsync(LabSite site, string host, CancellationToken ct) =>
        resolverFor(site).TlsaAsync(host, TlsaRecords.Port, ct);

    /// <inheritdoc />
    public async Task<MtaStsLookup> MtaStsAsync(LabSite site, string domain, CancellationToken ct)
    {
        MtaStsCache cache;
        lock (gate)
        {
            if (!caches.TryGetValue(site.Name, out cache!)) caches[site.Name] = cache = new MtaStsCache(clock ?? (() => DateTimeOffset.UtcNow));
        }
        var txt = await resolverFor(site).TxtAsync("_mta-sts." + domain, ct).ConfigureAwait(false);
        return await cache.LookupAsync(domain, txt.IsTempError ? null : txt.Values,
            token => fetcher.FetchAsync(site.Definition.IPAddress, domain, token), ct).ConfigureAwait(false);
    }
}
