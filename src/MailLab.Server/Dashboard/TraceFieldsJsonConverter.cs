using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailLab.Server.Dashboard;

/// <summary>
/// Writes a trace event's fields as one JSON object, in emission order. The values are what the trace contract
/// allows (strings, whole numbers, numbers, booleans, lists of strings: <see cref="Trace.TraceContract"/>), written
/// as System.Text.Json writes those types; anything else is written as its text, as trace.jsonl does.
/// The API only writes fields, so reading is not supported. Not <see cref="Trace.TraceJson"/>, which writes trace.jsonl
/// with Serilog's escaping: the API keeps System.Text.Json's (non-ASCII, <c>&lt;</c>, <c>&amp;</c> escaped) as it always had.
/// </summary>
internal sealed class TraceFieldsJsonConverter : JsonConverter<IReadOnlyDictionary<string, object?>>
{
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, object?> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("the dashboard API does not read trace fields");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, object?> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, field) in value)
        {
            writer.WritePropertyName(name);
            WriteValue(writer, field);
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case uint u: writer.WriteNumberValue(u); break;
            case ulong ul: writer.WriteNumberValue(ul); break;
            case short or ushort or byte or sbyte: writer.WriteNumberValue(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): writer.WriteNumberValue(f); break;
            case DateTimeOffset t: writer.WriteStringValue(t); break;
            case DateTime t: writer.WriteStringValue(t); break;
            case IEnumerable<string?> list:
                writer.WriteStartArray();
                foreach (var item in list) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(value.ToString()); break; // an enum's name, a TimeSpan's "c" text, NaN
        }
    }
}
