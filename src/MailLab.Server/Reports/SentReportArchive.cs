using System.Text.Json;

namespace MailLab.Server.Reports;

/// <summary>
/// One aggregate report as the lab generated it: the reporting site, when, where it went (or why not) and its XML.
/// </summary>
public sealed record SentReport(string Site, DateTimeOffset Time, IReadOnlyList<string> SentTo, IReadOnlyList<string> Refused,
    string? QueueId, string Xml);

/// <summary>
/// A copy of each aggregate report the lab generated, in <c>&lt;data&gt;/dmarc/.sent/</c> (one JSON file a report, the
/// newest <see cref="Kept"/> kept), so the dashboard can show what was sent after the queue has delivered and forgotten it.
/// </summary>
public static class SentReportArchive
{
    /// <summary>The archive's directory under <c>&lt;data&gt;/dmarc</c> (a dot: never taken for a site's directory).</summary>
    public const string DirectoryName = ".sent";

    /// <summary>How many reports are kept; older ones are deleted as new ones come.</summary>
    public const int Kept = 200;

    /// <summary>Writes <paramref name="report"/> (whole or not at all: written aside, then renamed) and prunes; false on an I/O error.</summary>
    public static bool Save(string dmarcDirectory, SentReport report)
    {
        try
        {
            var dir = Directory.CreateDirectory(Path.Combine(dmarcDirectory, DirectoryName)).FullName;
            var name = $"{report.Time.UtcTicks:D20}-{Guid.NewGuid():N}.json";
            var temp = Path.Combine(dir, name + ".tmp");
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(report, SentReportJson.Default.SentReport));
            File.Move(temp, Path.Combine(dir, name));
            foreach (var old in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).SkipLast(Kept)) File.Delete(old);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The archived reports, newest first; files that do not read (torn, too large) are skipped.</summary>
    public static IReadOnlyList<SentReport> Load(string dmarcDirectory)
    {
        var dir = Path.Combine(dmarcDirectory, DirectoryName);
        if (!Directory.Exists(dir)) return [];
        var list = new List<SentReport>();
        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).Reverse().Take(Kept))
        {
            try
            {
                if (new FileInfo(file).Length > AggregateReportReader.MaxReportBytes) continue;
                if (JsonSerializer.Deserialize(File.ReadAllBytes(file), SentReportJson.Default.SentReport) is { Xml: not null } r) list.Add(r);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                // Pruned by a concurrent save, or torn: the others still show.
            }
        }
        return list;
    }
}
