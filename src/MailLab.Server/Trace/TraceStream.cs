using System.Buffers;

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
/// Events are kept encoded (<see cref="TraceEventCodec"/>) in one byte array of <see cref="ByteBudget"/>
/// bytes, and the newest few as objects as well, so live readers and the event-stream cache get the very
/// objects the tracer made; older events are decoded when read (issue 19: held as objects, they filled the
/// GC's oldest generation with garbage).
/// </summary>
public sealed partial class TraceStream
{
    /// <summary>
    /// Most events also kept as objects while no live reader reads: about 6 messages' worth. Few enough that most
    /// events die young (at 1,024 nearly every collection was a gen1 one, issue 19).
    /// </summary>
    internal const int RecentEvents = 256;

    /// <summary>
    /// Most bytes, counted encoded, of the events kept as objects while no live reader reads (as objects they take
    /// about three times as much): only events near the caps of <see cref="TraceLimits"/> reach it before the count.
    /// </summary>
    internal const long RecentBytes = 256 * 1024;

    /// <summary>
    /// Most events kept as objects while live readers read (<see cref="ReadFrom"/> called in the last
    /// <see cref="LiveWindowMs"/>): a dashboard stream reads every 100 ms, 2,500 events at 25,000 a second, and 50
    /// streams decoding each event would cost more than the sessions that made it. Within <see cref="LiveBytes"/>.
    /// </summary>
    internal const int LiveEvents = 8192;

    /// <summary>Most bytes, counted encoded, of the events kept as objects while live readers read (about 10,000 events of the checked path).</summary>
    internal const long LiveBytes = 3 * 1024 * 1024;

    /// <summary>How long after the last <see cref="ReadFrom"/> the stream keeps <see cref="LiveEvents"/> as objects.</summary>
    internal const int LiveWindowMs = 5000;

    // Records are copied out of the array under the lock in chunks of this size, then decoded outside it.
    private const int ChunkBytes = 64 * 1024;

    private readonly byte[] log;
    private readonly int[] offsets; // per position modulo capacity: where its record starts in log
    private readonly int[] lengths;
    private readonly TraceEvent?[] recent;
    private readonly Lock gate = new();
    private TaskCompletionSource? appended; // the live readers' wake-up, made when one waits
    private long count;
    private long first;
    private long bytes;
    private int head; // where the newest record ends in log
    private long recentFirst;
    private long recentBytes;
    private long liveUntil; // Environment.TickCount64 until which live readers are assumed

    /// <summary>
    /// Creates a stream that keeps the most recent <paramref name="capacity"/> events and at most
    /// <paramref name="byteBudget"/> bytes of them encoded (<see cref="TraceLimits"/>), whichever is reached
    /// first; older ones stay in trace.jsonl.
    /// </summary>
    public TraceStream(int capacity = TraceLimits.RingEvents, long byteBudget = TraceLimits.RingByteBudget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(byteBudget, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteBudget, Array.MaxLength);
        // Uninitialised: a page of it is touched (and counted in RSS) only once the ring has reached it.
        log = GC.AllocateUninitializedArray<byte>((int)byteBudget);
        offsets = new int[capacity];
        lengths = new int[capacity];
        recent = new TraceEvent?[Math.Min(capacity, LiveEvents)];
        ByteBudget = byteBudget;
    }

    /// <summary>How many events were ever appended (older ones may have left the ring).</summary>
    public long Count
    {
        get { lock (gate) { return count; } }
    }

    /// <summary>The bytes the retained events take encoded (<see cref="TraceEventCodec"/>).</summary>
    public long RetainedBytes
    {
        get { lock (gate) { return bytes; } }
    }

    /// <summary>
    /// The most bytes the encoded events take; an event larger than this alone (impossible with the caps of
    /// <see cref="TraceLimits"/> unless the budget is tiny) is kept only while it is among the newest.
    /// </summary>
    public long ByteBudget { get; }

    internal void Append(TraceEvent e)
    {
        var encoded = TraceEventCodec.Encode(e);
        TaskCompletionSource? wake;
        lock (gate)
        {
            if (count - first == offsets.Length) DropOldest();
            int slot = (int)(count % offsets.Length);
            int at = Place(encoded.Length);
            if (at >= 0)
            {
                encoded.CopyTo(log.AsSpan(at));
                head = at + encoded.Length;
                bytes += encoded.Length;
            }
            (offsets[slot], lengths[slot]) = (at, encoded.Length); // offset -1: kept as an object only
            bool live = Environment.TickCount64 < liveUntil;
            long keep = Math.Min(live ? LiveEvents : RecentEvents, recent.Length), keepBytes = live ? LiveBytes : RecentBytes;
            while (count - recentFirst >= keep) DropRecent();
            recent[count % recent.Length] = e;
            recentBytes += encoded.Length;
            count++;
            while (recentBytes > keepBytes && count - recentFirst > 1) DropRecent();
            (wake, appended) = (appended, null);
        }
        // One completion wakes every waiting reader; they read the ring themselves (ReadFrom), so a session's
        // Emit costs the same with 50 dashboard streams open as with none.
        wake?.TrySetResult();
        if (mirror is not null) ReleaseMirrorWhenIdle();
    }

