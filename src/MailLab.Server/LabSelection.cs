using MailLab.Server.Lab;

namespace MailLab.Server;

/// <summary>
/// Which parts of a lab one process runs (<c>maillab up --only</c>): some sites by name and/or the
/// lab DNS. The parts not run are still known: their domains route by MX through the lab DNS.
/// </summary>
public sealed record LabSelection(IReadOnlySet<string> Sites, bool Dns)
{
    /// <summary>The name that selects the lab DNS in <c>--only</c>.</summary>
    public const string DnsName = "dns";

    /// <summary>Whether site <paramref name="name"/> runs in this process.</summary>
    public bool Includes(string name) => Sites.Contains(name);

    /// <summary>Every site and the DNS (what <c>maillab up</c> runs without <c>--only</c>).</summary>
    public static LabSelection All(LabDefinition lab) =>
        new(lab.Sites.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase), true);

    /// <summary>
    /// Parses a comma-separated list of site names and <c>dns</c>. Returns null and an error naming
    /// the first unknown (or empty) name and the valid ones.
    /// </summary>
    public static LabSelection? Parse(LabDefinition lab, string list, out string? error)
    {
        error = null;
        var sites = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        bool dns = false;
        foreach (string raw in list.Split(','))
        {
            string name = raw.Trim();
            // A site called "dns" would be ambiguous; the name means the lab DNS.
            if (name.Equals(DnsName, StringComparison.OrdinalIgnoreCase))
            {
                dns = true;
                continue;
            }
            var site = lab.Sites.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (site is null)
            {
                string valid = string.Join(", ", lab.Sites.Select(s => s.Name).Append(DnsName));
                error = name.Length == 0
                    ? $"--only '{list}': empty name (give site names and/or dns, comma-separated: {valid})"
                    : $"--only: '{name}' is neither a site of lab '{lab.Name}' nor dns (valid: {valid})";
                return null;
            }
            sites.Add(site.Name);
        }
        return new LabSelection(sites, dns);
    }
}
