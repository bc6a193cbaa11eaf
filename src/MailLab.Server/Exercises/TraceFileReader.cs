using System.Globalization;
using System.Text.Json;
using MailLab.Server.Trace;

namespace MailLab.Server.Exercises;

/// <summary>
/// Reads the trace that a lab wrote to <c>&lt;data&gt;/trace/trace.jsonl</c> (Serilog compact JSON, one
/// event per line; rolled-over files <c>trace_001.jsonl</c> ... follow it) back into trace events, so
/// objectives can be checked from another process while the lab runs, or after it stopped.
/// </summary>
public static class TraceFileReader
{
    /// <summary>What was read: the events in file order, and how many lines could not be used.</summary>
    public sealed record Result(IReadOnlyList<TraceEvent> Events, IReadOnlyList<string> Files, int UnreadableLines, int UnknownKinds);

    /// <summary>The trace files of a data directory, oldest first.</summary>
    public static IReadOnlyList<string> Files(string dataDirectory)
    {
        string dir = Path.Combine(dataDirectory, "trace");
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "trace*.jsonl")
            .Select(f => (File: f, Order: RollNumber(Path.GetFileNameWithoutExtension(f))))
            .Where(x => x.Order >= 0)
            .OrderBy(x => x.Order)
            .Select(x => x.File)
            .ToList();
    }

    /// <summary>Reads every trace file of <paramref name="dataDirectory"/>.</summary>
    public static async Task<Result> ReadAsync(string dataDirectory, CancellationToken ct = default)
    {
        var events = new List<TraceEvent>();
        int unreadable = 0, unknown = 0;
        var files = Files(dataDirectory);
        foreach (var file in files)
        {
            // The running lab holds the file open for writing: share it. Its sink flushes once a
            // second, so the last line may be half written; it is skipped, not an error.
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length == 0) continue;
                switch (ParseLine(line, out var e))
                {
                    case LineResult.Event: events.Add(e!); break;
                    case LineResult.UnknownKind: unknown++; break;
                    default: unreadable++; break;
                }
            }
        }
        return new Result(events, files, unreadable, unknown);
    }

    /// <summary>What one line of a trace file gave.</summary>
    internal enum LineResult { Event, UnknownKind, Unreadable }

    /// <summary>The common properties of a compact JSON line; everything else is a kind's own field.</summary>
    private static readonly HashSet<string> Common = ["@t", "@mt", "@l", "@m", "@x", "@i", "@r", "Text", "Site", "Role", "Kind", "Seq", "Session", "Message", "Origin"];

    /// <summary>One line of a trace file as an event (its own sequence number and session, as that process wrote them).</summary>
    internal static LineResult ParseLine(string line, out TraceEvent? e)
    {
        e = null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("Kind", out var kindProp) || !root.TryGetProperty("@t", out var timeProp)
                || !root.TryGetProperty("Role", out var roleProp) || !root.TryGetProperty("Seq", out var seqProp))
            {
                return LineResult.Unreadable;
            }
            // A kind or role this build does not know (a newer lab wrote it) cannot be in an objective.
            if (!Enum.TryParse<TraceKind>(kindProp.GetString(), out var kind) || !Enum.TryParse<TraceRole>(roleProp.GetString(), out var role))
            {
                return LineResult.UnknownKind;
            }
            var fields = new List<(string, object?)>();
            foreach (var p in root.EnumerateObject())
            {
                if (!Common.Contains(p.Name)) fields.Add((p.Name, Value(p.Value)));
            }
            e = new TraceEvent(
                seqProp.GetInt64(),
                DateTimeOffset.Parse(timeProp.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                String(root, "Site") ?? "",
                role,
                String(root, "Session"),
                String(root, "Message"),
                kind,
                String(root, "Text") ?? "",
                TraceFields.Own([.. fields]))
            {
                Origin = String(root, "Origin"),
            };
            return LineResult.Event;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return LineResult.Unreadable;
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static object? Value(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number => v.TryGetInt64(out var l) ? (object)l : v.GetDouble(), // a whole number stays an integer
        JsonValueKind.Array => v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()).ToArray(),
        _ => v.GetRawText(),
    };

    /// <summary>trace → 0, trace_001 → 1 (Serilog's roll-over names); anything else → -1.</summary>
    private static int RollNumber(string name)
    {
        if (name == "trace") return 0;
        return name.StartsWith("trace_", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;
    }
}
