using System.Globalization;

namespace MailLab.Server.Exercises;

/// <summary>
/// The result of <c>maillab exercise check</c>: each objective met or not yet, with its evidence,
/// judged from the trace a lab wrote to its data directory.
/// </summary>
public sealed record CheckReport(
    Exercise Exercise,
    IReadOnlyList<ObjectiveResult> Results,
    TraceFileReader.Result Trace,
    int EventsJudged,
    string? Student,
    DateTimeOffset? Since)
{
    /// <summary>Whether every objective is met.</summary>
    public bool AllMet => Results.All(r => r.Met);

    /// <summary>Reads the trace of <paramref name="dataDirectory"/> and judges <paramref name="exercise"/> over the events in scope.</summary>
    public static async Task<CheckReport> RunAsync(Exercise exercise, string dataDirectory, string? student, DateTimeOffset? since, CancellationToken ct = default)
    {
        var trace = await TraceFileReader.ReadAsync(dataDirectory, ct);
        IReadOnlyList<RecordedEvent> events = RecordedEvent.Number(trace.Events);
        if (student is not null) events = StudentScope.Filter(events, student);
        if (since is not null) events = events.Where(e => e.Event.Time >= since).ToList();
        return new CheckReport(exercise, ObjectiveChecker.Check(exercise, events), trace, events.Count, student, since);
    }

    /// <summary>Writes the report as people read it.</summary>
    public void Write(TextWriter o)
    {
        o.WriteLine($"exercise {Exercise.Number}: {Exercise.Title}");
        string files = Trace.Files.Count == 0 ? "no trace files (has the lab run with this --data?)" : string.Join(", ", Trace.Files);
        o.WriteLine($"trace: {files}");
        int lab = Trace.Events.Count(e => e.Origin is not null);
        var scope = new List<string> { $"{EventsJudged} of {Trace.Events.Count} events judged", $"{lab} of all are the lab's own work (Origin), credited to nobody" };
        if (Student is not null) scope.Add($"student {Student}");
        if (Since is not null) scope.Add($"since {Time(Since.Value)}");
        if (Trace.UnreadableLines > 0) scope.Add($"{Trace.UnreadableLines} unreadable lines skipped");
        o.WriteLine(string.Join("; ", scope));
        o.WriteLine();
        int width = Exercise.Objectives.Max(x => x.Id.Length);
        foreach (var r in Results)
        {
            o.WriteLine($"  {(r.Met ? "met    " : "not yet")}  {r.Objective.Id.PadRight(width)}  {r.Objective.Description}");
            string pad = new(' ', 11 + width);
            if (r.Met)
            {
                o.WriteLine($"{pad}evidence: {Evidence(r.Evidence)}");
            }
            else if (r.Matched > 0)
            {
                o.WriteLine($"{pad}so far: {Evidence(r.Evidence)}");
                o.WriteLine($"{pad}missing: {r.Objective.Events[r.Matched].Describe()}{Links(r.Objective, r.Matched)}");
            }
        }
        o.WriteLine();
        o.WriteLine($"{Results.Count(r => r.Met)} of {Results.Count} objectives met");
    }

    /// <summary>"bank MTA session C3 at 16:40:22: SpfResult, MessageReceived 8J0..." per session in the evidence.</summary>
    private static string Evidence(IReadOnlyList<RecordedEvent> events) =>
        string.Join("; ", events.GroupBy(e => (e.Event.Site, e.Event.Role, e.Event.Session)).Select(g =>
        {
            var first = g.First().Event;
            string who = first.Session is null ? $"{first.Site} {first.Role}" : $"{first.Site} {first.Role} session {first.Session}";
            if (first.Origin is not null) who += $" (the lab's {first.Origin})";
            string what = string.Join(", ", g.Select(e => e.Event.Message is null ? e.Event.Kind.ToString() : $"{e.Event.Kind} {e.Event.Message}"));
            return $"{who} at {Time(first.Time)}: {what}";
        }));

    private static string Links(Objective o, int at)
    {
        var p = o.Events[at];
        var parts = new List<string>();
        if (p.SameSessionAs is int s) parts.Add($"in the same session as {o.Events[s].Kind}");
        if (p.SameMessageAs is int m) parts.Add($"for the same message as {o.Events[m].Kind}");
        if (p.After is int a) parts.Add($"after {o.Events[a].Kind}");
        return parts.Count == 0 ? "" : " " + string.Join(", ", parts);
    }

    private static string Time(DateTimeOffset t) => t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
