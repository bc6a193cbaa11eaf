using System.Net;
using System.Net.Sockets;

namespace MailLab.MailAuth.Spf;

/// <summary>How a DNS query ended: records, no records (NXDOMAIN or empty answer: a "void" lookup), or a temporary error.</summary>
public enum DnsAnswerKind
{
    Records,
    Void,
    TempError,
}

/// <summary>One DNS answer as a value: never an exception (RFC 7208 §2.6.6 maps DNS failures to temperror).</summary>
public sealed record DnsAnswer<T>(DnsAnswerKind Kind, IReadOnlyList<T> Records, string? Error)
{
    public static DnsAnswer<T> Found(IReadOnlyList<T> records) =>
        records.Count == 0 ? None() : new(DnsAnswerKind.Records, records, null);

    public static DnsAnswer<T> None(string? detail = null) => new(DnsAnswerKind.Void, [], detail);

    public static DnsAnswer<T> Failed(string error) => new(DnsAnswerKind.TempError, [], error);
}

/// <summary>One MX record: preference and exchange name.</summary>
public sealed record MxRecord(int Preference, string Exchange);

/// <summary>The DNS the SPF evaluator may use; the evaluator does no other I/O.</summary>
public interface ISpfResolver
{
    /// <summary>TXT records of <paramref name="name"/>; each string is one record's character-strings joined.</summary>
    Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct);

    /// <summary>A records (<see cref="AddressFamily.InterNetwork"/>) or AAAA records (<see cref="AddressFamily.InterNetworkV6"/>).</summary>
    Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct);

    Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct);

    /// <summary>PTR names of the reverse name of <paramref name="address"/>.</summary>
    Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct);
}
