using System.Net;
using MailLab.Server.Lab;

namespace MailLab.Server.Relay;

/// <summary>
/// An MX resolver over a fixed table (domain -> answer); a domain not in the table is NXDOMAIN.
/// Used by tests, and by <c>maillab up</c> (built from the lab's sites) until the lab DNS is wired in.
/// </summary>
internal sealed class StaticMxResolver : IMxResolver
{
    private readonly Dictionary<string, MxLookup> table;

    /// <summary>Creates a resolver answering from <paramref name="table"/> (keys compared case-insensitively).</summary>
    public StaticMxResolver(IReadOnlyDictionary<string, MxLookup> table)
    {
        this.table = new Dictionary<string, MxLookup>(StringComparer.OrdinalIgnoreCase);
        foreach (var (domain, answer) in table)
        {
            this.table[domain.TrimEnd('.')] = answer;
        }
    }

    /// <summary>Every domain of every lab site -> that site's primary host name at its address, preference 10.</summary>
    public static StaticMxResolver FromLab(LabDefinition lab)
    {
        var table = new Dictionary<string, MxLookup>(StringComparer.OrdinalIgnoreCase);
        foreach (var site in lab.Sites)
        {
            var host = new MxHost(10, site.PrimaryHostName, [site.IPAddress]);
            foreach (var domain in site.Domains)
            {
                table[domain] = new MxHosts([host]);
            }
        }
        return new StaticMxResolver(table);
    }

    /// <summary>One host per domain at one address, preference 10 (a test helper).</summary>
    public static StaticMxResolver Simple(params (string Domain, string Host, string Address)[] entries) =>
        new(entries.ToDictionary(e => e.Domain, e => (MxLookup)new MxHosts([new MxHost(10, e.Host, [IPAddress.Parse(e.Address)])])));

    /// <inheritdoc />
    public Task<MxLookup> ResolveAsync(string domain, CancellationToken ct) =>
        Task.FromResult(table.TryGetValue(domain.TrimEnd('.'), out var answer) ? answer : new NoSuchDomain());
}
