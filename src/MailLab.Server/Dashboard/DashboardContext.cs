using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;

namespace MailLab.Server.Dashboard;

/// <summary>
/// What every dashboard route reads: the running lab, its in-memory trace, the access mode and the
/// dashboard's shutdown. Later API modules (journey, mailboxes, DNS) take it with <see cref="Of"/>.
/// </summary>
internal sealed class DashboardContext(DashboardLab lab, TraceStream trace, bool signInRequired, CancellationToken stopping)
{
    /// <summary>Most event streams (<c>/api/trace/stream</c>) open at once; one more gets 503.</summary>
    public const int MaxStreams = 100;

    private int streams;

    /// <summary>The running lab.</summary>
    public DashboardLab Lab { get; } = lab;

    /// <summary>The in-memory trace (ring and live subscriptions).</summary>
    public TraceStream Trace { get; } = trace;

    /// <summary>Whether a sign-in is needed (bound beyond loopback, or <c>require-sign-in</c>).</summary>
    public bool SignInRequired { get; } = signInRequired;

    /// <summary>Cancelled when the dashboard stops: event streams end.</summary>
    public CancellationToken Stopping { get; } = stopping;

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

    /// <summary>Takes one of the <see cref="MaxStreams"/> stream slots; false when all are taken.</summary>
    internal bool TryOpenStream()
    {
        if (Interlocked.Increment(ref streams) <= MaxStreams) return true;
        Interlocked.Decrement(ref streams);
        return false;
    }

    /// <summary>Gives a stream slot back.</summary>
    internal void CloseStream() => Interlocked.Decrement(ref streams);
}
