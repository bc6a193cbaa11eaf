using MailLab.Server.Trace;

namespace MailLab.Server.Exercises;

/// <summary>
/// A trace event as the checker sees it: the event, the lab run it belongs to (sequence numbers and
/// session ids start again in every run of the lab over one data directory) and its position in the
/// whole trace, which orders events.
/// </summary>
public sealed record RecordedEvent(TraceEvent Event, int Run, int Index)
{
    /// <summary>The session, unique across runs; null when the event has none. Made once: the scope and the checker compare it often.</summary>
    public string? SessionKey { get; } = Event.Session is null ? null : $"{Run}/{Event.Session}";

    /// <summary>
    /// How far back a sequence number may be and still belong to the same run: the lab numbers an event
    /// before it hands it to the file sink, so two threads emitting at once can reach the file in the
    /// other order (…, 101, 100, …). A new run starts at 1 again, or far below the run's highest number.
    /// </summary>
    public const long ReorderWindow = 1000;

    /// <summary>
    /// Numbers in-memory events as one trace: a new run starts where the sequence number starts again
    /// (the JSON file appends every run of the lab, each counting from 1), not where it merely steps back
    /// within <see cref="ReorderWindow"/>, which concurrent sessions do.
    /// </summary>
    public static IReadOnlyList<RecordedEvent> Number(IEnumerable<TraceEvent> events)
    {
        var result = new List<RecordedEvent>();
        int run = 0;
        long highest = 0;
        foreach (var e in events)
        {
            if (result.Count == 0 || e.Sequence == 1 || e.Sequence + ReorderWindow < highest)
            {
                run++;
                highest = 0;
            }
            highest = Math.Max(highest, e.Sequence);
            result.Add(new RecordedEvent(e, run, result.Count));
        }
        return result;
    }
}
