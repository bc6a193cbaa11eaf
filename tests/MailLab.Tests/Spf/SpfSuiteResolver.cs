using System.Net;
using System.Net.Sockets;
using MailLab.MailAuth.Spf;
using YamlDotNet.RepresentationModel;

namespace MailLab.Tests.Spf;

/// <summary>An in-memory ISpfResolver built from an openspf suite scenario's zonedata.</summary>
public sealed class SpfSuiteResolver : ISpfResolver
{
    private sealed class Node
    {
        public List<(string Type, string Value)> Records { get; } = [];
        public HashSet<string> SeenTypes { get; } = [];
        public HashSet<string>? TypesBeforeTimeout { get; set; }
    }

    private readonly Dictionary<string, Node> _zone = new(StringComparer.OrdinalIgnoreCase);

    public SpfSuiteResolver(YamlMappingNode? zonedata)
    {
        if (zonedata is null) return;
        foreach (var (key, value) in zonedata.Children)
        {
            var node = new Node();
            _zone[Norm(((YamlScalarNode)key).Value!)] = node;
            foreach (var entry in ((YamlSequenceNode)value).Children)
            {
                if (entry is YamlScalarNode { Value: "TIMEOUT" })
                {
                    // Only types with real records before the marker answer (pyspf testspf.py);
                    // TXT copied from SPF is served after it, so it times out too.
                    node.TypesBeforeTimeout = [.. node.Records.Select(r => r.Type)];
                    continue;
                }
                foreach (var (t, v) in ((YamlMappingNode)entry).Children)
                {
                    var type = ((YamlScalarNode)t).Value!.ToUpperInvariant();
                    node.SeenTypes.Add(type);
                    var text = v switch
                    {
                        YamlScalarNode s => s.Value ?? "",
                        // TXT: character-strings joined; MX: "pref exchange".
                        YamlSequenceNode seq => string.Join(type == "MX" ? " " : "", seq.Children.Select(c => ((YamlScalarNode)c).Value)),
                        _ => "",
                    };
                    if (text != "NONE") node.Records.Add((type, text));
                }
            }
        }
    }

    private static string Norm(string name) => name.TrimEnd('.');

    // Returns null for temperror, else the record values of that type (empty = void).
    // CNAME chains are followed (up to 8 links, which also ends loops), as pyspf's resolver does.
    private List<string>? Query(string name, string type, int depth = 0)
    {
        if (depth > 8) return [];
        if (!_zone.TryGetValue(Norm(name), out var node))
            return name.StartsWith("error.", StringComparison.OrdinalIgnoreCase) ? null : [];
        if (node.TypesBeforeTimeout is { } before && !before.Contains(type)) return null;
        var values = node.Records.Where(r => r.Type == type).Select(r => r.Value).ToList();
        if (type == "TXT" && !node.SeenTypes.Contains("TXT"))
            values = node.Records.Where(r => r.Type == "SPF").Select(r => r.Value).ToList();
        if (values.Count == 0 && node.Records.FirstOrDefault(r => r.Type == "CNAME") is { Value: { Length: > 0 } target })
            return Query(target, type, depth + 1);
        return values;
    }

    private static DnsAnswer<T> Answer<T>(List<string>? values, Func<string, T> map, string query) =>
        values is null ? DnsAnswer<T>.Failed($"timeout on {query}") : DnsAnswer<T>.Found(values.Select(map).ToList());

    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) =>
        Task.FromResult(Answer(Query(name, "TXT"), v => v, "TXT " + name));

    public Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct)
    {
        var type = family == AddressFamily.InterNetwork ? "A" : "AAAA";
        var values = Query(name, type)?.Where(v => IPAddress.TryParse(v, out _)).ToList();
        return Task.FromResult(Answer(values, IPAddress.Parse, $"{type} {name}"));
    }

    public Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct) =>
        Task.FromResult(Answer(Query(name, "MX"), v =>
        {
            var parts = v.Split(' ', 2);
            return new MxRecord(int.Parse(parts[0]), parts.Length > 1 ? parts[1] : "");
        }, "MX " + name));

    public Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct)
    {
        var name = address.AddressFamily == AddressFamily.InterNetwork
            ? string.Join('.', address.GetAddressBytes().Reverse()) + ".in-addr.arpa"
            : string.Join('.', SpfMacro.Nibbles(address).Split('.').Reverse()) + ".ip6.arpa";
        return Task.FromResult(Answer(Query(name, "PTR"), v => v, "PTR " + name));
    }
}
