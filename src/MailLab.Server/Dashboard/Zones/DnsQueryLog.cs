using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>
/// One question to the lab DNS with its answer: <c>Lab</c> true when the lab itself asked (its <c>Origin</c>,
/// usually <c>resolver</c>: the MTA's SPF, DKIM and DMARC lookups, the queue's MX lookups), false for a
/// student's <c>dig</c>. <c>Rcode</c> and <c>Answers</c> are null while the answer is not in the trace.
/// </summary>
public sealed record DnsQueryRow(long Seq, DateTimeOffset Time, string Site, string? Session, string? Client, string? Name, string? Type,
    string? Transport, bool Lab, string? Origin, string? Rcode, IReadOnlyList<string>? Answers, string? Problem);

/// <summary>The answer of <c>/api/dns/queries</c>: newest first; <c>More</c> when older ones were left out by the limit.</summary>
public sealed record DnsQueryLogPage(IReadOnlyList<DnsQueryRow> Queries, bool More);

/// <summary>Which questions the log shows.</summary>
internal enum DnsAskers
{
    /// <summary>Everyone's.</summary>
    All,

    /// <summary>Only the lab's own (events with an <c>Origin</c>).</summary>
    Lab,

    /// <summary>Only students' (events without one).</summary>
    Students,
}

/// <summary>The DNS query log: DnsQuery events of the in-memory trace paired with their DnsAnswer (same session, next answer).</summary>
internal static class DnsQueryLog
{
    /// <summary>Rows per answer when no limit is given.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Most rows per answer.</summary>
    public const int MaxLimit = 1000;

    /// <summary>
    /// The log <paramref name="viewer"/> may see: everything for the instructor (or the open dashboard); for a student,
    /// the questions asked from an address they have used (<see cref="StudentAddresses"/>), never the lab's own.
    /// </summary>
    public static DnsQueryLogPage For(DashboardContext context, DashboardViewer viewer, int limit, DnsAskers askers) =>
        viewer.SeesAll ? Build(context.Trace.Query(), limit, askers)
        : viewer.Student is { } student ? Build(context.Trace.Query(), limit, askers, student)
        : new DnsQueryLogPage([], false);

    /// <summary>
    /// The newest <paramref name="limit"/> questions among <paramref name="events"/> (oldest first, as the trace keeps them);
    /// with <paramref name="student"/>, only that student's (one pass: the addresses are gathered on the way, the rows kept at the end).
    /// </summary>
    public static DnsQueryLogPage Build(IReadOnlyList<TraceEvent> events, int limit, DnsAskers askers, string? student = null)
    {
        var rows = new List<DnsQueryRow>();
        var open = new Dictionary<string, int>(StringComparer.Ordinal); // session -> its last unanswered question
        var addresses = student is null ? null : new StudentAddresses(student);
        if (student is not null && askers == DnsAskers.Lab) return new DnsQueryLogPage([], false);
        foreach (var e in events)
        {
            if (e.Role != TraceRole.DNS)
            {
                addresses?.Read(e);
                continue;
            }
            if (e.Kind == TraceKind.DnsQuery)
            {
                bool lab = e.Origin is not null;
                if (askers == DnsAskers.Lab && !lab || (askers == DnsAskers.Students || student is not null) && lab) continue;
                if (e.Session is not null) open[e.Session] = rows.Count;
                rows.Add(new DnsQueryRow(e.Sequence, e.Time, e.Site, e.Session, e.Field("Client"), e.Field("Name"), e.Field("Type"),
                    e.Field("Transport"), lab, e.Origin, null, null, e.Field("Problem")));
            }
            else if (e.Kind == TraceKind.DnsAnswer && e.Session is not null && open.Remove(e.Session, out int at))
            {
                rows[at] = rows[at] with { Rcode = e.Field("Rcode"), Answers = Strings(e.Fields.GetValueOrDefault("Answers")) };
            }
        }
        if (addresses?.Collect() is { } mine) rows = rows.Where(r => StudentAddresses.Normal(r.Client) is { } c && mine.Contains(c)).ToList();
        var newest = rows.AsEnumerable().Reverse().Take(limit).ToList();
        return new DnsQueryLogPage(newest, rows.Count > limit);
    }

    private static IReadOnlyList<string> Strings(object? value) => value switch
    {
        string one => [one],
        IEnumerable<string> list => list.ToList(),
        System.Collections.IEnumerable items => items.Cast<object?>().Select(o => o?.ToString() ?? "").ToList(),
        _ => [],
    };
}
