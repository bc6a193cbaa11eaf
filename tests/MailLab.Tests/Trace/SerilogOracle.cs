using MailLab.Server.Trace;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Serilog.Parsing;

namespace MailLab.Tests.Trace;

/// <summary>
/// The trace pipeline the lab ran before issue 19, kept as the oracle of the writers that replaced it: the tracer built
/// a Serilog LogEvent per event (<see cref="ToLogEvent"/>), the JSON file was Serilog's CompactJsonFormatter into its
/// rolling File sink, and the console was the output template on the console sub-logger's copy of the event, every
/// string property escaped (the enricher below) and a missing Session shown as an empty column.
/// </summary>
internal static class SerilogOracle
{
    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse("{Text}");
    private static readonly LogEventProperty NoSession = new("Session", new ScalarValue(string.Empty));

    public static LogEvent ToLogEvent(TraceEvent e)
    {
        var level = e.Kind is TraceKind.ListenerFailed or TraceKind.DeliveryFailed or TraceKind.TlsFailed or TraceKind.ZoneReloadFailed
            ? LogEventLevel.Warning
            : LogEventLevel.Information;
        var props = new List<LogEventProperty>(6 + e.Fields.Count)
        {
            new("Text", new ScalarValue(e.Text)),
            new("Site", new ScalarValue(e.Site)),
            new("Role", new ScalarValue(e.Role.ToString())),
            new("Kind", new ScalarValue(e.Kind.ToString())),
            new("Seq", new ScalarValue(e.Sequence)),
        };
        if (e.Session is not null) props.Add(new("Session", new ScalarValue(e.Session)));
        if (e.Message is not null) props.Add(new("Message", new ScalarValue(e.Message)));
        if (e.Origin is not null) props.Add(new("Origin", new ScalarValue(e.Origin)));
        foreach (var (name, value) in e.Fields)
        {
            props.Add(new(name, value is IEnumerable<string> list ? new SequenceValue(list.Select(s => new ScalarValue(s))) : new ScalarValue(value)));
        }
        return new LogEvent(e.Time, level, null, Template, props);
    }

    /// <summary>The JSON line CompactJsonFormatter wrote.</summary>
    public static string Json(TraceEvent e)
    {
        var w = new StringWriter { NewLine = "\n" };
        new CompactJsonFormatter().Format(ToLogEvent(e), w);
        return w.ToString();
    }

    /// <summary>The console line of the redirected console (LineBatchSink) and of Serilog's console sink without colours.</summary>
    public static string Console(TraceEvent e)
    {
        var log = ToLogEvent(e);
        foreach (var (name, value) in log.Properties.ToArray())
        {
            var escaped = Escape(value);
            if (!ReferenceEquals(escaped, value)) log.AddOrUpdateProperty(new LogEventProperty(name, escaped));
        }
        log.AddPropertyIfAbsent(NoSession);
        var w = new StringWriter();
        new MessageTemplateTextFormatter(TraceLogging.ConsoleTemplate).Format(log, w);
        return w.ToString();
    }

    private static LogEventPropertyValue Escape(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string s } when ConsoleEscaping.Escape(s) is var e && !ReferenceEquals(e, s) => new ScalarValue(e),
        SequenceValue seq when seq.Elements.Select(Escape).ToArray() is var items
            && items.Where((v, i) => !ReferenceEquals(v, seq.Elements[i])).Any() => new SequenceValue(items),
        _ => value,
    };

    /// <summary>Serilog's rolling File sink as the lab configured it, with the size limit and retention given.</summary>
    public static Logger File(string directory, long sizeLimit, int retained) =>
        new LoggerConfiguration().WriteTo.File(new CompactJsonFormatter(), Path.Combine(directory, "trace.jsonl"),
            fileSizeLimitBytes: sizeLimit, rollOnFileSizeLimit: true, retainedFileCountLimit: retained, buffered: false).CreateLogger();
}
