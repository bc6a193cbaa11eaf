using System.Globalization;
using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// The trace's console line (docs/events.md 3.1): <see cref="TraceLogging.ConsoleTemplate"/>, written straight from a
/// <see cref="TraceEvent"/> with the characters Serilog's template formatter wrote (issue 19), every shown string
/// passed through <see cref="ConsoleEscaping"/>, and a missing session shown as an empty column.
/// </summary>
internal static class ConsoleLine
{
    /// <summary>Appends the event's line, ending with <see cref="Environment.NewLine"/>.</summary>
    public static void Append(StringBuilder sb, TraceEvent e)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(e);
        // The event's own offset, as Serilog rendered {Timestamp}: the tracer stamps UTC.
        sb.Append(CultureInfo.InvariantCulture, $"{e.Time:HH:mm:ss.fff}").Append(' ');
        Padded(sb, Shown(e, "Site", e.Site), 6);
        sb.Append(' ');
        Padded(sb, Shown(e, "Role", e.Role.ToString()), 5);
        sb.Append(' ');
        Padded(sb, Shown(e, "Session", e.Session ?? ""), 6);
        sb.Append(' ').Append(Shown(e, "Text", e.Text)).Append(Environment.NewLine);
    }

    // A field named like a shown property took its place in the Serilog event (no kind declares one: TraceContract.CommonNames).
    private static string Shown(TraceEvent e, string name, string value)
    {
        if (e.Fields.Count > 0 && e.Fields.TryGetValue(name, out var field))
        {
            value = field is null ? "null" : Convert.ToString(field, CultureInfo.InvariantCulture) ?? "";
        }
        return ConsoleEscaping.Escape(value);
    }

    // {Name,-width}: left-aligned, padded with spaces to width UTF-16 units, never cut.
    private static void Padded(StringBuilder sb, string value, int width) =>
        sb.Append(value).Append(' ', Math.Max(0, width - value.Length));
}
