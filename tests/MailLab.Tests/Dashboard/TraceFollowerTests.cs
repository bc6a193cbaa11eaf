using MailLab.Server.Dashboard;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The dashboard following another process's trace file (the classroom's site containers): whole lines only,
/// sessions told apart per process and per run, roll-over, a start near the end of a long file.
/// </summary>
public sealed class TraceFollowerTests
{
    private static string Line(long seq, string session, string text = "t") =>
        $$"""{"@t":"2026-12-07T02:00:00Z","@mt":"{Text}","Text":"{{text}}","Site":"uc","Role":"MSA","Kind":"ReplySent","Seq":{{seq}},"Session":"{{session}}","Code":250}""" + "\n";

    private static (string Data, string Trace) FollowedDir(string name)
    {
        string data = Path.Combine(TempDir.New("follow"), name);
        string trace = Directory.CreateDirectory(Path.Combine(data, "trace")).FullName;
        return (data, Path.Combine(trace, "trace.jsonl"));
    }

    [Fact]
    public async Task Events_a_lab_logger_wrote_arrive_renumbered_with_the_process_prefix_and_are_not_written_again()
    {
        var (uc, _) = FollowedDir("uc");
        await using (var logger = TraceLogging.Create(uc, console: false))
        {
            var remote = new Tracer(new TraceStream(), logger, revealSecrets: false);
            remote.For("uc", TraceRole.MSA, "C1").Emit(TraceKind.ReplySent, "250 ok", ("Code", 250), ("Lines", new[] { "ok" }));
            remote.For("uc", TraceRole.MSA, "C1").Emit(TraceKind.SessionClosed, "closed");
        }
        string local = TempDir.New("follow-local");
        var stream = new TraceStream();
        await using (var localLogger = TraceLogging.Create(local, console: false))
        {
            var tracer = new Tracer(stream, localLogger, revealSecrets: false);
            tracer.For("lab", TraceRole.DNS).Emit(TraceKind.SessionClosed, "a local event first");
            await using var follower = new TraceFollower([uc], tracer);
            Assert.Equal(2, follower.Poll());
            Assert.Equal(0, follower.Poll()); // nothing new: nothing twice
        }
        var events = stream.Query();
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
        Assert.Equal([null, "uc:C1", "uc:C1"], events.Select(e => e.Session));
        Assert.Equal(250L, events[1].Fields["Code"]);
        // The local trace file holds only the local event: exercise check reads each process's own file.
        Assert.Single((await TraceFileReader.ReadAsync(local)).Events);
    }

    [Fact]
    public async Task A_half_written_line_waits_a_restart_gets_its_own_prefix_and_a_roll_over_is_read_on()
    {
        var (bank, trace) = FollowedDir("bank");
        await File.WriteAllTextAsync(trace, Line(1, "C1") + Line(2, "C1") + Line(3, "C2")[..40]);
        var stream = new TraceStream();
        await using var follower = new TraceFollower([bank], new Tracer(stream, null, false));
        Assert.Equal(2, follower.Poll());
        await File.AppendAllTextAsync(trace, Line(3, "C2")[40..]);
        Assert.Equal(1, follower.Poll());
        // The lab restarted over the same directory: its numbers and session ids start again.
        await File.AppendAllTextAsync(trace, Line(1, "C1") + Line(2, "C1"));
        Assert.Equal(2, follower.Poll());
        // Serilog rolled over: the rest of trace.jsonl, then trace_001.jsonl from its start.
        await File.AppendAllTextAsync(trace, Line(3, "C2"));
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(trace)!, "trace_001.jsonl"), Line(4, "C2") + "not json\n");
        Assert.Equal(2, follower.Poll());
        Assert.Equal(["bank:C1", "bank:C1", "bank:C2", "bank.2:C1", "bank.2:C1", "bank.2:C2", "bank.2:C2"], stream.Query().Select(e => e.Session));
        Assert.Equal(1, follower.Unreadable);
    }

    [Fact]
    public async Task A_long_history_is_read_from_near_its_end_starting_at_a_whole_line()
    {
        var (evil, trace) = FollowedDir("evil");
        string padding = new('x', 1000);
        await using (var w = new StreamWriter(trace))
        {
            for (int i = 1; i <= 10_000; i++) await w.WriteAsync(Line(i, "C" + i, padding)); // about 10 MiB
        }
        Assert.True(new FileInfo(trace).Length > TraceFollower.StartBytes);
        var stream = new TraceStream();
        await using var follower = new TraceFollower([evil], new Tracer(stream, null, false));
        while (follower.Poll() > 0) { }
        var events = stream.Query();
        Assert.Equal(0, follower.Unreadable); // it began at a line's start, not inside one
        Assert.Equal("evil:C10000", events[^1].Session);
        Assert.InRange(events.Count, 7000, 8500); // the last 8 MiB of lines of about 1.1 KiB
    }
}
