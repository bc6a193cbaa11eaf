using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// The trace indexed for journeys: events by queue id and by session, and the links from one hop's queue
/// id to the next hop's. How a message is followed (docs/journey.md):
/// <list type="bullet">
/// <item>Within one hop, every event after the queue id was given carries it in <c>Message</c>.</item>
/// <item>The SPF events come at MAIL time, before there is an id: they belong to the same <c>Session</c>,
/// between the transaction's <c>MAIL</c> command and its <c>MessageReceived</c>; the reply to DATA is the
/// session's first <c>ReplySent</c> after <c>MessageReceived</c>.</item>
/// <item>From one hop to the next: the relay's <c>RelayOutcome</c> names the queue id the next hop gave in its
/// <c>250 ... queued as</c> reply (<c>RemoteId</c>).</item>
/// <item>To the reader: the POP3 or IMAP <c>MailboxAccess</c> of the recipient whose UID is the one <c>LocalDelivery</c> gave.</item>
/// </list>
/// Positions in the event list order everything, so a trace read from several runs of the file (where
/// <c>Seq</c> starts again) still reads in order.
/// </summary>
internal sealed class MessageTrace
{
    private readonly Dictionary<string, List<int>> byMessage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> bySession = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> parent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> next = new(StringComparer.Ordinal);

    public MessageTrace(IEnumerable<TraceEvent> events)
    {
        Events = events as IReadOnlyList<TraceEvent> ?? events.ToList();
        for (int i = 0; i < Events.Count; i++)
        {
            var e = Events[i];
            if (e.Message is { } m) Add(byMessage, m, i);
            if (e.Session is { } s) Add(bySession, s, i);
            if (e.Kind == TraceKind.MessageReceived && e.Message is { } id) Received[id] = i;
            if (e.Kind == TraceKind.RelayOutcome && e.Message is { } from && e.Str("RemoteId") is { } to
                && to != from && !parent.ContainsKey(to))
            {
                parent[to] = from;
                if (!next.TryGetValue(from, out var list)) next[from] = list = [];
                if (!list.Contains(to)) list.Add(to);
            }
        }
    }

    /// <summary>The events, oldest first.</summary>
    public IReadOnlyList<TraceEvent> Events { get; }

    /// <summary>Queue id to the position of its <c>MessageReceived</c> (the last one if an id were ever seen twice).</summary>
    public Dictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether any event names this queue id.</summary>
    public bool Knows(string id) => byMessage.ContainsKey(id);

    /// <summary>The first hop's id of the message <paramref name="id"/> belongs to.</summary>
    public string Root(string id)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { id };
        while (parent.TryGetValue(id, out var up) && seen.Add(up)) id = up;
        return id;
    }

    /// <summary>Every hop's id from <paramref name="root"/> on, breadth first (a message to two domains forks).</summary>
    public IReadOnlyList<string> Chain(string root)
    {
        var ids = new List<string> { root };
        for (int i = 0; i < ids.Count && ids.Count < 64; i++)
        {
            if (next.TryGetValue(ids[i], out var later)) ids.AddRange(later.Where(l => !ids.Contains(l)));
        }
        return ids;
    }

    /// <summary>
    /// The positions of one hop's events: those that carry its id, and the transaction's events of the
    /// receiving session that came before the id existed (SPF) or do not carry it (the reply to DATA).
    /// </summary>
    public SortedSet<int> Hop(string id)
    {
        var set = new SortedSet<int>(byMessage.TryGetValue(id, out var own) ? own : []);
        if (Received.TryGetValue(id, out int at) && Events[at].Session is { } session && bySession.TryGetValue(session, out var s))
        {
            int k = s.BinarySearch(at);
            int start = k;
            while (start > 0 && !IsMail(Events[s[start]])) start--;
            for (int j = start; j < k; j++)
            {
                if (Events[s[j]].Message is null) set.Add(s[j]);
            }
            for (int j = k + 1; j < s.Count; j++)
            {
                var e = Events[s[j]];
                if (e.Kind == TraceKind.ReplySent && e.Message is null)
                {
                    set.Add(s[j]);
                    break;
                }
            }
        }
        return set;
    }

    /// <summary>The reply that ended DATA for the hop <paramref name="id"/>, or null when the trace has none (yet).</summary>
    public TraceEvent? DataReply(string id, SortedSet<int> hop) =>
        Received.TryGetValue(id, out int at)
            ? hop.Where(i => i > at).Select(i => Events[i]).FirstOrDefault(e => e.Kind == TraceKind.ReplySent && e.Message is null)
            : null;

    private static bool IsMail(TraceEvent e) => e.Kind == TraceKind.CommandReceived && e.Str("Verb") == "MAIL";

    private static void Add(Dictionary<string, List<int>> map, string key, int i)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(i);
    }
}

/// <summary>Typed reads of trace fields, whether the event came from the in-memory stream or from trace.jsonl.</summary>
internal static class TraceFieldReads
{
    public static string? Str(this TraceEvent e, string name) => e.Field(name);

    public static int? Int(this TraceEvent e, string name) =>
        e.Fields.TryGetValue(name, out var v) && v is not null && long.TryParse(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture), out var l)
            ? (int)Math.Clamp(l, int.MinValue, int.MaxValue) : null;

    public static bool? Bool(this TraceEvent e, string name) =>
        e.Fields.TryGetValue(name, out var v) && v is bool b ? b : null;

    public static IReadOnlyList<string> List(this TraceEvent e, string name) =>
        e.Fields.TryGetValue(name, out var v) && v is not string && v is IEnumerable<string> list ? list.ToList() : [];
}
