using MailLab.Protocols.Dns;
using MailLab.Server.Lab;

namespace MailLab.Server.Dns;

/// <summary>
/// Where a lab's zone files live: <c>&lt;data&gt;/zones</c>, which students edit. On first start it is
/// filled from the lab's <c>dns.zones</c> directory (relative to the lab file), or from the default
/// zones built into MailLab; later starts keep the data copy, so the shipped files stay pristine.
/// </summary>
internal static class LabZones
{
    private const string ResourcePrefix = "MailLab.zones.";

    /// <summary>The zone directory in <paramref name="dataDirectory"/>, created and filled if missing.</summary>
    public static string Prepare(LabDefinition lab, string dataDirectory)
    {
        string target = Path.Combine(dataDirectory, "zones");
        if (Directory.Exists(target)) return target;
        string staging = target + ".new";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        if (SourceDirectory(lab) is { } source)
        {
            foreach (string f in Directory.GetFiles(source, "*.zone"))
            {
                File.Copy(f, Path.Combine(staging, Path.GetFileName(f)));
            }
        }
        else
        {
            foreach (var (name, text) in DefaultZones())
            {
                File.WriteAllText(Path.Combine(staging, name), text);
            }
        }
        Directory.Move(staging, target); // a crash mid-copy never leaves half a zone directory
        return target;
    }

    /// <summary>The lab's own zone directory, when the lab came from a file and the directory exists.</summary>
    public static string? SourceDirectory(LabDefinition lab)
    {
        string zones = lab.Dns.Zones;
        if (Path.IsPathRooted(zones)) return Directory.Exists(zones) ? zones : null;
        if (lab.SourceFile is null || !File.Exists(lab.SourceFile)) return null;
        string dir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(lab.SourceFile))!, zones);
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>The default zones built into MailLab (lab/zones in the repository): file name and text.</summary>
    public static IEnumerable<(string Name, string Text)> DefaultZones()
    {
        var asm = typeof(LabZones).Assembly;
        foreach (string resource in asm.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order())
        {
            using var reader = new StreamReader(asm.GetManifestResourceStream(resource)!);
            yield return (resource[ResourcePrefix.Length..], reader.ReadToEnd());
        }
    }

    /// <summary>The site a zone belongs to (its origin is one of the site's domains or below), else "lab".</summary>
    public static string SiteOf(LabDefinition lab, string origin) =>
        lab.Sites.FirstOrDefault(s => s.Domains.Any(d => DnsNames.IsAtOrBelow(origin, d)))?.Name ?? "lab";
}
