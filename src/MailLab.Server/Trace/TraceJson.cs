using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// One line of <c>trace.jsonl</c> (docs/events.md 3.2), written straight from a <see cref="TraceEvent"/>: the very
/// characters Serilog's <c>CompactJsonFormatter</c> wrote for the <c>LogEvent</c> the tracer used to build (the
/// test project keeps that pipeline as the oracle), so the exercise checker, <see cref="Dashboard.TraceFollower"/>
/// and a student's <c>jq</c> see no change. Building and formatting that event cost a fifth of the MTA's CPU (issue 19).
/// </summary>
internal static class TraceJson
{
    // JSON must escape these (RFC 8259 §7); Serilog escaped exactly these and wrote every other character as it is.
    private static readonly SearchValues<char> Special = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    /// <summary>Whether the event is written with level Warning (<c>"@l"</c>); the rest are Information, which has no <c>@l</c>.</summary>
    public static bool IsWarning(TraceKind kind) =>
        kind is TraceKind.ListenerFailed or TraceKind.DeliveryFailed or TraceKind.TlsFailed or TraceKind.ZoneReloadFailed;

    /// <summary>Appends the event's line, ending with <c>\n</c>.</summary>
    public static void Append(StringBuilder sb, TraceEvent e)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(e);
        sb.Append("{\"@t\":\"").Append(CultureInfo.InvariantCulture, $"{e.Time.UtcDateTime:O}").Append("\",\"@mt\":\"{Text}\"");
        if (IsWarning(e.Kind)) sb.Append(",\"@l\":\"Warning\"");
        var fields = TraceFields.From(e.Fields);
        bool shadowed = false;
        for (int i = 0; i < fields.Count; i++) shadowed |= IsCommon(fields.At(i).Name);
        if (shadowed)
        {
            AppendShadowed(sb, e, fields);
        }
        else
        {
            Property(sb, "Text", e.Text);
            Property(sb, "Site", e.Site);
            Property(sb, "Role", e.Role.ToString());
            Property(sb, "Kind", e.Kind.ToString());
            sb.Append(",\"Seq\":").Append(CultureInfo.InvariantCulture, $"{e.Sequence}");
            if (e.Session is not null) Property(sb, "Session", e.Session);
            if (e.Message is not null) Property(sb, "Message", e.Message);
            if (e.Origin is not null) Property(sb, "Origin", e.Origin);
            for (int i = 0; i < fields.Count; i++) Property(sb, fields.At(i).Name, fields.At(i).Value);
        }
        sb.Append("}\n");
    }

    private static bool IsCommon(string name) => name is "Text" or "Site" or "Role" or "Kind" or "Seq" or "Session" or "Message" or "Origin";

    // The common properties, in the order the LogEvent had them (as the fast path in Append writes them).
    private static IEnumerable<(string Name, object? Value)> Common(TraceEvent e)
    {
        yield return ("Text", e.Text);
        yield return ("Site", e.Site);
        yield return ("Role", e.Role.ToString());
        yield return ("Kind", e.Kind.ToString());
        yield return ("Seq", e.Sequence);
        if (e.Session is not null) yield return ("Session", e.Session);
        if (e.Message is not null) yield return ("Message", e.Message);
        if (e.Origin is not null) yield return ("Origin", e.Origin);
    }

    // A field named like a common property replaced that property's value in place (Serilog's property map kept
    // the first position of a name and the last value); no kind declares one, but a running lab does not check.
    private static void AppendShadowed(StringBuilder sb, TraceEvent e, TraceFields fields)
    {
        var all = Common(e).ToList();
        for (int i = 0; i < fields.Count; i++)
        {
            var (name, value) = fields.At(i);
            int at = all.FindIndex(p => p.Name == name);
            if (at >= 0) all[at] = (name, value); else all.Add((name, value));
        }
        foreach (var (name, value) in all) Property(sb, name, value);
    }

    private static void Property(StringBuilder sb, string name, object? value)
    {
        sb.Append(',');
        Quoted(sb, name.StartsWith('@') ? "@" + name : name); // Serilog doubled a leading '@' (its own names start with one)
        sb.Append(':');
        Value(sb, value);
    }

    /// <summary>A field value as Serilog's <c>JsonValueFormatter</c> wrote a scalar or a sequence of strings.</summary>
    private static void Value(StringBuilder sb, object? value)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string s:
                Quoted(sb, s);
                break;
            case IEnumerable<string> list:
                sb.Append('[');
                bool first = true;
                foreach (var item in list)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Value(sb, item);
                }
                sb.Append(']');
                break;
            case int or uint or long or ulong or decimal or byte or sbyte or short or ushort:
                sb.Append(inv, $"{value}");
                break;
            case double d:
                Approximate(sb, d);
                break;
            case float f when float.IsNaN(f) || float.IsInfinity(f):
                Quoted(sb, f.ToString(CultureInfo.InvariantCulture));
                break;
            case float f:
                sb.Append(inv, $"{f:R}");
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case DateTime or DateTimeOffset:
                sb.Append('"').Append(inv, $"{value:O}").Append('"');
                break;
            case TimeSpan t:
                sb.Append('"').Append(t.ToString()).Append('"');
                break;
            default:
                Quoted(sb, value.ToString() ?? "");
                break;
        }
    }

    private static void Approximate(StringBuilder sb, double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d)) Quoted(sb, d.ToString(CultureInfo.InvariantCulture));
        else sb.Append(CultureInfo.InvariantCulture, $"{d:R}");
    }

    /// <summary>A JSON string: <c>"</c>, <c>\</c> and C0 controls escaped (<c>\n \r \f \t</c>, else <c>\uXXXX</c>), the rest as it is.</summary>
    public static void Quoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        var rest = s.AsSpan();
        int at;
        while ((at = rest.IndexOfAny(Special)) >= 0)
        {
            sb.Append(rest[..at]);
            char c = rest[at];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\f': sb.Append("\\f"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)); break;
            }
            rest = rest[(at + 1)..];
        }
        sb.Append(rest).Append('"');
    }
}
