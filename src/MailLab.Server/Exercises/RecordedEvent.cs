using MailLab.Server.Trace;

namespace MailLab.Server.Exercises;

/// <summary>
/// A trace event as the checker sees it: the event, the lab run it belongs to (sequence numbers and
/// session ids start again in every run of the lab over one data directory) and its position in the
/// whole trace, which orders events.
/// </summary>
public sealed record RecordedEvent(TraceEvent Event, int Run, int Index)
{
    /// <summary>The session, unique across runs; null when the event has none.</summary>
    public string? SessionKey => Event.Session is null ? null : $"{Run}/{Event.Session}";

    /// <summary>
    /// Numbers in-memory events as one trace: a new run starts wherever the sequence number does not
    /// grow (the JSON file appends every run of the lab, each counting from 1).
    /// </summary>
    public static IReadOnlyList<RecordedEvent> Number(IEnumerable<TraceEvent> events)
    {
        var result = new List<RecordedEvent>();
        int run = 0;
        long last = 0;
        foreach (var e in events)
        {
            if (result.Count == 0 || e.Sequence <= last) run++;
            last = e.Sequence;
            result.Add(new RecordedEvent(e, run, result.Count));
        }
        return result;
    }
}
