using System.Threading.Channels;

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
/// ring of recent events that can be queried, plus live subscriptions.
/// </summary>
public sealed class TraceStream
{
    private readonly TraceEvent?[] ring;
    private readonly long[] sizes;
    private readonly Lock gate = new();
    private readonly List<Channel<TraceEvent>> subscribers = [];
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
        Channel<TraceEvent>[] live;
        lock (gate)
        {
            if (count - first == ring.Length) DropOldest();
            ring[count % ring.Length] = e;
            sizes[count % ring.Length] = size;
            bytes += size;
            count++;
            while (bytes > ByteBudget && count - first > 1) DropOldest();
            live = subscribers.Count == 0 ? [] : [.. subscribers];
        }
        foreach (var channel in live)
        {
            // A slow subscriber loses its oldest events (bounded channel), never stalls a session.
            channel.Writer.TryWrite(e);
        }
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

    /// <summary>
    /// Live events from now on, until <paramref name="ct"/> is cancelled. Up to
    /// <paramref name="buffer"/> events wait for a slow reader; beyond that the oldest are dropped.
    /// </summary>
    internal async IAsyncEnumerable<TraceEvent> Subscribe(
        TraceQuery? query = null,
        int buffer = 10_000,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var channel = Channel.CreateBounded<TraceEvent>(new BoundedChannelOptions(buffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (gate) { subscribers.Add(channel); }
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (query is null || query.Matches(e))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            lock (gate) { subscribers.Remove(channel); }
        }
    }
}
