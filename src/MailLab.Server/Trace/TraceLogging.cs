namespace MailLab.Server.Trace;

/// <summary>
/// Builds the trace's writers: readable console lines and the JSON-lines file (docs/events.md 3.1, 3.2). Each has
/// its own <see cref="TracePump"/>, which formats the <see cref="TraceEvent"/>s on its thread: no Serilog event is
/// built per trace event any more (issue 19), the bytes written are those Serilog wrote.
/// </summary>
public static class TraceLogging
{
    /// <summary>
    /// Console line: time, site, role, session and the event's text, as a Serilog output template (the format
    /// <see cref="ConsoleLine"/> writes). No queue-id column: in Serilog's templates {Message} was the rendered message.
    /// </summary>
    public const string ConsoleTemplate = "{Timestamp:HH:mm:ss.fff} {Site,-6} {Role,-5} {Session,-6} {Text}{NewLine}";

    /// <summary>
    /// Writers to the console (when <paramref name="console"/>) and to <c>&lt;dataDir&gt;/trace/trace.jsonl</c>.
    /// Both are asynchronous so a slow terminal never stalls an SMTP session.
    /// </summary>
    public static TraceLog Create(string dataDirectory, bool console)
    {
        if (!console) return Build(dataDirectory, null);
        // Whole lines in writes of at most PIPE_BUF, once per burst (LineBatchSink), to a terminal as to a pipe.
        // Serilog's console sink coloured a terminal's lines with its Literate theme: every column the same grey
        // (SecondaryText) and the spaces between them darker, so the colours told nothing and are not kept.
        var lines = new LineBatchSink(Console.OpenStandardOutput());
        return Build(dataDirectory, new TracePump(lines, capacity: 50_000, blockWhenFull: false, lines.Flush));
    }

    /// <summary>
    /// The same writers with the console lines written to <paramref name="console"/> instead of the
    /// terminal (tests read what a student's console would show).
    /// </summary>
    public static TraceLog Create(string dataDirectory, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return Build(dataDirectory, new TracePump(new WriterSink(console), capacity: 50_000, blockWhenFull: false));
    }

    private sealed class WriterSink(TextWriter writer) : ITraceSink
    {
        private readonly System.Text.StringBuilder line = new();

        public void Emit(TraceEvent e)
        {
            line.Clear();
            ConsoleLine.Append(line, e);
            lock (writer) writer.Write(line);
        }
    }

    // The console drops events when its queue is full (a stalled terminal never stalls mail); the file, the
    // complete record, makes the emitter wait.
    private static TraceLog Build(string dataDirectory, TracePump? console) =>
        new(console, new TracePump(new TraceFile(Path.Combine(dataDirectory, "trace")), capacity: 50_000, blockWhenFull: true));
}

/// <summary>
/// The trace's writers made by <see cref="TraceLogging.Create(string, bool)"/>, given to a <see cref="Tracer"/>.
/// Disposing writes what is queued and closes the file.
/// </summary>
public sealed class TraceLog : IDisposable, IAsyncDisposable
{
    private readonly TracePump? console;
    private readonly TracePump file;
    private int disposed;

    internal TraceLog(TracePump? console, TracePump file)
    {
        this.console = console;
        this.file = file;
    }

    /// <summary>Queues <paramref name="e"/> for the console and the file.</summary>
    internal void Write(TraceEvent e)
    {
        console?.Emit(e);
        file.Emit(e);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        console?.Dispose();
        file.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
