using System.Text.Json;
using System.Text.Json.Serialization;
using MailLab.Server.Dashboard.Mailboxes;
using MailLab.Server.Dashboard.Zones;

namespace MailLab.Server.Dashboard;

/// <summary>
/// Every type the dashboard API writes, with its JSON options: camelCase names, enums as names, nulls left out.
/// Source-generated rather than reflected, so the serialisers are compiled once at build time and a trimmed
/// native (AOT) build writes the same JSON. An event's fields go through <see cref="TraceFieldsJsonConverter"/>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(TraceFieldsJsonConverter)])]
[JsonSerializable(typeof(DashboardApi.ApiError))]
[JsonSerializable(typeof(DashboardJson.ApiEvent))]
[JsonSerializable(typeof(DashboardJson.RowEvent))]
[JsonSerializable(typeof(LabApi.Summary))]
[JsonSerializable(typeof(TraceApi.TracePage))]
[JsonSerializable(typeof(TraceApi.RowPage))]
[JsonSerializable(typeof(SessionApi.Transcript))]
[JsonSerializable(typeof(ExerciseApi.Catalogue))]
[JsonSerializable(typeof(ExerciseApi.Grid))]
[JsonSerializable(typeof(ExerciseApi.Progress))]
[JsonSerializable(typeof(ExerciseApi.CellEvidence))]
[JsonSerializable(typeof(ReportsApi.DmarcReports))]
[JsonSerializable(typeof(ReportsApi.FailureList))]
[JsonSerializable(typeof(ReportsApi.FailureDetail))]
[JsonSerializable(typeof(ReportsApi.TlsList))]
[JsonSerializable(typeof(DmarcSeries))]
[JsonSerializable(typeof(ZonesApi.ZoneList))]
[JsonSerializable(typeof(ZonesApi.ZoneSaved))]
[JsonSerializable(typeof(ZoneCheck))]
[JsonSerializable(typeof(ZoneDetail))]
[JsonSerializable(typeof(DnsQueryLogPage))]
[JsonSerializable(typeof(MailboxList))]
[JsonSerializable(typeof(MailboxView))]
[JsonSerializable(typeof(MessagePage))]
[JsonSerializable(typeof(MessageView))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;

/// <summary>
/// The message journey API's JSON: ASP.NET Core's web defaults as it always had (enums as numbers, nulls written).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IReadOnlyList<Journey.MessageSummary>))]
[JsonSerializable(typeof(Journey.MessageJourney))]
internal sealed partial class JourneyJsonContext : JsonSerializerContext;
