using System.IO.Compression;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>
/// One record of a report: a source IP, how many messages, what was done, what aligned
/// (<see cref="Dkim"/>, <see cref="Spf"/>: the policy_evaluated pass/fail) and the raw results.
/// </summary>
public sealed record ReportRow(string SourceIp, long Count, string Disposition, string Dkim, string Spf, string HeaderFrom)
{
    /// <summary>auth_results' DKIM results, "domain result" each, comma-separated; "none" without a signature.</summary>
    public string DkimResults { get; init; } = "";

    /// <summary>auth_results' SPF result as "domain result".</summary>
    public string SpfResults { get; init; } = "";
}

/// <summary>An aggregate report as read back: who sent it, about which domain, the rows.</summary>
public sealed record AggregateReport(string OrgName, string ReportId, string PolicyDomain, string Policy,
    DateTimeOffset Begin, DateTimeOffset End, IReadOnlyList<ReportRow> Rows);

/// <summary>
/// Reads aggregate reports as they arrive: plain XML (RFC 9990 namespace, RFC 7489 or none), gzip,
/// zip, or a whole mail with such an attachment. Anything else is refused with a reason, never guessed.
/// </summary>
public static class AggregateReportReader
{
    /// <summary>The largest decompressed report read (RFC 9990 leaves it to the receiver; real ones are under 1 MB).</summary>
    public const int MaxReportBytes = 32 * 1024 * 1024;

    /// <summary>Every report in <paramref name="data"/> (a mail may carry several); throws <see cref="FormatException"/> with the reason.</summary>
    public static IReadOnlyList<AggregateReport> Read(byte[] data)
    {
        if (data.Length == 0) throw new FormatException("empty file");
        if (data[0] == 0x1f && data.Length > 1 && data[1] == 0x8b) return [ParseXml(Gunzip(new MemoryStream(data)))];
        if (data[0] == (byte)'P' && data.Length > 1 && data[1] == (byte)'K') return Unzip(data);
        var start = Encoding.ASCII.GetString(data, 0, Math.Min(data.Length, 200)).TrimStart('\uFEFF', ' ', '\r', '\n', '\t');
        if (start.StartsWith('<')) return [ParseXml(data)];
        return FromMail(data);
    }

