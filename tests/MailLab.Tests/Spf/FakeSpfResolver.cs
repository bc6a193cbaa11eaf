using System.Net;
using System.Net.Sockets;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

/// <summary>A small hand-filled ISpfResolver for unit tests; names in <see cref="Failing"/> time out.</summary>
public sealed class FakeSpfResolver : ISpfResolver
{
    public Dictionary<string, List<string>> Txt { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, List<IPAddress>> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, List<MxRecord>> Mx { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<IPAddress, List<string>> Ptr { get; } = [];
    public HashSet<string> Failing { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> Queries { get; } = [];

    public FakeSpfResolver Record(string name, string txt)
    {
        if (!Txt.TryGetValue(name, out var list)) Txt[name] = list = [];
        list.Add(txt);
        return this;
    }

    public FakeSpfResolver Address(string name, params string[] ips)
    {
        if (!Addresses.TryGetValue(name, out var list)) Addresses[name] = list = [];
        list.AddRange(ips.Select(IPAddress.Parse));
        return this;
    }

    private DnsAnswer<T> Answer<T>(string query, string name, List<T>? records)
    {
        Queries.Add(query);
        if (Failing.Contains(name)) return DnsAnswer<T>.Failed("SERVFAIL");
        return records is null ? DnsAnswer<T>.None("NXDOMAIN") : DnsAnswer<T>.Found(records);
    }

    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) =>
        Task.FromResult(Answer("TXT " + name, name, Txt.GetValueOrDefault(name)));

    public Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct) =>
        Task.FromResult(Answer((family == AddressFamily.InterNetwork ? "A " : "AAAA ") + name, name,
            Addresses.GetValueOrDefault(name)?.Where(a => a.AddressFamily == family).ToList()));

    public Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct) =>
        Task.FromResult(Answer("MX " + name, name, Mx.GetValueOrDefault(name)));

    public Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct) =>
        Task.FromResult(Answer("PTR " + address, address.ToString(), Ptr.GetValueOrDefault(address)));
}
