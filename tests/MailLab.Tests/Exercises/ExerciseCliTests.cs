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
    public async Task Show_renders_the_handout_for_the_running_lab_and_says_so_or_prints_it_as_written_without_one()
    {
        string exercises = Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName);
        string data = TempDir.New("show-lab");
        // A lab on other addresses and ports, as its listeners.json says.
        File.WriteAllText(Path.Combine(data, "listeners.json"), System.Text.Json.JsonSerializer.Serialize(new[]
        {
            new MailLab.Server.Listeners.ListenerInfo("uc", "MTA", "127.0.51.1", 40025, "starttls"),
            new MailLab.Server.Listeners.ListenerInfo("bank", "MTA", "127.0.52.1", 41025, "starttls"),
            new MailLab.Server.Listeners.ListenerInfo("evil", "MTA", "127.0.53.1", 42025, "starttls"),
        }));
        var rendered = await MailLabProcess.Run("exercise", "show", "1", "--exercises", exercises, "--data", data);
        Assert.Equal(0, rendered.Code);
        Assert.StartsWith($"(rendered for the running lab in {data}:", rendered.Out);
        Assert.Contains("nc -C 127.0.52.1 41025          # or: telnet 127.0.52.1 41025", rendered.Out);
        Assert.Contains($"cat {data}/mail/bank.test/bob/INBOX/new/*", rendered.Out);
        Assert.DoesNotContain("127.0.2.1", rendered.Out[rendered.Out.IndexOf("# Exercise 1", StringComparison.Ordinal)..]);
        // The table's MSA ports: this lab has no MSA, so they stay as written and the note says so.
        Assert.Contains("(note: the running lab has no MSA listener (starttls) for site 'bank': 127.0.2.1 port 5587 left as written)", rendered.Out);

        var asWritten = await MailLabProcess.Run(new MailLabProcess.Options(WorkingDirectory: TempDir.New("show-nolab")),
            "exercise", "show", "1", "--exercises", exercises);
        Assert.Equal(0, asWritten.Code);
        Assert.StartsWith("(no running lab found: the handout as written, for the default lab;", asWritten.Out);
        Assert.Contains("nc -C 127.0.2.1 2525", asWritten.Out);
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
