namespace MailLab.Server.Trace;

/// <summary>A query over the in-memory trace; every criterion left null matches everything.</summary>
internal sealed record TraceQuery(
    string? Site = null,
    TraceRole? Role = null,
    string? Session = null,
    string? Message = null,
    TraceKind? Kind = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null)
{
    /// <summary>Whether an event satisfies every criterion of the query.</summary>
    public bool Matches(TraceEvent e) =>
        (Site is null || string.Equals(e.Site, Site, StringComparison.OrdinalIgnoreCase))
        && (Role is null || e.Role == Role)
        && (Session is null || e.Session == Session)
        && (Message is null || e.Message == Message)
        && (Kind is null || e.Kind == Kind)
        && (Since is null || e.Time >= Since)
        && (Until is null || e.Time <= Until);
}

/// <summary>
/// The in-memory event stream that the dashboard, HTTP API and exercise checker read: a bounded
/// ring of recent events that can be queried, and read on from a position by live readers.
/// </summary>
public sealed class TraceStream
{
    private readonly TraceEvent?[] ring;
    private readonly long[] sizes;
    private readonly Lock gate = new();
    private TaskCompletionSource? appended; // the live readers' wake-up, made when one waits
    private long count;
    private long first;
    private long bytes;

    /// <summary>
    /// Creates a stream that keeps the most recent <paramref name="capacity"/> events (about 2,500
    /// messages' worth by default) and at most <paramref name="byteBudget"/> approximate bytes of them
    /// (<see cref="TraceLimits"/>), whichever is reached first; older ones stay in trace.jsonl.
    /// </summary>
    public TraceStream(int capacity = TraceLimits.RingEvents, long byteBudget = TraceLimits.RingByteBudget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(byteBudget, 1);
        ring = new TraceEvent?[capacity];
        sizes = new long[capacity];
        ByteBudget = byteBudget;
    }

    /// <summary>How many events were ever appended (older ones may have left the ring).</summary>
    public long Count
    {
        get { lock (gate) { return count; } }
    }

    /// <summary>The approximate bytes the retained events hold (<see cref="TraceLimits.ApproximateBytes"/>).</summary>
    public long RetainedBytes
    {
        get { lock (gate) { return bytes; } }
    }

    /// <summary>The most approximate bytes the ring holds; the newest event is kept even if it alone is larger.</summary>
    public long ByteBudget { get; }

    internal void Append(TraceEvent e)
    {
        long size = TraceLimits.ApproximateBytes(e);
        TaskCompletionSource? wake;
        lock (gate)
        {
            if (count - first == ring.Length) DropOldest();
            ring[count % ring.Length] = e;
            sizes[count % ring.Length] = size;
            bytes += size;
            count++;
            while (bytes > ByteBudget && count - first > 1) DropOldest();
            (wake, appended) = (appended, null);
        }
        // One completion wakes every waiting reader; they read the ring themselves (ReadFrom), so a session's
        // Emit costs the same with 50 dashboard streams open as with none.
        wake?.TrySetResult();
    }

    private void DropOldest()
    {
        long slot = first % ring.Length;
        bytes -= sizes[slot];
        ring[slot] = null;
        first++;
    }

    /// <summary>The retained events that match the query, oldest first.</summary>
    internal IReadOnlyList<TraceEvent> Query(TraceQuery? query = null)
    {
        var result = new List<TraceEvent>();
        lock (gate)
        {
            for (long i = first; i < count; i++)
            {
                var e = ring[i % ring.Length]!;
                if (query is null || query.Matches(e))
                {
                    result.Add(e);
                }
            }
        }
        return result;
    }

    /// <summary>The retained events that match the query, oldest first, and the position just after them (for <see cref="ReadFrom"/>).</summary>
    internal IReadOnlyList<TraceEvent> Query(out long end)
    {
        var result = new List<TraceEvent>();
        lock (gate)
        {
            for (long i = first; i < count; i++) result.Add(ring[i % ring.Length]!);
            end = count;
        }
        return result;
    }

    /// <summary>
    /// Adds to <paramref name="into"/> at most <paramref name="max"/> events in the order they were appended, from
    /// append position <paramref name="position"/> on (0 is the first event ever; <see cref="Count"/> the next), and
    /// returns the position after them. Positions that left the ring are skipped: a reader too slow for the ring
    /// loses its oldest unread events and never holds the lab back.
    /// </summary>
    internal long ReadFrom(long position, List<TraceEvent> into, int max)
    {
        lock (gate)
        {
            long i = Math.Max(position, first);
            for (; i < count && max-- > 0; i++) into.Add(ring[i % ring.Length]!);
            return i;
        }
    }

    /// <summary>Completes when the stream holds more than <paramref name="seen"/> appended events (at once if it does).</summary>
    internal Task WhenAppended(long seen, CancellationToken ct)
    {
        lock (gate)
        {
            if (count > seen) return Task.CompletedTask;
            appended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return appended.Task.WaitAsync(ct);
        }
    }
}
