using System.Text.RegularExpressions;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>A zone in <c>/api/zones</c>: its file name (never the lab machine's path), records in the file, DNSSEC, served serial.</summary>
public sealed record ZoneSummary(string Origin, string Site, string? File, int Records, bool Signed, uint Serial);

/// <summary>One record as a row: owner name (absolute), TTL, class (always IN), type and data in zone-file syntax.</summary>
public sealed record ZoneRow(string Name, uint Ttl, string Class, string Type, string Data);

/// <summary>A problem in zone text: 1-based line and column (0 and 0 when it is about the file, not a place in it).</summary>
public sealed record ZoneCheckError(int Line, int Column, string Message);

/// <summary>
/// One zone in <c>/api/zones/{origin}</c>: the rows of its file (the signer's DNSKEY, RRSIG and NSEC are not in the file),
/// the file's text (null for a student), and the file's errors when it was edited into a broken state (the last good zone stays served).
/// </summary>
public sealed record ZoneDetail(string Origin, string Site, string? File, int Records, bool Signed, uint Serial,
    IReadOnlyList<ZoneRow> Rows, string? Text, IReadOnlyList<ZoneCheckError> FileErrors);

/// <summary>The answer of a check: <c>Ok</c> when the reload would load the text.</summary>
public sealed record ZoneCheck(bool Ok, IReadOnlyList<ZoneCheckError> Errors);

/// <summary>The zones of the lab DNS as the API and pages show them, read from its <see cref="ZoneStore"/>.</summary>
internal static partial class ZoneModel
{
    /// <summary>Longest zone origin taken from a URL (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters as text).</summary>
    public const int MaxOriginLength = 253;

    [GeneratedRegex("^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?$")]
    private static partial Regex OriginSyntax();

    /// <summary>The origin of a URL, lower case without the trailing dot; null when it is not a domain name.</summary>
    public static string? ParseOrigin(string? text) =>
        text is { Length: > 0 and <= MaxOriginLength } && OriginSyntax().IsMatch(text) ? DnsNames.Normalize(text) : null;

    /// <summary>Every zone served: from a file, or made by the signer (the lab's root <c>test.</c>, no file).</summary>
    public static IReadOnlyList<ZoneSummary> List(ZoneStore store)
    {
        var loaded = store.Loaded().ToDictionary(z => z.Origin, StringComparer.Ordinal);
        return store.Current.Zones.OrderBy(z => z.Origin, StringComparer.Ordinal)
            .Select(z => Summary(z, loaded.GetValueOrDefault(z.Origin))).ToList();
    }

    /// <summary>
    /// One zone with its rows, and with <paramref name="withText"/> the file's text (its comments may name paths on
    /// the lab machine, such as where the DKIM keys are: the instructor's, not the students'); null when no such zone is served.
    /// </summary>
    public static ZoneDetail? Detail(ZoneStore store, string origin, bool withText)
    {
        if (Served(store, origin) is not { } served) return null;
        var file = store.Loaded().FirstOrDefault(z => z.Origin == origin);
        var summary = Summary(served, file);
        var rows = (file ?? served).Records.Where(r => file is not null || r.Type is not (DnsType.RRSIG or DnsType.NSEC or DnsType.DNSKEY))
            .Select(r => new ZoneRow(DnsNames.Absolute(r.Name), r.Ttl, "IN", r.Type.ToString(), r.Data.ToZoneText())).ToList();
        string? text = null, problem = null;
        if (file?.File is { } path) text = ReadText(path, out problem);
        IReadOnlyList<ZoneCheckError> errors = file?.File is not { } f ? []
            : text is null ? [new ZoneCheckError(0, 0, problem ?? "cannot read the zone file")]
            : Errors(store.Check(f, text));
        return new ZoneDetail(summary.Origin, summary.Site, summary.File, summary.Records, summary.Signed, summary.Serial, rows, withText ? text : null, errors);
    }

    /// <summary>The zone served now for <paramref name="origin"/>, signed or not.</summary>
    public static Zone? Served(ZoneStore store, string origin) => store.Current.Zones.FirstOrDefault(z => z.Origin == origin);

    /// <summary>The file a zone was read from, or null (no such zone, or the signer made it).</summary>
    public static string? FileOf(ZoneStore store, string origin) => store.Loaded().FirstOrDefault(z => z.Origin == origin)?.File;

    /// <summary>A parse result's errors as the API shows them (line, column, the problem without the file name).</summary>
    public static IReadOnlyList<ZoneCheckError> Errors(ZoneParseResult parsed) =>
        parsed.Errors.Select(e => new ZoneCheckError(e.Line, e.Column, e.Problem)).ToList();

    /// <summary>The SOA serial of a zone.</summary>
    public static uint Serial(Zone zone) => ((SoaData)zone.Soa.Data).Serial;

    private static ZoneSummary Summary(Zone served, Zone? file) =>
        new(served.Origin, served.Site, file?.File is { } f ? Path.GetFileName(f) : null,
            (file ?? served).Records.Count(r => file is not null || r.Type is not (DnsType.RRSIG or DnsType.NSEC or DnsType.DNSKEY)),
            served.Dnssec is not null, Serial(served));

    // Read as the reload reads it: no link followed, no FIFO opened, at most the reload's size cap.
    private static string? ReadText(string path, out string? problem)
    {
        problem = null;
        try
        {
            if (ZoneFileAccess.Status(path) is not { Kind: ZoneFileKind.Regular } status)
            {
                problem = "the zone file is gone or is no longer a regular file";
                return null;
            }
            var bytes = ZoneFileAccess.ReadRegular(path, status, ZoneStore.MaxZoneFileBytes, out problem);
            return bytes is null ? null : System.Text.Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read the zone file: {ZoneText.Excerpt(ex.Message)}";
            return null;
        }
    }
}
