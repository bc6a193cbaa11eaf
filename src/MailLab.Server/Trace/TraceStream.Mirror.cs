namespace MailLab.Server.Trace;

/// <summary>
/// The decoded copy of the ring that whole-ring queries read (<see cref="Query(TraceQuery?)"/>): the dashboard's pages,
/// its exercise grid and the HTTP API ask for every retained event, often several times a second in a classroom, and
/// decoding 30,000 events each time took 130-200 ms. The copy is brought up to date by decoding only the events
/// appended since the last query, and is let go once nobody queried for <see cref="MirrorWindowMs"/>; a lab that
/// nobody watches holds only the encoded ring.
/// </summary>
public sealed partial class TraceStream
{
    /// <summary>How long after the last whole-ring query its decoded copy is kept (30 s; tests set less).</summary>
    internal int MirrorWindowMs { get; init; } = 30_000;

    private readonly Lock mirrorGate = new();
    private TraceEvent?[]? mirror; // by position modulo capacity; null where an event was never read
    private long mirrorFirst; // the copy holds positions [mirrorFirst, mirrorEnd)
    private long mirrorEnd;
    private long mirrorUntil; // Environment.TickCount64; written under mirrorGate

    /// <summary>Whether the decoded copy exists now (tests).</summary>
    internal bool Mirroring => Volatile.Read(ref mirror) is not null;

    private List<TraceEvent> Mirrored(out long end)
    {
        lock (mirrorGate)
        {
            Volatile.Write(ref mirrorUntil, Environment.TickCount64 + MirrorWindowMs);
            if (mirror is not { } m)
            {
                m = mirror = new TraceEvent?[offsets.Length];
                mirrorFirst = mirrorEnd = 0;
            }
            var fresh = new List<TraceEvent>();
            var positions = new List<long>();
            end = Read(mirrorEnd, int.MaxValue, fresh, positions);
            long oldest;
            lock (gate) oldest = first;
            // Forget what left the ring (the reads above may have raced with appends: positions below oldest are gone).
            if (mirrorEnd <= oldest || oldest - mirrorFirst >= m.Length)
            {
                Array.Clear(m);
                mirrorFirst = oldest;
            }
            for (; mirrorFirst < oldest; mirrorFirst++) m[mirrorFirst % m.Length] = null;
            for (int i = 0; i < fresh.Count; i++)
            {
                if (positions[i] >= mirrorFirst) m[positions[i] % m.Length] = fresh[i];
            }
            mirrorEnd = Math.Max(Math.Max(mirrorEnd, end), mirrorFirst);

            var result = new List<TraceEvent>((int)(mirrorEnd - mirrorFirst));
            for (long p = mirrorFirst; p < mirrorEnd; p++)
            {
                // Null: an event too large for the ring's bytes that was no longer among the newest when read.
                if (m[p % m.Length] is { } e) result.Add(e);
            }
            return result;
        }
    }

    // Called after an append while a copy exists: a query in progress keeps it (TryEnter fails, and it renews the window).
    private void ReleaseMirrorWhenIdle()
    {
        if (Environment.TickCount64 <= Volatile.Read(ref mirrorUntil) || !mirrorGate.TryEnter()) return;
        try
        {
            if (Environment.TickCount64 > mirrorUntil) mirror = null;
        }
        finally
        {
            mirrorGate.Exit();
        }
    }
}
