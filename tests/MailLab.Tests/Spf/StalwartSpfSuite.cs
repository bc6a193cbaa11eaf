using System.Net;
using System.Net.Sockets;
using MailLab.MailAuth.Spf;

namespace MailLab.Tests.Spf;

/// <summary>One `expect:` line of a Stalwart SPF file, with the DNS state built by the lines before it.</summary>
public sealed record StalwartSpfCase(
    string Id, string File, string Group, int Index, string Helo, string MailFrom, string Ip,
    string Result, string? Explanation, StalwartSpfZone Zone);

/// <summary>
/// Reads Stalwart mail-auth's SPF files (resources/spf/*.yml). They are not valid YAML (keys repeat and
/// line order matters), so they are read line by line as Stalwart's own driver does: DNS lines replace
/// that name's records in one resolver shared by the whole file, state lines stay set until changed,
/// and every `expect:` line is a check against the state reached so far.
/// </summary>
public static class StalwartSpfSuite
{
    /// <summary>The suite's files, in data/stalwart/.</summary>
    public static readonly string[] Files =
        ["a.yml", "all.yml", "basic.yml", "examples.yml", "exists.yml", "exp.yml",
         "include.yml", "ip.yml", "macro.yml", "mx.yml", "ptr.yml", "redirect.yml"];

    private static readonly Lazy<IReadOnlyDictionary<string, StalwartSpfCase>> All = new(LoadAll);

    /// <summary>Every check of every file, keyed by "file/group/index" (index 1-based within the group).</summary>
    public static IReadOnlyDictionary<string, StalwartSpfCase> Cases => All.Value;

    private static IReadOnlyDictionary<string, StalwartSpfCase> LoadAll()
    {
        var cases = new Dictionary<string, StalwartSpfCase>();
        foreach (var file in Files)
            foreach (var c in Load(file)) cases.Add(c.Id, c);
        return cases;
    }

    private static IEnumerable<StalwartSpfCase> Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Spf", "data", "stalwart", file);
        var zone = StalwartSpfZone.Empty;
        string group = "", helo = "", mailFrom = "", ip = "";
        var index = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            // A group name is an unindented "name:"; "- name:" inside tests only labels a sub-case.
            if (raw.StartsWith("name:", StringComparison.Ordinal))
            {
                group = raw["name:".Length..].Trim();
                index = 0;
                continue;
            }
            var line = raw.Trim();
            if (line.StartsWith('-')) line = line[1..].Trim();
            var colon = line.IndexOf(':');
            if (colon < 0 || line.StartsWith('#')) continue;
            var key = line[..colon];
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "spf" or "exp" or "a" or "aaaa" or "mx" or "ptr":
                    zone = zone.With(key, value);
                    break;
                case "domain": helo = value; break;
                case "sender": mailFrom = value; break;
                case "ip": ip = value; break;
                case "expect":
                    index++;
                    var space = value.IndexOf(' ');
                    var result = space < 0 ? value : value[..space];
                    var explanation = space < 0 ? null : value[(space + 1)..];
                    yield return new StalwartSpfCase($"{file}/{group}/{index}", file, group, index,
                        helo, mailFrom, ip, result, explanation, zone);
                    break;
            }
        }
    }
}

/// <summary>An immutable snapshot of a Stalwart file's fake DNS; each record line replaces that name's entry.</summary>
public sealed class StalwartSpfZone
{
    private readonly Dictionary<string, string> _txt;
    private readonly Dictionary<string, List<IPAddress>> _a, _aaaa;
    private readonly Dictionary<string, List<MxRecord>> _mx;
    private readonly Dictionary<IPAddress, List<string>> _ptr;

    private StalwartSpfZone(Dictionary<string, string> txt, Dictionary<string, List<IPAddress>> a,
        Dictionary<string, List<IPAddress>> aaaa, Dictionary<string, List<MxRecord>> mx, Dictionary<IPAddress, List<string>> ptr)
    {
        (_txt, _a, _aaaa, _mx, _ptr) = (txt, a, aaaa, mx, ptr);
    }

    /// <summary>A zone with no records.</summary>
    public static StalwartSpfZone Empty { get; } = new(new(StringComparer.OrdinalIgnoreCase),
        new(StringComparer.OrdinalIgnoreCase), new(StringComparer.OrdinalIgnoreCase), new(StringComparer.OrdinalIgnoreCase), []);

    private static string Name(string name) => name.Trim().TrimEnd('.');

    private static List<string> Items(string list) =>
        [.. list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>This zone plus one record line (`spf: name text`, `a: name ip, ip`, `ptr: ip name, name`, ...).</summary>
    public StalwartSpfZone With(string kind, string line)
    {
        var copy = new StalwartSpfZone(new(_txt, _txt.Comparer), new(_a, _a.Comparer), new(_aaaa, _aaaa.Comparer),
            new(_mx, _mx.Comparer), new(_ptr));
        var space = line.IndexOf(' ');
        var (owner, rest) = (line[..space], line[(space + 1)..].Trim());
        switch (kind)
        {
            case "spf" or "exp":
                copy._txt[Name(owner)] = rest;
                break;
            case "a":
                copy._a[Name(owner)] = [.. Items(rest).Select(IPAddress.Parse)];
                break;
            case "aaaa":
                copy._aaaa[Name(owner)] = [.. Items(rest).Select(IPAddress.Parse)];
                break;
            case "ptr":
                copy._ptr[IPAddress.Parse(owner)] = [.. Items(rest).Select(Name)];
                break;
            case "mx":
                // Stalwart's driver: one exchange per IP, named mx.<ip>.<index>, preference index+1.
                var mxs = new List<MxRecord>();
                foreach (var (ip, i) in Items(rest).Select((s, i) => (IPAddress.Parse(s), i)))
                {
                    var exchange = $"mx.{ip}.{i}";
                    (ip.AddressFamily == AddressFamily.InterNetwork ? copy._a : copy._aaaa)[exchange] = [ip];
                    mxs.Add(new MxRecord(i + 1, exchange));
                }
                copy._mx[Name(owner)] = mxs;
                break;
        }
        return copy;
    }

    /// <summary>A resolver over this snapshot; names containing "_dns_error." fail as Stalwart's driver does.</summary>
    public ISpfResolver Resolver() => new ZoneResolver(this);

    private sealed class ZoneResolver(StalwartSpfZone zone) : ISpfResolver
    {
        private static DnsAnswer<T> Answer<T>(string name, List<T>? records)
        {
            if (name.Contains("_dns_error.", StringComparison.OrdinalIgnoreCase)) return DnsAnswer<T>.Failed("SERVFAIL " + name);
            return records is null ? DnsAnswer<T>.None("NXDOMAIN") : DnsAnswer<T>.Found(records);
        }

        public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) =>
            Task.FromResult(Answer<string>(name, zone._txt.TryGetValue(Name(name), out var t) ? [t] : null));

        public Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct) =>
            Task.FromResult(Answer(name,
                (family == AddressFamily.InterNetwork ? zone._a : zone._aaaa).GetValueOrDefault(Name(name))));

        public Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct) =>
            Task.FromResult(Answer(name, zone._mx.GetValueOrDefault(Name(name))));

        public Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct) =>
            Task.FromResult(Answer(address.ToString(), zone._ptr.GetValueOrDefault(address)));
    }
}
