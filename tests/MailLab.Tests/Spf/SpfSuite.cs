using YamlDotNet.RepresentationModel;

namespace MailLab.Tests.Spf;

/// <summary>One test case of an openspf-format suite file.</summary>
public sealed record SpfSuiteCase(
    string File, string Scenario, string Name, string Host, string MailFrom, string Helo,
    IReadOnlyList<string> Results, string? Explanation, string? Receiver, string? Header, SpfSuiteResolver Dns);

/// <summary>Loads openspf-format YAML suites (multi-document; each document: description, tests, zonedata).</summary>
public static class SpfSuite
{
    private static readonly Dictionary<string, IReadOnlyDictionary<string, SpfSuiteCase>> Cache = [];

    public static IReadOnlyDictionary<string, SpfSuiteCase> Load(string file)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(file, out var cached)) return cached;
            var path = Path.Combine(AppContext.BaseDirectory, "Spf", "data", file);
            var stream = new YamlStream();
            using (var reader = new StreamReader(path)) stream.Load(reader);
            var cases = new Dictionary<string, SpfSuiteCase>();
            foreach (var doc in stream.Documents)
            {
                var root = (YamlMappingNode)doc.RootNode;
                var scenario = Scalar(root, "description") ?? "";
                var dns = new SpfSuiteResolver(Child(root, "zonedata") as YamlMappingNode);
                foreach (var (k, v) in ((YamlMappingNode)Child(root, "tests")!).Children)
                {
                    var t = (YamlMappingNode)v;
                    var results = Child(t, "result") switch
                    {
                        YamlSequenceNode seq => seq.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
                        YamlScalarNode s => [s.Value!],
                        _ => throw new InvalidDataException("test without result"),
                    };
                    var name = ((YamlScalarNode)k).Value!;
                    cases[name] = new SpfSuiteCase(file, scenario, name, Scalar(t, "host")!, Scalar(t, "mailfrom") ?? "",
                        Scalar(t, "helo") ?? "", results, Scalar(t, "explanation"), Scalar(t, "receiver"), Scalar(t, "header"), dns);
                }
            }
            Cache[file] = cases;
            return cases;
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static string? Scalar(YamlMappingNode map, string key) => (Child(map, key) as YamlScalarNode)?.Value;
}
