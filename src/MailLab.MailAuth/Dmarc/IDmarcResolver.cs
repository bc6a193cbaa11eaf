using System.Net.Sockets;
using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dmarc;

/// <summary>The DNS the DMARC evaluator may use; it does no other I/O.</summary>
public interface IDmarcResolver
{
    /// <summary>TXT records of <paramref name="name"/>; each string is one record's character-strings joined.</summary>
    Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct);

    /// <summary>
    /// Whether <paramref name="name"/> exists for np= (RFC 9989 §4.7: a domain is non-existent when
    /// A, AAAA and MX all give NXDOMAIN or no data): Records = exists, Void = does not, TempError = unknown.
    /// </summary>
    Task<DnsAnswerKind> ExistsAsync(string name, CancellationToken ct);
}

/// <summary>DMARC's DNS over an <see cref="ISpfResolver"/> (the lab already has one for SPF).</summary>
public sealed class SpfBackedDmarcResolver(ISpfResolver dns) : IDmarcResolver
{
    /// <inheritdoc />
    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) => dns.LookupTxtAsync(name, ct);

    /// <inheritdoc />
    public async Task<DnsAnswerKind> ExistsAsync(string name, CancellationToken ct)
    {
        var a = await dns.LookupAddressesAsync(name, AddressFamily.InterNetwork, ct).ConfigureAwait(false);
        if (a.Kind == DnsAnswerKind.Records) return DnsAnswerKind.Records;
        var aaaa = await dns.LookupAddressesAsync(name, AddressFamily.InterNetworkV6, ct).ConfigureAwait(false);
        if (aaaa.Kind == DnsAnswerKind.Records) return DnsAnswerKind.Records;
        var mx = await dns.LookupMxAsync(name, ct).ConfigureAwait(false);
        if (mx.Kind == DnsAnswerKind.Records) return DnsAnswerKind.Records;
        return a.Kind == DnsAnswerKind.TempError || aaaa.Kind == DnsAnswerKind.TempError || mx.Kind == DnsAnswerKind.TempError
            ? DnsAnswerKind.TempError : DnsAnswerKind.Void;
    }
}
