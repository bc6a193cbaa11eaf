using MailLab.Server.Trace;

namespace MailLab.Tests.Trace;

/// <summary>Issue 19: the trace's background pump (console and JSON file) keeps every event, in order, and flushes per burst.</summary>
public sealed class TracePumpTests
{
    private static TraceEvent Event(int n) =>
        new(n, DateTimeOffset.UtcNow, "uc", TraceRole.MTA, null, null, TraceKind.CommandReceived, "x", new Dictionary<string, object?>());

    private sealed class Collect(ManualResetEventSlim? hold = null) : ITraceSink, IDisposable
    {
        public List<int> Seen { get; } = [];
        public bool Disposed { get; private set; }

        public void Emit(TraceEvent e)
        {
            hold?.Wait();
            lock (Seen) Seen.Add((int)e.Sequence);
        }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void A_blocking_pump_hands_every_event_in_order_and_flushes_and_closes_its_sink_on_dispose()
    {
        var inner = new Collect();
        int bursts = 0;
        var pump = new TracePump(inner, capacity: 16, blockWhenFull: true, () => Interlocked.Increment(ref bursts));
        for (int i = 0; i < 5000; i++) pump.Emit(Event(i));
        pump.Dispose();

        Assert.Equal(Enumerable.Range(0, 5000), inner.Seen);
        Assert.True(bursts >= 1);
        Assert.True(inner.Disposed);
    }

    [Fact]
    public void A_dropping_pump_never_stalls_the_emitter_when_its_sink_is_stuck()
    {
        using var hold = new ManualResetEventSlim(false);
        var inner = new Collect(hold);
        var pump = new TracePump(inner, capacity: 4, blockWhenFull: false);
        // The sink is stuck on the first event: the emitter must still return for all of these.
        for (int i = 0; i < 1000; i++) pump.Emit(Event(i));
        hold.Set();
        pump.Dispose();

        Assert.InRange(inner.Seen.Count, 1, 5);
        Assert.Equal(inner.Seen.Order(), inner.Seen);
    }
}
