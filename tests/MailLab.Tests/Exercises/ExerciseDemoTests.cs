using System.Net;
using MailLab.Server.Exercises;
using MailLab.Server.Exercises.Demos;
using MailLab.Tests.Support;
using Xunit.Abstractions;

namespace MailLab.Tests.Exercises;

/// <summary>
/// Every exercise end to end: its demo (a scripted student over real sockets) on a fresh embedded lab
/// meets all its objectives, judged from the JSON trace file the way 'maillab exercise check' does,
/// while the lab still runs; and a fresh lab where nobody did anything meets none.
/// </summary>
public sealed class ExerciseDemoTests(ITestOutputHelper output)
{
    /// <summary>
    /// Student A's workstation: the demo makes every connection and DNS question from it (not 127.0.0.1, the
    /// address a client gets without asking, so a step that forgets the student's address is caught); the
    /// lab's own clients use the site addresses. Student B, next to it, did nothing.
    /// </summary>
    private static readonly IPAddress Student = IPAddress.Parse("127.0.0.41");

    private const string OtherStudent = "127.0.0.42";

    internal static ExerciseCatalog Catalog { get; } = ExerciseCatalog.Load(Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName));

    public static TheoryData<int> Demos => [.. ExerciseDemos.All.Select(d => d.Number)];

    public static TheoryData<int> AllExercises => [.. Catalog.Exercises.Select(e => e.Number)];

    /// <summary>
    /// Exercises whose handout ends on the default lab: the student stops the lab started with the
    /// exercise's switches and starts it with 'maillab up' on the same data directory, then repeats the
    /// steps (exercise 11: the MSA refuses what allow-sender-forgery let through). The demo runs once on each.
    /// </summary>
    private static readonly int[] AlsoOnTheDefaultLab = [11];

    /// <summary>
    /// Exercises whose handout starts the lab with other switches before the exercise's own: the demo runs
    /// first on that lab, then on the exercise's, over the same data directory (exercise 15: the spoofed MX
    /// succeeds with spoof-dns alone, then fails with dnssec-validate too).
    /// </summary>
    internal static readonly Dictionary<int, Dictionary<string, bool>> FirstOnLabWith = new()
    {
        [15] = new() { ["spoof-dns"] = true },
    };

    [Theory]
    [MemberData(nameof(Demos))]
    public async Task Demo_meets_every_objective_on_a_fresh_lab(int number)
    {
        var exercise = Catalog.Find(number)!;
        string? first = null;
        if (FirstOnLabWith.TryGetValue(number, out var earlier))
        {
            // 'maillab up --switch ...' first, Ctrl-C, then 'maillab exercise start N' on the same data directory.
            var before = ExerciseLab.Start(exercise, switches: earlier);
            first = before.DataDirectory;
            try
            {
                await RunDemoAsync(before, number);
            }
            finally
            {
                await before.DisposeAsync();
            }
        }
        var lab = ExerciseLab.Start(exercise, first);
        try
        {
            await RunDemoAsync(lab, number);
            if (AlsoOnTheDefaultLab.Contains(number))
            {
                // Ctrl-C, then 'maillab up': the default lab on the same data directory and trace.
                string data = lab.DataDirectory;
                await lab.DisposeAsync();
                lab = ExerciseLab.Start(exercise, data, defaultSwitches: true);
                await RunDemoAsync(lab, number);
            }

            // The lab is still running: the checker reads the file its trace sink flushes once a second.
            var report = await WaitUntilAllMet(exercise, lab.DataDirectory, Student.ToString());
            Assert.All(report.Results, r => Assert.True(r.Met, $"{r.Objective.Id} not met"));
            Assert.All(report.Results, r => Assert.Equal(r.Objective.Events.Count, r.Evidence.Count));

            // Another student's address sees none of it.
            var other = await CheckReport.RunAsync(exercise, lab.DataDirectory, OtherStudent, null);
            Assert.All(other.Results, r => Assert.False(r.Met, $"{r.Objective.Id} met for a student who did nothing"));
            // Nor does a window that starts after the demo.
            var later = await CheckReport.RunAsync(exercise, lab.DataDirectory, null, DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.All(later.Results, r => Assert.False(r.Met));
        }
        finally
        {
            await lab.DisposeAsync();
        }
    }

    /// <summary>
    /// The exercises about a lab switch judge what only the switch makes possible: the same demo on the
    /// default lab ('maillab up' instead of 'maillab exercise start N') meets none of those objectives,
    /// and meets the ones about the default lab's defence.
    /// </summary>
    [Theory]
    [InlineData(9, new[] { "vrfy-enumerates" }, new[] { "rcpt-enumerates" })]
    [InlineData(10, new[] { "apop-login", "mail-in-clear", "replay-refused", "cracked-login" }, new string[0])]
    [InlineData(11, new[] { "forged-from-accepted", "forgery-passes-dmarc" }, new[] { "msa-refuses-forged-from", "msa-refuses-forged-sender" })]
    [InlineData(12, new[] { "smtp-auth-in-trace", "wrong-password-in-trace", "imap-login-in-trace" }, new string[0])]
    [InlineData(15, new[] { "mail-captured", "forged-mx-bogus" }, new[] { "signed-mx", "chain-of-trust" })]
    public async Task Without_its_switches_the_demo_does_not_meet_what_needs_them(int number, string[] needSwitch, string[] defaultLab)
    {
        var exercise = Catalog.Find(number)!;
        Assert.NotEmpty(exercise.LabSwitches);
        Assert.Equal(exercise.Objectives.Select(o => o.Id).Order(), needSwitch.Concat(defaultLab).Order());
        var lab = ExerciseLab.Start(exercise, defaultSwitches: true);
        try
        {
            await RunDemoAsync(lab, number);
        }
        catch (DemoException e)
        {
            output.WriteLine($"the demo stopped: {e.Message}"); // exercise 10: APOP refused before STLS
        }
        finally
        {
            await lab.DisposeAsync(); // flushes the trace file
        }

        var report = await CheckReport.RunAsync(exercise, lab.DataDirectory, Student.ToString(), null);
        Assert.All(report.Results.Where(r => needSwitch.Contains(r.Objective.Id)), r => Assert.False(r.Met, $"{r.Objective.Id} met without the switch"));
        Assert.All(report.Results.Where(r => defaultLab.Contains(r.Objective.Id)), r => Assert.True(r.Met, $"{r.Objective.Id} not met on the default lab"));
    }

    private async Task RunDemoAsync(ExerciseLab lab, int number)
    {
        var log = new StringWriter();
        var ctx = new DemoContext(lab.Lab.Definition, lab.DataDirectory, DemoContext.ReadListeners(lab.DataDirectory), Student, log);
        try
        {
            await ExerciseDemos.Find(number)!.RunAsync(ctx, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(AllExercises))]
    public async Task A_fresh_lab_with_no_activity_meets_no_objective(int number)
    {
        var exercise = Catalog.Find(number)!;
        var lab = ExerciseLab.Start(exercise);
        string data = lab.DataDirectory;
        await lab.DisposeAsync(); // started and stopped: host, listener and zone events only; the file is flushed

        var report = await CheckReport.RunAsync(exercise, data, null, null);
        Assert.NotEmpty(report.Trace.Events);
        Assert.All(report.Results, r => Assert.False(r.Met, $"{r.Objective.Id} met without any activity"));
    }

    [Fact]
    public void The_shipped_exercises_load_without_errors_and_cover_twelve_topics()
    {
        Assert.Empty(Catalog.Errors);
        Assert.True(Catalog.Exercises.Count >= 12);
        Assert.All(Catalog.Exercises, e => Assert.True(File.Exists(e.HandoutPath), $"{e.Directory} has no README.md"));
    }

    private static async Task<CheckReport> WaitUntilAllMet(Exercise exercise, string data, string student)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var report = await CheckReport.RunAsync(exercise, data, student, null);
            if (report.AllMet || DateTime.UtcNow > deadline) return report;
            await Task.Delay(250);
        }
    }
}
