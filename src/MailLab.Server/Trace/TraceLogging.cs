using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Formatting.Compact;

namespace MailLab.Server.Trace;

/// <summary>Builds the Serilog pipeline for trace events: readable console lines and a JSON-lines file.</summary>
public static class TraceLogging
{
    /// <summary>
    /// Console line: time, site, role, session and the event's text. (No queue-id column: in a
    /// Serilog template {Message} is the rendered message, not our Message property.)
    /// </summary>
    public const string ConsoleTemplate = "{Timestamp:HH:mm:ss.fff} {Site,-6} {Role,-5} {Session,-6} {Text}{NewLine}";

    /// <summary>
    /// A logger writing to the console (when <paramref name="console"/>) and to
    /// <c>&lt;dataDir&gt;/trace/trace.jsonl</c> in Serilog's compact JSON format. Both sinks are
    /// asynchronous so a slow terminal never stalls an SMTP session.
    /// </summary>
    public static Serilog.Core.Logger Create(string dataDirectory, bool console) =>
        Build(dataDirectory, console ? ConsoleSink() : null);

    /// <summary>
    /// On a terminal, Serilog's console sink (its colours). Redirected to a file or a pipe, Serilog writes no
    /// colours, so the same template is rendered into one buffered writer that is flushed once per burst of
    /// events instead of once per event (issue 19: the per-event write() was a tenth of the MTA's CPU).
    /// </summary>
    private static (ILogEventSink Sink, Action? AfterBurst) ConsoleSink()
    {
        if (!Console.IsOutputRedirected)
        {
            return (new LoggerConfiguration().WriteTo.Console(outputTemplate: ConsoleTemplate).CreateLogger(), null);
        }
        var lines = new LineBatchSink(Console.OpenStandardOutput(), new MessageTemplateTextFormatter(ConsoleTemplate));
        return (lines, lines.Flush);
    }

    /// <summary>
    /// The same pipeline with the console lines written to <paramref name="console"/> instead of the
    /// terminal (tests read what a student's console would show).
    /// </summary>
    public static Serilog.Core.Logger Create(string dataDirectory, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var sink = new WriterSink(console, new MessageTemplateTextFormatter(ConsoleTemplate));
        return Build(dataDirectory, (sink, null));
    }

    private sealed class WriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (writer)
            {
                formatter.Format(logEvent, writer);
            }
        }
    }

    private static Serilog.Core.Logger Build(string dataDirectory, (ILogEventSink Sink, Action? AfterBurst)? console)
    {
        var traceDir = Path.Combine(dataDirectory, "trace");
        Directory.CreateDirectory(traceDir);
        var config = new LoggerConfiguration().MinimumLevel.Information();
        if (console is not null)
        {
            // The console gets its own copy of each event (a sub-logger), with every string escaped:
            // one place, so no emitter can forget (issue 20 item 12). The JSON file keeps the original.
            var pump = new TracePump(console.Value.Sink, capacity: 50_000, blockWhenFull: false, console.Value.AfterBurst);
            config = config.WriteTo.Logger(c => c.Enrich.With<ConsoleEscaping>().WriteTo.Sink(pump));
        }
        var file = new LoggerConfiguration().WriteTo.File(new CompactJsonFormatter(), Path.Combine(traceDir, "trace.jsonl"),
                fileSizeLimitBytes: 256L * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 8,
                buffered: true, flushToDiskInterval: TimeSpan.FromSeconds(1)).CreateLogger();
        config = config.WriteTo.Sink(new TracePump(file, capacity: 50_000, blockWhenFull: true));
        return config.CreateLogger();
    }
}
