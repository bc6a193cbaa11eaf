using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;

namespace MailLab.Server.Dashboard;

/// <summary>
/// What every dashboard route reads: the running lab, its in-memory trace, the access mode and the
/// dashboard's shutdown. Later API modules (journey, mailboxes, DNS) take it with <see cref="Of"/>.
/// </summary>
internal sealed class DashboardContext(DashboardLab lab, TraceStream trace, bool signInRequired, CancellationToken stopping, Tracer? tracer = null)
{
    /// <summary>Most event streams (<c>/api/trace/stream</c>) open at once; one more gets 503.</summary>
    public const int MaxStreams = 100;

    /// <summary>Most event streams one signed-in user holds at once (several tabs, a projector); one more gets 429.</summary>
    public const int MaxStreamsPerUser = 8;

    private readonly Dictionary<string, int> perUser = new(StringComparer.OrdinalIgnoreCase);
    private int streams;

    /// <summary>The running lab.</summary>
    public DashboardLab Lab { get; } = lab;

    /// <summary>The in-memory trace (ring and live subscriptions).</summary>
    public TraceStream Trace { get; } = trace;

    /// <summary>Traces what users do at the dashboard (<see cref="TraceKind.DashboardSignIn"/>); null in tests that need no events.</summary>
    public Tracer? Tracer { get; } = tracer;

    /// <summary>Whether a sign-in is needed (bound beyond loopback, or <c>require-sign-in</c>).</summary>
    public bool SignInRequired { get; } = signInRequired;

    /// <summary>Cancelled when the dashboard stops: event streams end.</summary>
    public CancellationToken Stopping { get; } = stopping;

    /// <summary>The JSON of recent events, made once for every open stream (50 projector tabs do not serialise each event 50 times).</summary>
    internal EventJsonCache StreamJson { get; } = new(DashboardJson.Of);

    /// <summary>The same for the live list's rows (<c>view=row</c>).</summary>
    internal EventJsonCache StreamRows { get; } = new(DashboardJson.RowOf);

    /// <summary>The context of a request (set by the dashboard's gate before any route runs).</summary>
    public static DashboardContext Of(HttpContext http) => (DashboardContext)http.Items[typeof(DashboardContext)]!;

    /// <summary>Who is asking: the open viewer on loopback, else the signed-in user.</summary>
    public DashboardViewer Viewer(HttpContext http) => SignInRequired ? DashboardViewer.From(http.User) : DashboardViewer.Open;

    /// <summary>The retained events <paramref name="viewer"/> may see: all of them, or a student's own.</summary>
    internal IReadOnlyList<TraceEvent> EventsFor(DashboardViewer viewer)
    {
        var all = Trace.Query();
        if (viewer.SeesAll) return all;
        if (viewer.Student is not { } student) return [];
        var mine = TraceFilter.StudentEvents(all, student);
        return all.Where(e => mine.Contains(e.Sequence)).ToList();
    }

    /// <summary>
    /// Takes one of the <see cref="MaxStreams"/> stream slots and, where users sign in, one of the viewer's
    /// <see cref="MaxStreamsPerUser"/>, so one student cannot hold every slot; the status to answer when refused
    /// (503 when the dashboard is full, 429 when the user is). On an open (loopback) dashboard there is one user.
    /// </summary>
    internal int? TryOpenStream(DashboardViewer viewer)
    {
        string? user = SignInRequired ? viewer.Name : null;
        lock (perUser)
        {
            if (streams >= MaxStreams) return StatusCodes.Status503ServiceUnavailable;
            if (user is not null)
            {
                int mine = perUser.GetValueOrDefault(user);
                if (mine >= MaxStreamsPerUser) return StatusCodes.Status429TooManyRequests;
                perUser[user] = mine + 1;
            }
            streams++;
            return null;
        }
    }

    /// <summary>Gives back the slots <see cref="TryOpenStream"/> took for <paramref name="viewer"/>.</summary>
    internal void CloseStream(DashboardViewer viewer)
    {
        string? user = SignInRequired ? viewer.Name : null;
        lock (perUser)
        {
            streams--;
            if (user is not null && perUser.TryGetValue(user, out int mine))
            {
                if (mine <= 1) perUser.Remove(user);
                else perUser[user] = mine - 1;
            }
        }
    }
}
