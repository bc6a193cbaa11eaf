using Serilog;
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
    public static Serilog.Core.Logger Create(string dataDirectory, bool console)
    {
        var traceDir = Path.Combine(dataDirectory, "trace");
        Directory.CreateDirectory(traceDir);
        var config = new LoggerConfiguration().MinimumLevel.Information();
        if (console)
        {
            config = config.WriteTo.Async(a => a.Console(outputTemplate: ConsoleTemplate), bufferSize: 50_000);
        }
        config = config.WriteTo.Async(
            a => a.File(new CompactJsonFormatter(), Path.Combine(traceDir, "trace.jsonl"),
                fileSizeLimitBytes: 256L * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 8,
                buffered: true, flushToDiskInterval: TimeSpan.FromSeconds(1)),
            bufferSize: 50_000, blockWhenFull: true);
        return config.CreateLogger();
    }
}
