using System.Threading.Channels;
using Serilog.Core;
using Serilog.Events;

namespace MailLab.Server.Trace;

/// <summary>
/// Hands trace events to a slow sink (console, JSON file) on one background task, so a session never
/// waits for a terminal or a disk. It replaces Serilog.Sinks.Async for the trace (issue 19): the reader
/// takes every queued event in one wake-up and then calls <c>afterBurst</c> once (the console's flush),
/// where the Async sink's blocking collection woke, spun and flushed per event.
/// </summary>
internal sealed class TracePump : ILogEventSink, IDisposable
{
    private readonly ILogEventSink inner;
    private readonly Action? afterBurst;
    private readonly bool blockWhenFull;
    private readonly Channel<LogEvent> channel;
    private readonly Task pump;

    /// <summary>
    /// A pump into <paramref name="inner"/> holding at most <paramref name="capacity"/> waiting events. When
    /// full, <paramref name="blockWhenFull"/> makes the emitter wait (the JSON file: the complete record);
    /// otherwise the new event is dropped for this sink only (the console: a stalled terminal never stalls mail).
    /// </summary>
    public TracePump(ILogEventSink inner, int capacity, bool blockWhenFull, Action? afterBurst = null)
    {
        this.inner = inner;
        this.afterBurst = afterBurst;
        this.blockWhenFull = blockWhenFull;
        channel = Channel.CreateBounded<LogEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        pump = Task.Factory.StartNew(PumpAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <inheritdoc/>
    public void Emit(LogEvent logEvent)
    {
        if (channel.Writer.TryWrite(logEvent) || !blockWhenFull) return;
        // Full and the sink must not lose events: wait for room, as Serilog.Sinks.Async's blockWhenFull did.
        try
        {
            channel.Writer.WriteAsync(logEvent).AsTask().GetAwaiter().GetResult();
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
                    // A failing sink must not end the pump (the other events still matter); Serilog's own rule.
                    Serilog.Debugging.SelfLog.WriteLine("trace sink failed: {0}", ex);
                }
            }
            try
            {
                afterBurst?.Invoke();
            }
            catch (Exception ex)
            {
                Serilog.Debugging.SelfLog.WriteLine("trace sink flush failed: {0}", ex);
            }
        }
    }

    /// <summary>Writes what is queued, then disposes the inner sink (flushes and closes the file).</summary>
    public void Dispose()
    {
        channel.Writer.TryComplete();
        pump.GetAwaiter().GetResult();
        (inner as IDisposable)?.Dispose();
    }
}
