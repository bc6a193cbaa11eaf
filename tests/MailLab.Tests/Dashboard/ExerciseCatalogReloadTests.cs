using System.Net;
using System.Text.Json;
using MailLab.Server.Dashboard;
using MailLab.Server.Exercises;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The dashboard reads the exercise catalogue again when the directory changed (looked at at most once a second,
/// on request): an edited exercise, a new one and a broken file show in the API, the grid and the pages without a restart.
/// </summary>
public sealed class ExerciseCatalogReloadTests
{
    private const string Extra = """
        exercise: 99
        title: A test exercise added while the lab runs
        objectives:
          - id: greeted
            description: You greeted an MTA
            events:
              - kind: CommandReceived
                role: MTA
        """;

    private static IEnumerable<JsonElement> Exercises(JsonElement json) => json.GetProperty("exercises").EnumerateArray();

    private static JsonElement Exercise(JsonElement json, int id) => Exercises(json).Single(e => e.GetProperty("id").GetInt32() == id);

    private static string[] Objectives(JsonElement exercise) => [.. exercise.GetProperty("objectives").EnumerateArray().Select(o => o.GetProperty("id").GetString()!)];

    [Fact]
    public async Task An_edited_added_or_broken_exercise_file_shows_without_a_restart()
    {
        string dir = TempDir.New("exercises");
        string one = Path.Combine(dir, "01-smtp-by-hand");
        Directory.CreateDirectory(one);
        string source = Path.Combine(ExerciseCatalog.Locate(null), "01-smtp-by-hand");
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(one, Path.GetFileName(f)));
        string objectives = Path.Combine(one, ExerciseReader.FileName);

        await using var lab = DashboardKit.Lab();
        var board = ExerciseBoard.Of(lab.Runtime!.Dashboard!.Context!, dir);
        long now = 0;
        board.Clock = () => now;
        using var http = Client(lab);

        var (status, json) = await Json(http, "/api/exercises");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([1], Exercises(json).Select(e => e.GetProperty("id").GetInt32()));
        Assert.Equal(["greeted-mta", "bad-sequence", "delivered-by-hand", "header-from-differs"], Objectives(Exercise(json, 1)));
        (_, var grid) = await Json(http, "/api/exercises/1/grid");
        Assert.All(grid.GetProperty("students").EnumerateArray(), r => Assert.Equal(4, r.GetProperty("cells").GetArrayLength()));

        // The instructor retitles exercise 1, drops its last objective and adds exercise 99.
        string text = File.ReadAllText(objectives);
        string edited = text.Replace("title: SMTP by hand, and the envelope versus the header From", "title: SMTP by hand (edited)");
        edited = edited[..edited.IndexOf("  - id: header-from-differs", StringComparison.Ordinal)];
        File.WriteAllText(objectives, edited);
        Directory.CreateDirectory(Path.Combine(dir, "99-extra"));
        File.WriteAllText(Path.Combine(dir, "99-extra", ExerciseReader.FileName), Extra);

        // Within the second the directory is not looked at again; after it, the change shows everywhere.
        (_, json) = await Json(http, "/api/exercises");
        Assert.Equal("SMTP by hand, and the envelope versus the header From", Exercise(json, 1).GetProperty("title").GetString());
        now += 1000;
        (_, json) = await Json(http, "/api/exercises");
        Assert.Equal("SMTP by hand (edited)", Exercise(json, 1).GetProperty("title").GetString());
        Assert.Equal(["greeted-mta", "bad-sequence", "delivered-by-hand"], Objectives(Exercise(json, 1)));
        Assert.Equal(["greeted"], Objectives(Exercise(json, 99)));
        Assert.Empty(json.GetProperty("errors").EnumerateArray());
        // No event arrived, so the trace snapshot is the same one: its verdicts must still be of the new exercise.
        (status, grid) = await Json(http, "/api/exercises/1/grid");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, grid.GetProperty("objectives").GetArrayLength());
        Assert.All(grid.GetProperty("students").EnumerateArray(), r => Assert.Equal(3, r.GetProperty("cells").GetArrayLength()));
        Assert.Equal(HttpStatusCode.OK, (await Json(http, "/api/exercises/99/grid")).Status);
        var page = await http.GetStringAsync("/exercises");
        Assert.Contains("SMTP by hand (edited)", page);
        Assert.Contains("A test exercise added while the lab runs", page);
        Assert.Contains("<th scope=\"col\">", await http.GetStringAsync("/exercises/99"));

        // A broken file is an error of the catalogue; the other exercise stays.
        File.WriteAllText(Path.Combine(dir, "99-extra", ExerciseReader.FileName), Extra.Replace("kind: CommandReceived", "kind: NoSuchKind"));
        now += 1000;
        (_, json) = await Json(http, "/api/exercises");
        Assert.Equal([1], Exercises(json).Select(e => e.GetProperty("id").GetInt32()));
        var error = Assert.Single(json.GetProperty("errors").EnumerateArray()).GetString()!;
        Assert.Contains(Path.Combine("99-extra", ExerciseReader.FileName), error);
        Assert.Contains("NoSuchKind", error);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/exercises/99/grid")).StatusCode);
        page = await http.GetStringAsync("/exercises");
        Assert.Contains("<p class=\"error\">", page);
        Assert.Contains("SMTP by hand (edited)", page);
    }

    [Fact]
    public void The_stamp_changes_with_a_file_s_size_or_time_and_with_a_new_folder_but_not_by_itself()
    {
        string dir = TempDir.New("stamp");
        Assert.Equal("missing", ExerciseCatalogWatch.Stamp(Path.Combine(dir, "nowhere")));
        Directory.CreateDirectory(Path.Combine(dir, "01-a"));
        string file = Path.Combine(dir, "01-a", ExerciseReader.FileName);
        File.WriteAllText(file, "exercise: 1\n");
        string first = ExerciseCatalogWatch.Stamp(dir);
        Assert.Equal(first, ExerciseCatalogWatch.Stamp(dir));
        File.SetLastWriteTimeUtc(file, File.GetLastWriteTimeUtc(file).AddSeconds(-5)); // same size, other time
        string touched = ExerciseCatalogWatch.Stamp(dir);
        Assert.NotEqual(first, touched);
        Directory.CreateDirectory(Path.Combine(dir, "02-b"));
        Assert.NotEqual(touched, ExerciseCatalogWatch.Stamp(dir));
    }
}
