using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailLab.Server.Reports;

/// <summary>A line of the DMARC report log: camelCase names (source-generated: see <see cref="Listeners.ListenerJson"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DmarcReportEntry))]
internal sealed partial class ReportLogJson : JsonSerializerContext;

/// <summary>An archived aggregate report (<see cref="SentReportArchive"/>): the web defaults.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SentReport))]
internal sealed partial class SentReportJson : JsonSerializerContext;