    private static List<AggregateReport> FromMail(byte[] data)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(data));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"neither XML, gzip, zip nor a mail: {ex.Message}");
        }
        var reports = new List<AggregateReport>();
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            var type = part.ContentType.MimeType.ToLowerInvariant();
            var name = part.FileName?.ToLowerInvariant() ?? "";
            if (!(type.Contains("gzip") || type.Contains("zip") || type.Contains("xml") || type == "application/octet-stream"
                || name.EndsWith(".gz") || name.EndsWith(".zip") || name.EndsWith(".xml"))) continue;
            using var ms = new MemoryStream();
            part.Content?.DecodeTo(ms);
            reports.AddRange(Read(ms.ToArray()));
        }
        if (reports.Count == 0) throw new FormatException("the mail has no report attachment (xml, gzip or zip)");
        return reports;
    }

    private static List<AggregateReport> Unzip(byte[] data)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(data), ZipArchiveMode.Read);
        }
        catch (InvalidDataException ex)
        {
            throw new FormatException($"broken zip archive: {ex.Message}");
        }
        using var archive = zip;
        var xmls = zip.Entries.Where(e => e.Length > 0).ToList();
        if (xmls.Count == 0) throw new FormatException("the zip archive is empty");
        if (xmls.Count > MaxZipEntries) throw new FormatException($"the zip archive has {xmls.Count} entries, over {MaxZipEntries}");
        return xmls.Select(e =>
        {
            if (e.Length > MaxReportBytes) throw new FormatException($"{e.FullName} is over {MaxReportBytes} octets");
            // The entry's declared length is the sender's word: the copy is bounded as it inflates (a zip bomb lies).
            using var s = e.Open();
            return ParseXml(CopyBounded(s, $"{e.FullName} is over {MaxReportBytes} octets uncompressed"));
        }).ToList();
    }

    /// <summary>The most entries read from one zip archive (a report is one XML file).</summary>
    public const int MaxZipEntries = 16;

    private static byte[] CopyBounded(Stream s, string tooLarge)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        try
        {
            while ((n = s.Read(buffer)) > 0)
            {
                ms.Write(buffer, 0, n);
                if (ms.Length > MaxReportBytes) throw new FormatException(tooLarge);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new FormatException($"broken compressed data: {ex.Message}");
        }
        return ms.ToArray();
    }

    internal static byte[] Gunzip(Stream s)
    {
        using var gz = new GZipStream(s, CompressionMode.Decompress);
        return CopyBounded(gz, $"the report is over {MaxReportBytes} octets uncompressed");
    }

    /// <summary>Parses one report document; element names are matched by local name, so any namespace version reads.</summary>
    internal static AggregateReport ParseXml(byte[] xml)
    {
        XDocument doc;
        try
        {
            // Strict UTF-8: a byte that is not UTF-8 is an error, not a replacement character.
            using var reader = XmlReader.Create(new StreamReader(new MemoryStream(xml), new UTF8Encoding(false, throwOnInvalidBytes: true)),
                new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            doc = XDocument.Load(reader);
        }
        catch (Exception ex) when (ex is XmlException or DecoderFallbackException)
        {
            throw new FormatException($"not well-formed XML: {ex.Message}");
        }
        var root = doc.Root!;
        if (root.Name.LocalName != "feedback") throw new FormatException($"root element is <{root.Name.LocalName}>, not <feedback>");
        var meta = Required(root, "report_metadata");
        var policy = Required(root, "policy_published");
        var range = Required(meta, "date_range");
        var rows = new List<ReportRow>();
        foreach (var record in root.Elements().Where(e => e.Name.LocalName == "record"))
        {
            var row = Required(record, "row");
            var evaluated = Required(row, "policy_evaluated");
            var countText = Text(row, "count");
            if (!long.TryParse(countText, out var count) || count < 0) throw new FormatException($"<count> '{countText}' is not a number");
            var ids = record.Elements().FirstOrDefault(e => e.Name.LocalName == "identifiers");
            var auth = record.Elements().FirstOrDefault(e => e.Name.LocalName == "auth_results");
            rows.Add(new ReportRow(Text(row, "source_ip"), count, Text(evaluated, "disposition").ToLowerInvariant(),
                Text(evaluated, "dkim").ToLowerInvariant(), Text(evaluated, "spf").ToLowerInvariant(), ids is null ? "" : Text(ids, "header_from"))
            {
                DkimResults = Results(auth, "dkim"),
                SpfResults = Results(auth, "spf"),
            });
        }
        if (rows.Count == 0) throw new FormatException("the report has no <record>");
        return new AggregateReport(Text(meta, "org_name"), Text(meta, "report_id"), Text(policy, "domain"), Text(policy, "p"),
            Epoch(Text(range, "begin")), Epoch(Text(range, "end")), rows);
    }

    private static DateTimeOffset Epoch(string s) => long.TryParse(s.Trim(), out var n)
        ? DateTimeOffset.FromUnixTimeSeconds(n) : throw new FormatException($"'{s}' is not a time in seconds since 1970");

    private static XElement Required(XElement parent, string name) =>
        parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)
            ?? throw new FormatException($"<{parent.Name.LocalName}> has no <{name}>");

    private static string Text(XElement parent, string name) => Required(parent, name).Value.Trim();

    private static string Optional(XElement parent, string name) =>
        parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim() ?? "";

    /// <summary>"domain result" for each auth_results entry of one mechanism (RFC 9990 §3.1.1.14 shapes).</summary>
    private static string Results(XElement? auth, string mechanism)
    {
        var list = auth?.Elements().Where(e => e.Name.LocalName == mechanism)
            .Select(e => $"{Optional(e, "domain")} {Optional(e, "result").ToLowerInvariant()}".Trim()).ToList() ?? [];
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    /// <summary>
    /// The table <c>maillab dmarc report show</c> prints: one row per record, each value in its own
    /// labelled column (the raw SPF and DKIM results beside whether they aligned).
    /// </summary>
    public static string Table(AggregateReport r)
    {
        string[] head = ["source IP", "count", "header_from", "SPF result", "SPF aligned", "DKIM result", "DKIM aligned", "disposition"];
        // A report is anyone's mail: its values reach a terminal escaped, like the trace's console (issue 20 item 12).
        var rows = r.Rows.Select(x => new[]
        {
            x.SourceIp, x.Count.ToString(), x.HeaderFrom, x.SpfResults, Yes(x.Spf), x.DkimResults, Yes(x.Dkim), x.Disposition,
        }.Select(ConsoleEscaping.Escape).ToArray()).ToList();
        var widths = head.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(row => row[i].Length))).ToArray();
        var sb = new StringBuilder();
        sb.Append(ConsoleEscaping.Escape($"aggregate report {r.ReportId} from {r.OrgName} for {r.PolicyDomain} (p={r.Policy}), {r.Begin:u} .. {r.End:u}")).Append('\n');
        foreach (var line in rows.Prepend(head))
        {
            sb.Append("  ").Append(string.Join("  ", line.Select((v, i) => v.PadRight(widths[i]))).TrimEnd()).Append('\n');
        }
        long messages = r.Rows.Sum(x => x.Count);
        sb.Append($"  {r.Rows.Count} record{(r.Rows.Count == 1 ? "" : "s")}, {messages} message{(messages == 1 ? "" : "s")}\n");
        return sb.ToString();
    }

    private static string Yes(string result) => result == "pass" ? "yes" : "no";
}
