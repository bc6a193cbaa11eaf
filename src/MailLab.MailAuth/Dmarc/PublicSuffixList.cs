namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// The Public Suffix List (publicsuffix.org) and RFC 7489 §3.2's organisational domain: the longest
/// matching public suffix plus one label. The list ships as data (Debian's <c>publicsuffix</c>
/// package, MPL-2.0, header kept); a lab can add its own suffixes.
/// </summary>
public sealed class PublicSuffixList
{
    private readonly HashSet<string> rules = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> wildcards = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> exceptions = new(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<PublicSuffixList> Shipped = new(() =>
    {
        using var s = typeof(PublicSuffixList).Assembly.GetManifestResourceStream("MailLab.MailAuth.public_suffix_list.dat")!;
        return Parse(new StreamReader(s).ReadToEnd());
    });

    /// <summary>Number of rules read.</summary>
    public int Count => rules.Count + wildcards.Count + exceptions.Count;

    /// <summary>The list shipped with MailLab plus <paramref name="extraSuffixes"/> (each a plain rule such as "lab.test").</summary>
    public static PublicSuffixList Load(IEnumerable<string>? extraSuffixes = null)
    {
        var extra = extraSuffixes?.ToList() ?? [];
        if (extra.Count == 0) return Shipped.Value;
        var copy = new PublicSuffixList();
        copy.rules.UnionWith(Shipped.Value.rules);
        copy.wildcards.UnionWith(Shipped.Value.wildcards);
        copy.exceptions.UnionWith(Shipped.Value.exceptions);
        foreach (var s in extra) copy.Add(s);
        return copy;
    }

    /// <summary>Reads the list format: one rule per line, "//" comments, "*." wildcards, "!" exceptions.</summary>
    public static PublicSuffixList Parse(string text)
    {
        var list = new PublicSuffixList();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var space = line.IndexOfAny([' ', '\t']);
            if (space >= 0) line = line[..space]; // the format ends a rule at the first white space
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal)) continue;
            list.Add(line);
        }
        return list;
    }

    private void Add(string rule)
    {
        rule = rule.Trim().TrimEnd('.').ToLowerInvariant();
        if (rule.StartsWith('!')) exceptions.Add(rule[1..]);
        else if (rule.StartsWith("*.", StringComparison.Ordinal)) wildcards.Add(rule[2..]);
        else if (rule.Length > 0) rules.Add(rule);
    }

    /// <summary>The public suffix of <paramref name="domain"/> (the implicit rule "*" makes an unlisted TLD one).</summary>
    public string PublicSuffix(string domain)
    {
        var labels = domain.TrimEnd('.').ToLowerInvariant().Split('.');
        // Walk from the longest candidate to the shortest; the first match has the most labels.
        for (int i = 0; i < labels.Length; i++)
        {
            var candidate = string.Join('.', labels[i..]);
            if (exceptions.Contains(candidate)) return string.Join('.', labels[(i + 1)..]);
            if (rules.Contains(candidate)) return candidate;
            if (i + 1 < labels.Length && wildcards.Contains(string.Join('.', labels[(i + 1)..]))) return candidate;
        }
        return labels[^1];
    }

    /// <summary>RFC 7489 §3.2: the public suffix plus the next label; a public suffix itself is its own.</summary>
    public string OrganizationalDomain(string domain)
    {
        var d = domain.TrimEnd('.').ToLowerInvariant();
        var suffix = PublicSuffix(d);
        if (d.Length <= suffix.Length) return d;
        var rest = d[..(d.Length - suffix.Length - 1)];
        var dot = rest.LastIndexOf('.');
        return (dot < 0 ? rest : rest[(dot + 1)..]) + "." + suffix;
    }
}
