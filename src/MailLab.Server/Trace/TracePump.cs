using System.Threading.Channels;

namespace MailLab.Server.Trace;

/// <summary>Where a <see cref="TracePump"/> hands events: the console lines or the JSON-lines file.</summary>
internal interface ITraceSink
{
    /// <summary>Writes (or buffers) one event; called from the pump's one thread only.</summary>
    void Emit(TraceEvent e);
}

/// <summary>
/// Hands trace events to a slow sink (console, JSON file) on one background task, so a session never
/// waits for a terminal or a disk, and the formatting is done there, off the session threads. It replaced
/// Serilog.Sinks.Async for the trace (issue 19): the reader
/// takes every queued event in one wake-up and then calls <c>afterBurst</c> once (the console's flush),
/// where the Async sink's blocking collection woke, spun and flushed per event.
/// </summary>
internal sealed class TracePump : IDisposable
{
    private readonly ITraceSink inner;
    private readonly Action? afterBurst;
    private readonly bool blockWhenFull;
    private readonly Channel<TraceEvent> channel;
    private readonly Task pump;

    /// <summary>
    /// A pump into <paramref name="inner"/> holding at most <paramref name="capacity"/> waiting events. When
    /// full, <paramref name="blockWhenFull"/> makes the emitter wait (the JSON file: the complete record);
    /// otherwise the new event is dropped for this sink only (the console: a stalled terminal never stalls mail).
    /// </summary>
    public TracePump(ITraceSink inner, int capacity, bool blockWhenFull, Action? afterBurst = null)
    {
        this.inner = inner;
        this.afterBurst = afterBurst;
        this.blockWhenFull = blockWhenFull;
        channel = Channel.CreateBounded<TraceEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        pump = Task.Factory.StartNew(PumpAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Queues <paramref name="e"/> for the sink (see the constructor for what happens when the queue is full).</summary>
    public void Emit(TraceEvent e)
    {
        if (channel.Writer.TryWrite(e) || !blockWhenFull) return;
        // Full and the sink must not lose events: wait for room, as Serilog.Sinks.Async's blockWhenFull did.
        try
        {
            channel.Writer.WriteAsync(e).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            // Disposed while waiting: the lab is stopping and the sink is closed.
        }
    }

    private async Task PumpAsync()
    {
        var reader = channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                try
                {
                    inner.Emit(e);
                }
                catch (Exception ex)
                {
                    // A failing sink (a full disk) must not end the pump: the other events still matter. Serilog
                    // reported this to its SelfLog, which is off unless enabled; the last failure is kept here.
                    LastFailure = ex;
                }
            }
            try
            {
                afterBurst?.Invoke();
            }
            catch (Exception ex)
            {
                LastFailure = ex;
            }
        }
    }

    /// <summary>The last exception the sink threw, if any (for tests and a debugger; the trace goes on).</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>Writes what is queued, then disposes the inner sink (flushes and closes the file).</summary>
    public void Dispose()
    {
        channel.Writer.TryComplete();
        pump.GetAwaiter().GetResult();
        (inner as IDisposable)?.Dispose();
    }
}
