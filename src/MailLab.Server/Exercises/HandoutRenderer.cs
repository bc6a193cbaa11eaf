using System.Text;
using System.Text.RegularExpressions;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;

namespace MailLab.Server.Exercises;

/// <summary>
/// Renders a handout, written for the embedded default lab, for the lab that actually runs: every
/// default address becomes the running lab's address of the same site (or of its DNS), every default
/// port next to its address becomes the running lab's port of the same listener (site, role, TLS), and
/// <c>maillab-data</c> becomes the running lab's data directory. Pure: text and listeners in, text out.
/// </summary>
/// <remarks>
/// A port is replaced only as part of an (address, port) pair of the default lab, never by a global
/// replace of "2525": the default lab uses the same port numbers at every site. A number pairs with the
/// nearest default address on its line (before it, else after it: <c>nslookup -port=1053 ... 127.0.9.1</c>),
/// else with the last one in an earlier line of the same paragraph (a table cell, a sentence that wraps).
/// Paragraphs end at blank lines and fence lines, so a command never pairs with prose around it.
/// </remarks>
public static class HandoutRenderer
{
    /// <summary>The name handouts use for the data directory (<c>maillab up</c>'s default, relative to where it runs).</summary>
    public const string DefaultDataDirectory = "maillab-data";

    /// <summary>The rendered text and what could not be mapped (one line each: a listener the running lab lacks).</summary>
    public sealed record Result(string Text, IReadOnlyList<string> Unmapped);

    private static readonly Regex Token = new(
        @"(?<addr>(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d))" +
        @"|(?<num>(?<![\w.])\d{2,5}(?![\w]|\.\d))" +
        @"|(?<data>(?<![\w./-])maillab-data(?![\w-]))",
        RegexOptions.CultureInvariant);

    private const string Attacker = "ATTACKER";

    /// <summary>
    /// The listeners a lab definition configures, as the running lab reports them in <c>listeners.json</c>
    /// (site, role, address, configured port, TLS). For the default lab: what the handouts are written against.
    /// </summary>
    public static IReadOnlyList<ListenerInfo> ConfiguredListeners(LabDefinition lab)
    {
        var list = new List<ListenerInfo>();
        foreach (var s in lab.Sites)
        {
            list.Add(new(s.Name, "MTA", s.Address, s.Ports.Mta, "starttls"));
            list.Add(new(s.Name, "MSA", s.Address, s.Ports.Submission, "starttls"));
            list.Add(new(s.Name, "MSA", s.Address, s.Ports.Submissions, "implicit"));
            if (s.Ports.Pop3 is { } pop3) list.Add(new(s.Name, "POP3", s.Address, pop3, "starttls"));
            if (s.Ports.Pop3s is { } pop3s) list.Add(new(s.Name, "POP3", s.Address, pop3s, "implicit"));
            if (s.Ports.Imap is { } imap) list.Add(new(s.Name, "IMAP", s.Address, imap, "starttls"));
            if (s.Ports.Imaps is { } imaps) list.Add(new(s.Name, "IMAP", s.Address, imaps, "implicit"));
        }
        list.Add(new("lab", "DNS", lab.Dns.Address, lab.Dns.Port, "none"));
        // After DNS: a bare 127.0.9.1 (shared by default) still maps to the DNS's address.
        list.Add(new("lab", "WEB", lab.Web.Address, lab.Web.Port, "none"));
        // The spoof-dns forger on its attacker site's address (dig @127.0.3.1 -p 1053): listed whether or not the switch is on.
        var spoof = lab.Attacks.SpoofDns;
        if (lab.Sites.FirstOrDefault(s => s.Name.Equals(spoof.Attacker, StringComparison.OrdinalIgnoreCase)) is { } attacker)
        {
            list.Add(new(attacker.Name, Attacker, attacker.Address, spoof.Port, "none"));
        }
        return list;
    }

    /// <summary>Renders <paramref name="handout"/> (written against <paramref name="defaults"/>) for the running lab.</summary>
    /// <param name="handout">The handout's Markdown.</param>
    /// <param name="defaults">The listeners the handout is written for (<see cref="ConfiguredListeners"/> of the default lab).</param>
    /// <param name="running">The running lab's listeners (its <c>listeners.json</c>).</param>
    /// <param name="dataDirectory">The running lab's data directory, put where the handout says <c>maillab-data</c>.</param>
    public static Result Render(string handout, IReadOnlyList<ListenerInfo> defaults, IReadOnlyList<ListenerInfo> running, string dataDirectory)
    {
        var map = new Mapping(defaults, running);
        var output = new StringBuilder(handout.Length + 256);
        var paragraph = new List<string>();
        // Lines keep their own line ends, so the text comes back byte for byte where nothing is mapped.
        foreach (string line in SplitKeepingEnds(handout))
        {
            string bare = line.TrimEnd('\r', '\n');
            bool boundary = bare.Trim().Length == 0 || bare.TrimStart().StartsWith("```", StringComparison.Ordinal);
            if (boundary)
            {
                RenderParagraph(paragraph, map, dataDirectory, output);
                paragraph.Clear();
                output.Append(line);
            }
            else
            {
                paragraph.Add(line);
            }
        }
        RenderParagraph(paragraph, map, dataDirectory, output);
        return new Result(output.ToString(), map.Unmapped);
    }