    // Where a record of n bytes goes: after the newest record, or at the start of the array when it does not fit
    // before the end; the oldest records are dropped until that space is free. -1 (kept as an object only, all
    // older records dropped) when n exceeds the whole budget.
    private int Place(int n)
    {
        if (n > log.Length)
        {
            while (count > first) DropOldest();
            return -1;
        }
        while (true)
        {
            long oldest = first;
            if (oldest < count && offsets[oldest % offsets.Length] < 0) oldest++; // only the oldest can be unstored
            if (oldest == count) return 0;
            int tail = offsets[oldest % offsets.Length];
            if (head > tail)
            {
                // Live bytes run from tail to head: free space after head, then before tail.
                if (head + n <= log.Length) return head;
                if (n <= tail) return 0;
            }
            else if (head + n <= tail)
            {
                return head; // live bytes wrap round the end: the free space is between head and tail
            }
            DropOldest();
        }
    }

    private void DropOldest()
    {
        long slot = first % offsets.Length;
        if (offsets[slot] >= 0) bytes -= lengths[slot];
        first++;
        if (recentFirst < first) DropRecent();
    }

    private void DropRecent()
    {
        long slot = recentFirst % recent.Length;
        recentBytes -= lengths[recentFirst % offsets.Length]; // a recent position is never older than first
        recent[slot] = null;
        recentFirst++;
    }

    /// <summary>The retained events that match the query, oldest first.</summary>
    internal IReadOnlyList<TraceEvent> Query(TraceQuery? query = null)
    {
        var all = Mirrored(out _);
        return query is null ? all : all.FindAll(query.Matches);
    }

    /// <summary>The retained events, oldest first, and the position just after them (for <see cref="ReadFrom"/>).</summary>
    internal IReadOnlyList<TraceEvent> Query(out long end) => Mirrored(out end);

    /// <summary>
    /// Adds to <paramref name="into"/> at most <paramref name="max"/> events in the order they were appended, from
    /// append position <paramref name="position"/> on (0 is the first event ever; <see cref="Count"/> the next), and
    /// returns the position after them. Positions that left the ring are skipped: a reader too slow for the ring
    /// loses its oldest unread events and never holds the lab back.
    /// </summary>
    internal long ReadFrom(long position, List<TraceEvent> into, int max)
    {
        lock (gate) liveUntil = Environment.TickCount64 + LiveWindowMs;
        return Read(position, max, into, null);
    }

    // The lock is held only to copy: a chunk of encoded records into a pooled buffer, or the newest events' references.
    // Decoding happens outside it, so a dashboard reading the whole ring never holds up a session's Emit for long,
    // and a reader holds at most one chunk, not a copy of the ring.
    // Adds the events from position on to into, and when positions is given, the position of each.
    private long Read(long position, int max, List<TraceEvent> into, List<long>? positions)
    {
        long end = -1;
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        Span<int> spans = stackalloc int[256];
        Span<long> at = stackalloc long[256];
        try
        {
            while (true)
            {
                int encoded = 0, copied = 0;
                TraceEvent[]? objects = null;
                lock (gate)
                {
                    long from = Math.Max(position, first);
                    if (end < 0) end = from + Math.Clamp(count - from, 0, max);
                    if (from >= end) return end;
                    if (from >= recentFirst)
                    {
                        objects = new TraceEvent[end - from];
                        for (long i = from; i < end; i++) objects[i - from] = recent[i % recent.Length]!;
                        position = from;
                    }
                    else
                    {
                        long stop = Math.Min(end, recentFirst);
                        for (position = from; position < stop && encoded < spans.Length; position++)
                        {
                            long slot = position % offsets.Length;
                            if (offsets[slot] < 0) continue; // larger than the budget, and no longer among the newest
                            int length = lengths[slot];
                            if (copied + length > chunk.Length)
                            {
                                if (copied > 0) break; // the next chunk starts with this record
                                ArrayPool<byte>.Shared.Return(chunk);
                                chunk = ArrayPool<byte>.Shared.Rent(length); // one record larger than a chunk
                            }
                            log.AsSpan(offsets[slot], length).CopyTo(chunk.AsSpan(copied));
                            copied += length;
                            at[encoded] = position;
                            spans[encoded++] = length;
                        }
                    }
                }
                if (objects is not null)
                {
                    into.AddRange(objects);
                    for (int i = 0; positions is not null && i < objects.Length; i++) positions.Add(position + i);
                    return end;
                }
                for (int i = 0, offset = 0; i < encoded; offset += spans[i++])
                {
                    into.Add(TraceEventCodec.Decode(chunk.AsSpan(offset, spans[i])));
                    positions?.Add(at[i]);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
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
