using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Exercises;

/// <summary>The <c>maillab exercise</c> command as a child process, over a trace file another "lab" wrote.</summary>
public sealed class ExerciseCliTests
{
    [Fact]
    public async Task List_and_show_find_the_shipped_exercises_next_to_the_program()
    {
        var (code, output, err) = await MailLabProcess.Run("exercise", "list", "--exercises", Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName));
        Assert.Equal(0, code);
        Assert.Equal("", err);
        for (int n = 1; n <= 8; n++) Assert.Matches($@"(?m)^\s+{n}  \S", output);

        var show = await MailLabProcess.Run("exercise", "show", "2", "--exercises", Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName));
        Assert.Equal(0, show.Code);
        Assert.Contains("# Exercise 2", show.Out);
        Assert.Contains("spf-rejected:", show.Out);
        Assert.Contains("Lab switches for this exercise: reject-spf-fail: true", show.Out);
    }

    [Fact]
    public async Task Check_reads_the_trace_file_and_prints_met_with_evidence_or_not_yet()
    {
        string exercises = TempDir.New("ex-cli");
        Directory.CreateDirectory(Path.Combine(exercises, "09-dmarc-reject"));
        File.WriteAllText(Path.Combine(exercises, "09-dmarc-reject", ExerciseReader.FileName), Recorded.WorkedExample);
        string data = TempDir.New("ex-cli-data");
        await using (var logger = TraceLogging.Create(data, console: false))
        {
            var tracer = new Tracer(new TraceStream(), logger, revealSecrets: false);
            foreach (var e in Recorded.ForgedRejected().Events) tracer.Emit(e.Site, e.Role, e.Session, e.Message, e.Kind, e.Text, e.Fields);
        }

        var met = await MailLabProcess.Run("exercise", "check", "9", "--exercises", exercises, "--data", data, "--student", "127.0.0.5");
        Assert.Equal(0, met.Code);
        Assert.Matches(@"met\s+forged-dmarc-reject", met.Out);
        Assert.Contains("evidence: bank MTA session C1 at ", met.Out);
        Assert.Contains("EnvelopeMailFrom, DmarcEvaluated, ReplySent", met.Out);
        Assert.Contains("1 of 1 objectives met", met.Out);

        var other = await MailLabProcess.Run("exercise", "check", "9", "--exercises", exercises, "--data", data, "--student", "127.0.0.6");
        Assert.Equal(1, other.Code);
        Assert.Contains("not yet  forged-dmarc-reject", other.Out);
        Assert.Contains("0 of 1 objectives met", other.Out);

        var bad = await MailLabProcess.Run("exercise", "check", "9", "--exercises", exercises, "--data", data, "--student", "alice");
        Assert.Equal(2, bad.Code);
        Assert.Contains("neither an IP address", bad.Err);
        var missing = await MailLabProcess.Run("exercise", "check", "42", "--exercises", exercises, "--data", data);
        Assert.Equal(2, missing.Code);
        Assert.Contains("no exercise 42", missing.Err);
    }

    [Fact]
    public async Task Demo_without_a_running_lab_says_so_in_one_line()
    {
        var (code, _, err) = await MailLabProcess.Run("exercise", "demo", "1", "--data", TempDir.New("ex-no-lab"),
            "--exercises", Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName));
        Assert.Equal(1, code);
        Assert.StartsWith("maillab: demo stopped: the lab is not running", err);
    }
}
