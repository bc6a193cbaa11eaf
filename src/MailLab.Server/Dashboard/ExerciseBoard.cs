using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard;

/// <summary>One row of the grid: a student, known by a lab address (their logins) or by the IP address they connect from.</summary>
/// <param name="Student">The address as <c>maillab exercise check --student</c> takes it.</param>
/// <param name="Kind"><c>address</c> (a lab user) or <c>ip</c> (a client address seen in the trace).</param>
internal sealed record GridStudent(string Student, string Kind);

/// <summary>
/// The exercises judged over the dashboard's in-memory trace with the same code as <c>maillab exercise check</c>
/// (<see cref="StudentScope"/> then <see cref="ObjectiveChecker"/>). The judging is cached per trace state: a
/// request while no event arrived reuses the last <see cref="Snapshot"/>, so polling pages cost nothing
/// between events, and one snapshot serves every viewer. A snapshot whose judging took long (a full ring, a
/// class of rows) is kept for twice that time even when events arrive, so the grid of a busy lab costs at most
/// about a third of a core however often it is polled.
/// </summary>
internal sealed class ExerciseBoard
{
    /// <summary>Most client IP addresses listed as rows (the lab's users always are); beyond it the grid says how many more.</summary>
    public const int MaxAddressRows = 200;

    private static readonly ConditionalWeakTable<DashboardContext, ExerciseBoard> Boards = new();

    /// <summary>Judging cheaper than this is redone at every change (a small lab's grid is always current).</summary>
    public static readonly TimeSpan CheapJudging = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest a changed trace waits for a new snapshot.</summary>
    public static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(30);

    private readonly DashboardContext context;
    private readonly ExerciseCatalogWatch watch;
    private readonly Lock gate = new();
    private Snapshot? current;

    /// <summary>The clock (milliseconds) snapshots are aged and the catalogue is looked at by; a test sets its own.</summary>
    internal Func<long> Clock { get; set; } = () => Environment.TickCount64;

    private ExerciseBoard(DashboardContext context, string directory)
    {
        this.context = context;
        watch = new ExerciseCatalogWatch(directory, () => Clock());
    }

    /// <summary>
    /// The board of a running dashboard, over the exercises <c>maillab exercise list</c> finds; the catalogue is read
    /// when the board is first asked and again whenever the directory changed (<see cref="ExerciseCatalogWatch"/>).
    /// </summary>
    public static ExerciseBoard Of(DashboardContext context) => Of(context, ExerciseCatalog.Locate(null));

    /// <summary>The board of <paramref name="context"/> over <paramref name="directory"/>, when it is the first asked (tests); else the existing board.</summary>
    internal static ExerciseBoard Of(DashboardContext context, string directory) => Boards.GetValue(context, c => new ExerciseBoard(c, directory));

    /// <summary>The exercises the dashboard shows, as the directory holds them now (looked at at most once a second).</summary>
    public ExerciseCatalog Catalog => watch.Current;

