using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Exercises;

/// <summary>The JSON lines trace read back: the same events the lab emitted, across runs, with a half-written tail.</summary>
public sealed class TraceFileReaderTests
{
    [Fact]
    public async Task Events_written_by_the_lab_logger_read_back_with_their_fields()
    {
        string data = TempDir.New("tracefile");
        var recorded = Recorded.ForgedRejected();
        await using (var logger = TraceLogging.Create(data, console: false))
        {
            var tracer = new Tracer(new TraceStream(), logger, revealSecrets: false);
            foreach (var e in recorded.Events)
            {
                tracer.Emit(e.Site, e.Role, e.Session, e.Message, e.Kind, e.Text, e.Fields);
            }
        }
        var read = await TraceFileReader.ReadAsync(data);
        Assert.Equal(0, read.UnreadableLines);
        Assert.Equal(recorded.Events.Select(e => (e.Kind, e.Role, e.Site, e.Session)), read.Events.Select(e => (e.Kind, e.Role, e.Site, e.Session)));
        var reply = read.Events[^1];
        Assert.Equal(550L, reply.Fields["Code"]);
        Assert.Equal(["rejected by DMARC policy"], (string[])reply.Fields["Lines"]!);
        Assert.Null(read.Events[1].Fields["AuthenticatedUser"]);
        Assert.Equal(false, read.Events[2].Fields["SpfAligned"]);

        // The same objective is met from the file as from memory.
        var exercise = Recorded.Parse(Recorded.WorkedExample);
        Assert.True(ObjectiveChecker.Check(exercise, RecordedEvent.Number(read.Events)).Single().Met);
    }

    [Fact]
    public async Task Two_runs_a_half_written_line_and_a_kind_from_a_newer_lab()
    {
        string data = TempDir.New("tracefile");
        string dir = Directory.CreateDirectory(Path.Combine(data, "trace")).FullName;
        string Line(long seq, string session, string kind) =>
            $$"""{"@t":"2026-11-28T16:00:0{{seq}}Z","@mt":"{Text}","Text":"t","Site":"bank","Role":"MTA","Kind":"{{kind}}","Seq":{{seq}},"Session":"{{session}}","Code":503}""";
        await File.WriteAllLinesAsync(Path.Combine(dir, "trace.jsonl"),
            [Line(1, "C1", "ReplySent"), Line(2, "C1", "ReplySent"), Line(1, "C1", "ReplySent"), Line(2, "C2", "SomethingNew")]);
        await File.WriteAllTextAsync(Path.Combine(dir, "trace_001.jsonl"), Line(3, "C1", "ReplySent") + "\n{\"@t\":\"2026-11-28T16:00");
        await File.WriteAllTextAsync(Path.Combine(dir, "other.jsonl"), "not a trace file");

        var read = await TraceFileReader.ReadAsync(data);
        Assert.Equal(2, read.Files.Count);
        Assert.Equal(4, read.Events.Count);
        Assert.Equal(1, read.UnreadableLines);
        Assert.Equal(1, read.UnknownKinds);
        var numbered = RecordedEvent.Number(read.Events);
        Assert.Equal([1, 1, 2, 2], numbered.Select(e => e.Run));
        Assert.Equal(["1/C1", "1/C1", "2/C1", "2/C1"], numbered.Select(e => e.SessionKey));
    }

    [Fact]
    public void Events_that_reach_the_file_out_of_order_stay_in_their_run_and_session()
    {
        // Two threads emit at once: 101 is written before 100. Before, the step back started a new run, and
        // the session's later events lost their session (an objective in it was then never met, now and then).
        TraceEvent E(long seq, string session) =>
            new(seq, DateTimeOffset.UnixEpoch, "bank", TraceRole.POP3, session, null, TraceKind.MailboxAccess, "t", TraceFields.Empty);
        var numbered = RecordedEvent.Number([E(99, "C7"), E(101, "C8"), E(100, "C7"), E(102, "C7"), E(1, "C1"), E(2, "C1"), E(5000, "C9"), E(3, "C1")]);
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 3], numbered.Select(e => e.Run));
        Assert.Equal(["1/C7", "1/C8", "1/C7", "1/C7"], numbered.Take(4).Select(e => e.SessionKey));
    }

    [Fact]
    public async Task No_trace_directory_means_no_events()
    {
        var read = await TraceFileReader.ReadAsync(TempDir.New("notrace"));
        Assert.Empty(read.Events);
        Assert.Empty(read.Files);
    }
}
