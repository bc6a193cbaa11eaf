using System.Net;
using System.Net.Sockets;
using MailLab.MailAuth.Spf;
using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>
/// The SPF evaluator's DNS over the lab DNS: each <see cref="LabResolver"/> lookup becomes a
/// <see cref="DnsAnswer{T}"/>. NXDOMAIN (and REFUSED, see <see cref="LabResolver"/>) or an empty
/// answer is a void lookup (RFC 7208 §4.6.4); a failed query is a temperror (§2.6.6). DKIM key
/// lookups use the same TXT query (RFC 6376 §3.6.2).
/// </summary>
public sealed class LabSpfResolver(LabResolver resolver) : ISpfResolver, MailAuth.Dkim.IDkimResolver
{
    /// <summary>The lab resolver underneath.</summary>
    public LabResolver Resolver { get; } = resolver;

    /// <inheritdoc />
    public async Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) =>
        !DnsNames.CanExist(name) ? Invalid<string>(name) : Map(await Resolver.TxtAsync(name, ct).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct) =>
        !DnsNames.CanExist(name) ? Invalid<IPAddress>(name) : Map(await Resolver.AddressesAsync(name, family, ct).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct)
    {
        if (!DnsNames.CanExist(name)) return Invalid<MxRecord>(name);
        var r = await Resolver.MxRecordsAsync(name, ct).ConfigureAwait(false);
        return Map(new DnsLookup<MxRecord>(r.Values.Select(v => new MxRecord(v.Preference, v.Exchange)).ToList(), r.NxDomain, r.TempError));
    }

    /// <inheritdoc />
    public async Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct) =>
        Map(await Resolver.PtrAsync(address, ct).ConfigureAwait(false));

    // A name built from a record or macro that cannot exist in the DNS (an empty label, a label over
    // 63 octets) is not sent: it has no records, so the term does not match (RFC 7208 §4.3, §5).
    private static DnsAnswer<T> Invalid<T>(string name) => DnsAnswer<T>.None($"'{name}' is not a valid DNS name");

    private static DnsAnswer<T> Map<T>(DnsLookup<T> lookup)
    {
        if (lookup.TempError is { } error) return DnsAnswer<T>.Failed(error);
        if (lookup.Values.Count == 0) return DnsAnswer<T>.None(lookup.NxDomain ? "NXDOMAIN" : null);
        return DnsAnswer<T>.Found(lookup.Values);
    }
}
