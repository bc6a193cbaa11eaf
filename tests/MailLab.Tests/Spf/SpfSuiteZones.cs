using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Protocols.Dns;
using YamlDotNet.RepresentationModel;

namespace MailLab.Tests.Spf;

/// <summary>
/// A suite scenario's zonedata as RFC 1035 master files, one zone per top-level label (com, org, arpa ...),
/// so every name of the scenario lies in a zone; <see cref="Left"/> says what could not be written.
/// </summary>
public sealed record SpfSuiteZones(IReadOnlyDictionary<string, string> Files, IReadOnlyList<string> Left)
{
    private static readonly Dictionary<string, Dictionary<string, SpfSuiteZones>> Cache = [];

    /// <summary>The zone files of the scenario <paramref name="scenario"/> (its description) in <paramref name="file"/>.</summary>
    public static SpfSuiteZones For(string file, string scenario)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var byScenario))
            {
                byScenario = [];
                var stream = new YamlStream();
                using (var reader = new StreamReader(Path.Combine(AppContext.BaseDirectory, "Spf", "data", file))) stream.Load(reader);
                foreach (var doc in stream.Documents)
                {
                    var root = (YamlMappingNode)doc.RootNode;
                    var description = ((YamlScalarNode)root.Children[new YamlScalarNode("description")]).Value!;
                    root.Children.TryGetValue(new YamlScalarNode("zonedata"), out var zonedata);
                    byScenario[description] = Build(zonedata as YamlMappingNode);
                }
                Cache[file] = byScenario;
            }
            return byScenario[scenario];
        }
    }

    private static SpfSuiteZones Build(YamlMappingNode? zonedata)
    {
        var left = new List<string>();
        var zones = new SortedDictionary<string, StringBuilder>(StringComparer.Ordinal);
        foreach (var (key, value) in zonedata?.Children.AsEnumerable() ?? [])
        {
            string name = ((YamlScalarNode)key).Value!.TrimEnd('.').ToLowerInvariant();
            if (!IsZoneName(name))
            {
                left.Add($"{name}: not a name a zone file can hold");
                continue;
            }
            var records = new List<(string Type, YamlNode Value)>();
            HashSet<string>? beforeTimeout = null;
            foreach (var entry in ((YamlSequenceNode)value).Children)
            {
                if (entry is YamlScalarNode { Value: "TIMEOUT" })
                {
                    beforeTimeout = [.. records.Select(r => r.Type)];
                    left.Add($"{name}: TIMEOUT (the lab DNS always answers, so no temperror)");
                    continue;
                }
                foreach (var (t, v) in ((YamlMappingNode)entry).Children)
                {
                    records.Add((((YamlScalarNode)t).Value!.ToUpperInvariant(), v));
                }
            }
            // As pyspf's test resolver: SPF-type data is served as TXT where the name has no TXT. The type-99
            // SPF record itself is never asked for (RFC 7208 §3.1), so where TXT exists it is dropped.
            bool hasTxt = records.Any(r => r.Type == "TXT");
            string apex = name[(name.LastIndexOf('.') + 1)..];
            if (!zones.TryGetValue(apex, out var zone))
            {
                zone = new StringBuilder($"$TTL 300\n{apex}. SOA ns.{apex}. hostmaster.{apex}. 1 1h 15m 1w 5m\n");
                zones[apex] = zone;
            }
            foreach (var (type, v) in records)
            {
                string served = type == "SPF" && !hasTxt ? "TXT" : type;
                if (type == "SPF" && hasTxt) continue;
                if (beforeTimeout is not null && !beforeTimeout.Contains(type)) continue; // would time out
                if (Data(served, v) is { } data) zone.Append(CultureInfo.InvariantCulture, $"{name}. {served} {data}\n");
                else if (!(v is YamlScalarNode { Value: "NONE" })) left.Add($"{name}: {type} {v} cannot be written");
            }
        }
        return new SpfSuiteZones(zones.ToDictionary(z => z.Key + ".zone", z => z.Value.ToString()), left);
    }

    private static string? Data(string type, YamlNode v)
    {
        string? Scalar(YamlNode n) => (n as YamlScalarNode)?.Value;
        switch (type)
        {
            case "TXT":
                if (Scalar(v) == "NONE") return null;
                var strings = v is YamlSequenceNode seq ? seq.Children.Select(c => Scalar(c) ?? "").ToList() : [Scalar(v) ?? ""];
                // A TXT of no strings is not valid RDATA (RFC 1035 §3.3.14); one empty string reads the same, "".
                return string.Join(" ", (strings.Count == 0 ? [""] : strings).Select(Quote));
            case "A" or "AAAA":
                var family = type == "A" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                return IPAddress.TryParse(Scalar(v), out var ip) && ip.AddressFamily == family ? ip.ToString() : null;
            case "PTR" or "CNAME":
                return Target(Scalar(v));
            case "MX" when v is YamlSequenceNode { Children.Count: 2 } mx
                && ushort.TryParse(Scalar(mx.Children[0]), NumberStyles.None, CultureInfo.InvariantCulture, out ushort pref):
                return Target(Scalar(mx.Children[1])) is { } exchange ? $"{pref} {exchange}" : null;
            default:
                return null;
        }
    }

    private static string? Target(string? name)
    {
        if (name is null) return null;
        name = name.TrimEnd('.').ToLowerInvariant();
        return name.Length == 0 ? "." : IsZoneName(name) ? name + "." : null;
    }

    // What ZoneFileParser accepts as a name: labels of 1 to 63 letters, digits, '-' and '_', 253 at most.
    private static bool IsZoneName(string name) =>
        name.Length is > 0 and <= 253 && name.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    // RFC 1035 §5.1: '"' and '\' escaped, other octets outside printable ASCII as \DDD; text is UTF-8,
    // which is how the resolver decodes it again.
    private static string Quote(string text)
    {
        var b = new StringBuilder("\"");
        foreach (byte c in Encoding.UTF8.GetBytes(text))
        {
            if (c is (byte)'"' or (byte)'\\') b.Append('\\').Append((char)c);
            else if (c is < 32 or > 126) b.Append(CultureInfo.InvariantCulture, $"\\{c:D3}");
            else b.Append((char)c);
        }
        return b.Append('"').ToString();
    }
}
