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

    [Theory]
    [MemberData(nameof(Demos))]
    public async Task Demo_meets_every_objective_on_a_fresh_lab(int number)
    {
        var exercise = Catalog.Find(number)!;
        await using var lab = ExerciseLab.Start(exercise);
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
    public void The_shipped_exercises_load_without_errors_and_cover_eight_topics()
    {
        Assert.Empty(Catalog.Errors);
        Assert.True(Catalog.Exercises.Count >= 8);
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