    private static IEnumerable<string> SplitKeepingEnds(string text)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }
        if (start < text.Length) yield return text[start..];
    }

    private sealed record Tok(int Line, int Index, int Length, string Kind, string Value);

    private static void RenderParagraph(List<string> lines, Mapping map, string dataDirectory, StringBuilder output)
    {
        if (lines.Count == 0) return;
        var tokens = new List<Tok>();
        for (int l = 0; l < lines.Count; l++)
        {
            foreach (Match m in Token.Matches(lines[l]))
            {
                string kind = m.Groups["addr"].Success ? "addr" : m.Groups["num"].Success ? "num" : "data";
                tokens.Add(new Tok(l, m.Index, m.Length, kind, m.Value));
            }
        }
        var addresses = tokens.Where(t => t.Kind == "addr" && map.IsDefaultAddress(t.Value)).ToList();
        for (int l = 0; l < lines.Count; l++)
        {
            var sb = new StringBuilder(lines[l]);
            // Right to left, so earlier indexes stay valid.
            foreach (var t in tokens.Where(t => t.Line == l).OrderByDescending(t => t.Index))
            {
                string? replacement = t.Kind switch
                {
                    "addr" => map.Address(t.Value),
                    "data" => dataDirectory,
                    _ => PortFor(t, addresses, map),
                };
                if (replacement is not null && replacement != t.Value)
                {
                    sb.Remove(t.Index, t.Length).Insert(t.Index, replacement);
                }
            }
            output.Append(sb);
        }
    }

    /// <summary>The running port for a number that is a default port of a nearby default address; null otherwise.</summary>
    private static string? PortFor(Tok number, List<Tok> addresses, Mapping map)
    {
        if (!int.TryParse(number.Value, out int port)) return null;
        var sameLine = addresses.Where(a => a.Line == number.Line).ToList();
        var candidates = sameLine.Where(a => a.Index < number.Index).OrderByDescending(a => a.Index)
            .Concat(sameLine.Where(a => a.Index > number.Index).OrderBy(a => a.Index))
            .Concat(addresses.Where(a => a.Line < number.Line).OrderByDescending(a => a.Line).ThenByDescending(a => a.Index));
        foreach (var a in candidates)
        {
            if (map.Port(a.Value, port) is { } mapped) return mapped;
        }
        return null;
    }

    /// <summary>The default lab's listeners matched to the running lab's by (site, role, TLS).</summary>
    private sealed class Mapping
    {
        private readonly IReadOnlyList<ListenerInfo> defaults;
        private readonly IReadOnlyList<ListenerInfo> running;
        private readonly SortedSet<string> unmapped = new(StringComparer.Ordinal);

        public Mapping(IReadOnlyList<ListenerInfo> defaults, IReadOnlyList<ListenerInfo> running)
        {
            this.defaults = defaults;
            this.running = running;
        }

        public IReadOnlyList<string> Unmapped => [.. unmapped];

        public bool IsDefaultAddress(string address) => defaults.Any(d => d.Address == address);

        /// <summary>The running address of the site (or DNS) the default address belongs to.</summary>
        public string? Address(string address)
        {
            var d = defaults.FirstOrDefault(x => x.Address == address);
            if (d is null) return null;
            var r = running.FirstOrDefault(x => Same(x.Site, d.Site) && (d.Role == "DNS") == (x.Role == "DNS"));
            if (r is null)
            {
                unmapped.Add(d.Role == "DNS"
                    ? $"the running lab has no DNS listener: {address} left as written"
                    : $"the running lab has no site '{d.Site}': {address} left as written");
                return null;
            }
            return r.Address;
        }

        /// <summary>The running port of the default listener at (address, port); null when the pair is not a default listener.</summary>
        public string? Port(string address, int port)
        {
            var d = defaults.FirstOrDefault(x => x.Address == address && x.Port == port);
            if (d is null) return null;
            var r = running.FirstOrDefault(x => Same(x.Site, d.Site) && Same(x.Role, d.Role) && Same(x.Tls, d.Tls));
            if (r is null && d.Role == Attacker)
            {
                // The attacker's switch is off in the running lab: left as written (the handout says to switch it on).
                return port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (r is null)
            {
                unmapped.Add($"the running lab has no {d.Role} listener ({d.Tls}) for site '{d.Site}': {address} port {port} left as written");
                return port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return r.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }
}
