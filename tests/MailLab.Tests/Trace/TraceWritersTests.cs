using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Trace;

/// <summary>
/// Issue 19: the trace is written without a Serilog event per trace event, in exactly the bytes the Serilog pipeline
/// wrote (<see cref="SerilogOracle"/>): the JSON lines, the file names and roll-over, and the console lines.
/// </summary>
public class TraceWritersTests
{
    private const string Nasty = "quote \" backslash \\ nul \0 bell \a bs \b tab \t lf \n vt \v ff \f cr \r esc \u001b[2J us \u001f "
        + "del \u007f c1 \u0085\u009b é ß 中文 emoji 😀 lone \ud800 and \udc00 ls \u2028 ps \u2029 rlo \u202e lri \u2066 </script> {Text} @x";

    /// <summary>Events with every kind of value a field carries, emitted through a real tracer (capping included).</summary>
    private static List<TraceEvent> WideVariety()
    {
        var tracer = new Tracer(new TraceStream(), null, revealSecrets: false) { CheckContract = false };
        var mta = tracer.For("bank", TraceRole.MTA, "C1");
        var many = Enumerable.Range(0, 300).Select(i => $"rcpt{i}@bank.test").ToArray();
        var list = new List<TraceEvent>
        {
            mta.Emit(TraceKind.SessionOpened, "connection from 127.0.0.1", ("Client", "127.0.0.1"), ("ClientPort", 40000), ("ImplicitTls", false), ("LabRelay", true)),
            mta.Emit(TraceKind.CommandReceived, "C: " + Nasty, ("Line", Nasty), ("Verb", "EHLO"), ("Command", null)),
            mta.Emit(TraceKind.AuthFailed, "auth failed", ("Mechanism", "PLAIN"), ("User", "bob"), ("Password", mta.Secret("hunter2")), ("Failures", 3)),
            mta.Emit(TraceKind.ReplySent, "S: 250", ("Code", 250), ("Lines", new[] { "bank.test", "PIPELINING", "", "8BITMIME \"x\"", Nasty }), ("Untraced", 0)),
            mta.Emit(TraceKind.MessageReceived, "message received", ("Recipients", many), ("Size", 10_240L), ("Subject", new string('é', 5000)), ("Tls", true)),
            mta.WithMessage("Q1A2B3").Emit(TraceKind.DeliveryFailed, "delivery failed", ("Recipients", new List<string> { "a@b.test" }), ("Reason", "disk full")),
            mta.Emit(TraceKind.TlsFailed, "tls failed", ("Reason", "handshake")),
            mta.Emit(TraceKind.LimitExceeded, "limit", ("Limit", "rate"), ("Max", 2.5), ("User", null)),
            mta.Emit(TraceKind.HeaderAdded, "numbers", ("Int", int.MinValue), ("Long", long.MaxValue), ("UInt", uint.MaxValue), ("ULong", ulong.MaxValue),
                ("Short", (short)-7), ("UShort", (ushort)7), ("Byte", (byte)255), ("SByte", (sbyte)-128), ("Decimal", 1.50m)),
            mta.Emit(TraceKind.HeaderAdded, "approximate", ("Tenth", 0.1), ("Whole", 3.0), ("Big", 1e300), ("Tiny", -4.9e-324), ("NegZero", -0.0),
                ("NaN", double.NaN), ("Inf", double.PositiveInfinity), ("NegInf", double.NegativeInfinity), ("Float", 0.1f), ("FloatNaN", float.NaN)),
            mta.Emit(TraceKind.HeaderAdded, "other values", ("Char", 'q'), ("Quote", '"'), ("When", new DateTime(2026, 12, 7, 8, 9, 10, DateTimeKind.Utc)),
                ("Offset", new DateTimeOffset(2026, 12, 7, 8, 9, 10, 123, TimeSpan.FromHours(2))), ("Span", TimeSpan.FromMilliseconds(1500)),
                ("Enum", TraceRole.IMAP), ("Guid", Guid.Empty), ("Ints", new[] { 1, 2 }), ("Empty", Array.Empty<string>()), ("NullItem", new[] { "a", null!, "c" })),
            mta.Emit(TraceKind.HeaderAdded, "names", ("@at", "doubled"), ("Session", "shadowed"), ("Text", "shadowed text"), ("Origin", "shadowed origin"), ("Zeta", 1)),
            tracer.For("uc", TraceRole.DNS).Emit(TraceKind.DnsQuery, "query", ("Session", "no session to shadow"), ("Name", "\u001b[31mred\u0007.uc.test.")),
            tracer.ForLab(LabOrigin.Resolver, "bank", TraceRole.DNS).Emit(TraceKind.DnsAnswer, "answer", ("Answers", new[] { "1.2.3.4" }), ("Truncated", false)),
            tracer.For("bank", TraceRole.HOST).Emit(TraceKind.LabStarted, "lab started", ("Sites", new[] { "bank", "evil" }), ("Dns", true)),
            tracer.For("evil\r\u202e", TraceRole.IMAP, "C9\u001b").Emit(TraceKind.ListenerFailed, "bind failed " + Nasty, ("EndPoint", "127.0.0.1:25")),
            tracer.For("a-long-site-name", TraceRole.POP3, "C123456789").Emit(TraceKind.ZoneReloadFailed, "zone", ("Errors", new[] { Nasty })),
            mta.Emit(TraceKind.LabStopping, ""),
        };
        // Times Serilog and the writers must render alike: whole seconds, another offset than UTC, the ticks' last digit.
        list.Add(list[0] with { Time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) });
        list.Add(list[1] with { Time = new DateTimeOffset(2026, 6, 30, 23, 59, 59, 999, TimeSpan.FromHours(-5)).AddTicks(9) });
        return list;
    }

    [Fact]
    public void Every_JSON_line_is_what_Serilogs_compact_formatter_wrote()
    {
        foreach (var e in WideVariety())
        {
            var line = new StringBuilder();
            TraceJson.Append(line, e);
            Assert.Equal(SerilogOracle.Json(e), line.ToString());
        }
    }

    [Fact]
    public void Every_console_line_is_what_the_console_template_wrote_with_the_same_escaping()
    {
        foreach (var e in WideVariety())
        {
            var line = new StringBuilder();
            ConsoleLine.Append(line, e);
            Assert.Equal(SerilogOracle.Console(e), line.ToString());
        }
        var escaped = new StringBuilder();
        ConsoleLine.Append(escaped, WideVariety()[^5]);
        Assert.DoesNotContain(escaped.ToString().TrimEnd('\n'), c => c < ' ' || c is '\u007f' or '\u009b' or '\u202e');
    }

    [Fact]
    public void The_file_holds_the_bytes_and_names_of_Serilogs_rolling_file_across_runs_and_roll_overs()
    {
        var events = WideVariety();
        string serilog = TempDir.New("oracle-roll"), ours = TempDir.New("writer-roll");
        foreach (var dir in new[] { serilog, ours })
        {
            // A previous run's file, and names that are not the trace's: kept, never counted.
            File.WriteAllText(Path.Combine(dir, "trace.jsonl"), "{\"earlier\":1}\n");
            File.WriteAllText(Path.Combine(dir, "trace_01.jsonl"), "not a roll-over name\n");
            File.WriteAllText(Path.Combine(dir, "trace-notes.jsonl"), "not ours\n");
        }
        // Two runs, each appending to the newest file: small limits so it rolls many times and retention deletes.
        for (int run = 0; run < 2; run++)
        {
            using (var oracle = SerilogOracle.File(serilog, sizeLimit: 1500, retained: 4))
            {
                foreach (var e in events) oracle.Write(SerilogOracle.ToLogEvent(e));
            }
            using (var writer = new TraceFile(ours, sizeLimit: 1500, retainedFiles: 4))
            {
                foreach (var e in events) writer.Emit(e);
            }
        }

        var expected = Listing(serilog);
        // It rolled (trace_NNN) and retention removed the oldest (trace.jsonl): 4 kept, the two stray files untouched.
        Assert.True(expected.ContainsKey("trace_006.jsonl") && !expected.ContainsKey("trace.jsonl") && expected.Count == 6, string.Join(" ", expected.Keys));
        var actual = Listing(ours);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var name in expected.Keys) Assert.True(expected[name].AsSpan().SequenceEqual(actual[name]), $"{name} differs");
    }

    [Fact]
    public void A_line_reaches_the_file_at_the_latest_on_the_periodic_flush()
    {
        var dir = TempDir.New("writer-flush");
        using var flushed = new ManualResetEventSlim();
        using var writer = new TraceFile(dir, flushInterval: TimeSpan.FromMilliseconds(50));
        var e = WideVariety()[0];
        writer.Emit(e);
        // Buffered: nothing may be written yet; the timer writes it. Wait for the file to grow, bounded.
        using var watcher = new FileSystemWatcher(dir, "trace.jsonl") { NotifyFilter = NotifyFilters.Size | NotifyFilters.LastWrite };
        watcher.Changed += (_, _) => flushed.Set();
        watcher.EnableRaisingEvents = true;
        if (new FileInfo(writer.CurrentPath).Length == 0) Assert.True(flushed.Wait(TimeSpan.FromSeconds(30)), "the periodic flush never wrote the line");
        Assert.Equal(SerilogOracle.Json(e), Encoding.UTF8.GetString(ReadShared(writer.CurrentPath)));
    }

    private static byte[] ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static SortedDictionary<string, byte[]> Listing(string dir) =>
        new(Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), StringComparer.Ordinal);
}
