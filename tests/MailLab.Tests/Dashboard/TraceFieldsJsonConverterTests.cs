using System.Text.Json;
using System.Text.Json.Serialization;
using MailLab.Server.Dashboard;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The dashboard writes an event through its source-generated context and <see cref="TraceFieldsJsonConverter"/>; before,
/// System.Text.Json reflected over the same records with these options. Both must write the same JSON for every value
/// type the trace contract allows, so the reflection serializer is this test's oracle.
/// </summary>
public sealed class TraceFieldsJsonConverterTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static TheoryData<string, object?> Values => new()
    {
        { "string", "250 2.0.0 OK <\"quoted\"> & é \u0001" },
        { "int", 550 },
        { "negative long", -4_000_000_000L },
        { "uint", 4_000_000_000U },
        { "bool", true },
        { "double", 0.1 + 0.2 },
        { "whole double", 3.0 },
        { "array", new[] { "a", "b <c>", "" } },
        { "list", new List<string> { "x", "y" } },
        { "empty list", Array.Empty<string>() },
        { "null", null },
        { "time", new DateTimeOffset(2026, 12, 7, 13, 0, 0, 123, TimeSpan.FromHours(1)) },
        { "enum", TraceRole.MTA },
        { "decimal", 12.50m },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_field_is_written_as_reflection_wrote_it(string name, object? value)
    {
        var e = new TraceEvent(3, DateTimeOffset.UnixEpoch, "bank", TraceRole.MTA, "C1", "Q1", TraceKind.ReplySent, "text",
            TraceFields.Own([("Code", 250), (name, value), ("Last", "z")]));
        var view = DashboardJson.Of(e);
        string generated = JsonSerializer.Serialize(view, DashboardJson.Info<DashboardJson.ApiEvent>());
        Assert.Equal(JsonSerializer.Serialize(view, Reflection), generated);
        Assert.Contains($"\"{name}\":", generated); // field names are data: never camel-cased
    }

    [Fact]
    public void Every_api_page_type_is_listed_on_the_context()
    {
        foreach (var type in new[] { typeof(TraceApi.TracePage), typeof(TraceApi.RowPage), typeof(DashboardJson.RowEvent), typeof(DashboardApi.ApiError) })
        {
            Assert.NotNull(DashboardJsonContext.Default.GetTypeInfo(type));
        }
        Assert.Throws<NotSupportedException>(() => DashboardJson.Info<Uri>());
    }
}