    /// <summary>The exercise whose number is <paramref name="id"/> (digits only), or null.</summary>
    public Exercise? Find(string id) =>
        id.Length is > 0 and <= 4 && id.All(char.IsAsciiDigit) ? Catalog.Find(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)) : null;

    /// <summary>The trace as it is now, judged lazily; the same object until an event is added to the ring.</summary>
    public Snapshot Now()
    {
        lock (gate)
        {
            long count = context.Trace.Count, now = Clock();
            if (current is null || (current.Count != count && now - current.Taken >= Lag(current.Cost).TotalMilliseconds))
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                current = new Snapshot(count, context.Trace.Query(), context.Lab.Definition.Sites.SelectMany(s => s.Users).Select(u => u.Address).ToList(), now);
                current.Charge(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
            return current;
        }
    }

    /// <summary>How long a snapshot that cost <paramref name="cost"/> to build and judge is kept while the trace changes.</summary>
    internal static TimeSpan Lag(TimeSpan cost) => cost < CheapJudging ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(2 * cost.Ticks, MaxLag.Ticks));

    /// <summary>
    /// The retained events at one moment, numbered once, with each student's scope and each verdict computed at
    /// most once (and only when asked).
    /// </summary>
    internal sealed class Snapshot
    {
        private readonly ConcurrentDictionary<string, IReadOnlyList<RecordedEvent>> scopes = new(StringComparer.OrdinalIgnoreCase);
        // By the exercise itself, not its number: a catalogue read again has new Exercise objects (record equality
        // compares the objectives list by reference), so a changed exercise is never answered with an old verdict.
        private readonly ConcurrentDictionary<(Exercise, string), IReadOnlyList<ObjectiveResult>> verdicts = new();

        private long costTicks;

        public Snapshot(long count, IReadOnlyList<TraceEvent> events, IReadOnlyList<string> users, long taken = 0)
        {
            Count = count;
            Taken = taken;
            Events = RecordedEvent.Number(events);
            LastSeq = events.Count == 0 ? 0 : events.Max(e => e.Sequence);
            var rows = users.Distinct(StringComparer.OrdinalIgnoreCase).Select(u => new GridStudent(u, "address")).ToList();
            var clients = ClientAddresses(events);
            MoreAddresses = Math.Max(0, clients.Count - MaxAddressRows);
            rows.AddRange(clients.Take(MaxAddressRows).Select(ip => new GridStudent(ip, "ip")));
            Students = rows;
        }

        /// <summary>How many events the trace had ever appended when this was taken (the cache key).</summary>
        public long Count { get; }

        /// <summary>When it was taken, by the board's clock.</summary>
        public long Taken { get; }

        /// <summary>The time spent building it and judging in it so far.</summary>
        public TimeSpan Cost => TimeSpan.FromTicks(Interlocked.Read(ref costTicks));

        /// <summary>Adds <paramref name="spent"/> to <see cref="Cost"/>.</summary>
        internal void Charge(TimeSpan spent) => Interlocked.Add(ref costTicks, spent.Ticks);

        /// <summary>The newest sequence number judged (0: none).</summary>
        public long LastSeq { get; }

        /// <summary>The retained events, numbered as the checker numbers a trace file.</summary>
        public IReadOnlyList<RecordedEvent> Events { get; }

        /// <summary>The rows: the lab's users, then the client addresses of students' connections, in address order.</summary>
        public IReadOnlyList<GridStudent> Students { get; }

        /// <summary>Client addresses left out past <see cref="MaxAddressRows"/>.</summary>
        public int MoreAddresses { get; }

        /// <summary><paramref name="student"/>'s events, as <c>maillab exercise check --student</c> scopes them.</summary>
        public IReadOnlyList<RecordedEvent> Scope(string student) => scopes.GetOrAdd(student, s => StudentScope.Filter(Events, s));

        /// <summary>Every objective of <paramref name="exercise"/> judged over <paramref name="student"/>'s events.</summary>
        public IReadOnlyList<ObjectiveResult> Judge(Exercise exercise, string student) =>
            verdicts.GetOrAdd((exercise, student.ToLowerInvariant()), _ =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = ObjectiveChecker.Check(exercise, Scope(student));
                Charge(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                return result;
            });

        /// <summary>
        /// The addresses students connected from: every event a connection from outside the lab caused (no
        /// <see cref="TraceEvent.Origin"/>) naming a <c>Client</c> IP, as <see cref="StudentScope"/> reads it.
        /// </summary>
        private static List<string> ClientAddresses(IReadOnlyList<TraceEvent> events)
        {
            var seen = new HashSet<IPAddress>();
            foreach (var e in events)
            {
                if (e.Origin is null && e.Field("Client") is { } client && IPAddress.TryParse(client, out var ip))
                {
                    seen.Add(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
                }
            }
            return seen.OrderBy(ip => ip.AddressFamily).ThenBy(ip => ip.GetAddressBytes(), ByteOrder.Instance).Select(ip => ip.ToString()).ToList();
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceCompareTo(y);
    }
}
