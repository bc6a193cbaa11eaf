using MailLab.Server.Trace;

namespace MailLab.Tests.Trace;

/// <summary>Live readers (the dashboard's event streams) read the ring from their own position and wait on one shared wake-up.</summary>
public class TraceReadersTests
{
    [Fact]
    public async Task A_reader_gets_every_event_in_append_order_once_and_skips_what_left_the_ring()
    {
        var stream = new TraceStream(capacity: 4);
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1");
        var snapshot = stream.Query(out long position);
        Assert.Empty(snapshot);
        Assert.Equal(0, position);

        var waiting = stream.WhenAppended(stream.Count, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        trace.Emit(TraceKind.SessionOpened, "one");
        await waiting.WaitAsync(TimeSpan.FromSeconds(10)); // woken by the append, not by a timer
        Assert.True(stream.WhenAppended(0, CancellationToken.None).IsCompleted); // already more than 0: at once

        var read = new List<TraceEvent>();
        position = stream.ReadFrom(position, read, max: 10);
        Assert.Equal(["one"], read.Select(e => e.Text));
        Assert.Equal(1, position);
        Assert.Equal(1, stream.ReadFrom(position, read, 10)); // nothing new: the same position, nothing added
        Assert.Single(read);

        for (int i = 2; i <= 7; i++) trace.Emit(TraceKind.SessionOpened, i.ToString());
        read.Clear();
        position = stream.ReadFrom(position, read, max: 2); // events 2 and 3 left the 4-event ring: the reader goes on at 4
        Assert.Equal(["4", "5"], read.Select(e => e.Text));
        read.Clear();
        position = stream.ReadFrom(position, read, max: 10);
        Assert.Equal(["6", "7"], read.Select(e => e.Text));
        Assert.Equal(stream.Count, position);
    }

    [Fact]
    public async Task A_cancelled_wait_ends_and_leaves_the_next_wait_working()
    {
        var stream = new TraceStream();
        using var cts = new CancellationTokenSource();
        var cancelled = stream.WhenAppended(0, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var next = stream.WhenAppended(0, CancellationToken.None);
        new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1").Emit(TraceKind.SessionOpened, "x");
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
