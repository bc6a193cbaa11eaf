using MailLab.MailAuth.Dkim;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Dkim;

/// <summary>Key records in memory for the DKIM verifier; names in <see cref="Failing"/> give a DNS failure.</summary>
public sealed class MemoryDkimResolver : IDkimResolver
{
    public Dictionary<string, List<string>> Txt { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<string> Failing { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> Queries { get; } = [];

    public MemoryDkimResolver Record(string name, string txt)
    {
        if (!Txt.TryGetValue(name.TrimEnd('.'), out var list)) Txt[name.TrimEnd('.')] = list = [];
        list.Add(txt);
        return this;
    }

    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct)
    {
        Queries.Add(name);
        if (Failing.Contains(name)) return Task.FromResult(DnsAnswer<string>.Failed("SERVFAIL (test)"));
        return Task.FromResult(Txt.TryGetValue(name, out var list) ? DnsAnswer<string>.Found(list) : DnsAnswer<string>.None("NXDOMAIN"));
    }
}
