using MailLab.Server.Exercises;
using MailLab.Server.Exercises.Demos;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Dashboard;

/// <summary>
/// <c>/api/exercises</c>: the catalogue, the instructor's grid of students × objectives, a student's progress and
/// one cell's evidence, judged over the in-memory trace by <see cref="ExerciseBoard"/> (the checker of
/// <c>maillab exercise check</c>). A student reads only their own progress; the grid is 403 for them.
/// </summary>
internal static class ExerciseApi
{
    /// <summary>Longest objective id taken in a query (ids are lower-case words and hyphens).</summary>
    public const int MaxObjectiveLength = 64;

    /// <summary>One objective as the catalogue lists it; <c>Patterns</c> is how many events prove it.</summary>
    public sealed record ObjectiveInfo(string Id, string Description, int Patterns);

    /// <summary>One exercise of the catalogue; <c>Demo</c> whether <c>maillab exercise demo</c> can perform it.</summary>
    public sealed record ExerciseInfo(int Id, string Title, IReadOnlyDictionary<string, bool> LabSwitches, bool Demo, IReadOnlyList<ObjectiveInfo> Objectives);

    /// <summary>The answer of <c>/api/exercises</c>; <c>Errors</c> are objectives files that could not be read.</summary>
    public sealed record Catalogue(IReadOnlyList<ExerciseInfo> Exercises, IReadOnlyList<string> Errors);

    /// <summary>One cell: met or not, and how many of its <c>Patterns</c> events the evidence (so far) holds.</summary>
    public sealed record Cell(string Objective, bool Met, int Evidence, int Patterns);

    /// <summary>One student's row: <c>Kind</c> <c>address</c> (a lab user) or <c>ip</c>; <c>Met</c> how many cells are met.</summary>
    public sealed record GridRow(string Student, string Kind, int Met, IReadOnlyList<Cell> Cells);

    /// <summary>The grid; <c>LastSeq</c> the newest event judged, <c>MoreAddresses</c> client addresses left out.</summary>
    public sealed record Grid(int Exercise, string Title, long LastSeq, IReadOnlyList<ObjectiveInfo> Objectives, IReadOnlyList<GridRow> Students, int MoreAddresses);

    /// <summary>An event of an objective's evidence, with the pages of its session and its message.</summary>
    public sealed record EvidenceEvent(long Seq, DateTimeOffset Time, string Site, string Role, string? Session, string? Message, string Kind,
        string Text, string? Origin, IReadOnlyDictionary<string, object?> Fields, string? SessionUrl, string? JourneyUrl);

    /// <summary>
    /// One objective judged: met with its evidence, or not yet with the events matched so far and the pattern
    /// <c>Missing</c> (the first one no event matched), as <c>maillab exercise check</c> prints them.
    /// </summary>
    public sealed record ObjectiveVerdict(string Id, string Description, bool Met, int Patterns, IReadOnlyList<EvidenceEvent> Evidence, string? Missing);

    /// <summary>A student's progress in one exercise; <c>EventsJudged</c> is how many retained events are theirs.</summary>
    public sealed record Progress(int Exercise, string Title, string Student, long LastSeq, int EventsJudged, int Met, IReadOnlyList<ObjectiveVerdict> Objectives);

    /// <summary>The evidence of one cell.</summary>
    public sealed record CellEvidence(int Exercise, string Student, long LastSeq, ObjectiveVerdict Objective);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/exercises", (HttpContext http) => DashboardJson.Result(Catalog(ExerciseBoard.Of(DashboardContext.Of(http)))))
            .WithSummary("The exercises (lab-exercises/): number, title, lab switches, whether a demo exists, objectives.");
        api.MapGet("/exercises/{id}/grid", GetGrid)
            .WithSummary("Instructor: students (lab users and client addresses) × objectives, met or not with the evidence count; 403 for a student.");
        api.MapGet("/exercises/{id}/progress", GetProgress)
            .WithSummary("A student's own progress with each objective's evidence; the instructor names the student with `student`.");
        api.MapGet("/exercises/{id}/evidence", GetEvidence)
            .WithSummary("One cell: the events that met the objective (or matched so far), linked to their session and journey.");
    }

    public static Catalogue Catalog(ExerciseBoard board) => new(
        board.Catalog.Exercises.Select(e => new ExerciseInfo(e.Number, e.Title, e.LabSwitches, ExerciseDemos.Find(e.Number) is not null, Objectives(e))).ToList(),
        board.Catalog.Errors);

    private static List<ObjectiveInfo> Objectives(Exercise e) => e.Objectives.Select(o => new ObjectiveInfo(o.Id, o.Description, o.Events.Count)).ToList();

    private static IResult GetGrid(HttpContext http, string id)
    {
        var context = DashboardContext.Of(http);
        var board = ExerciseBoard.Of(context);
        if (board.Find(id) is not { } exercise) return NoExercise(id);
        if (!context.Viewer(http).SeesAll) return DashboardApi.Problem(StatusCodes.Status403Forbidden, $"the grid is the instructor's; your own progress is /api/exercises/{exercise.Number}/progress");
        if (Unknown(http.Request.Query, []) is { } error) return DashboardApi.Problem(StatusCodes.Status400BadRequest, error);
        return DashboardJson.Result(BuildGrid(board.Now(), exercise));
    }

    /// <summary>The grid of <paramref name="exercise"/> over one snapshot of the trace.</summary>
    public static Grid BuildGrid(ExerciseBoard.Snapshot snapshot, Exercise exercise)
    {
        var rows = snapshot.Students.Select(s =>
        {
            var cells = snapshot.Judge(exercise, s.Student).Select(r => new Cell(r.Objective.Id, r.Met, r.Matched, r.Objective.Events.Count)).ToList();
            return new GridRow(s.Student, s.Kind, cells.Count(c => c.Met), cells);
        }).ToList();
        return new Grid(exercise.Number, exercise.Title, snapshot.LastSeq, Objectives(exercise), rows, snapshot.MoreAddresses);
    }

    // The parameters are named for the OpenAPI document; Student() reads and checks the query itself.
    private static IResult GetProgress(HttpContext http, string id, string? student = null)
    {
        var context = DashboardContext.Of(http);
        var board = ExerciseBoard.Of(context);
        if (board.Find(id) is not { } exercise) return NoExercise(id);
        if (Unknown(http.Request.Query, ["student"]) is { } unknown) return DashboardApi.Problem(StatusCodes.Status400BadRequest, unknown);
        if (Student(http.Request.Query, context.Viewer(http), out var who, out int status) is { } error) return DashboardApi.Problem(status, error);
        return DashboardJson.Result(BuildProgress(board.Now(), exercise, who!));
    }

    /// <summary><paramref name="student"/>'s progress in <paramref name="exercise"/> over one snapshot.</summary>
    public static Progress BuildProgress(ExerciseBoard.Snapshot snapshot, Exercise exercise, string student)
    {
        var verdicts = snapshot.Judge(exercise, student).Select(Verdict).ToList();
        return new Progress(exercise.Number, exercise.Title, student, snapshot.LastSeq, snapshot.Scope(student).Count, verdicts.Count(v => v.Met), verdicts);
    }

    private static IResult GetEvidence(HttpContext http, string id, string? student = null, string? objective = null)
    {
        var context = DashboardContext.Of(http);
        var board = ExerciseBoard.Of(context);
        if (board.Find(id) is not { } exercise) return NoExercise(id);
        var query = http.Request.Query;
        if (Unknown(query, ["student", "objective"]) is { } unknown) return DashboardApi.Problem(StatusCodes.Status400BadRequest, unknown);
        if (Student(query, context.Viewer(http), out var who, out int status) is { } error) return DashboardApi.Problem(status, error);
        if (FindObjective(exercise, query["objective"].ToString(), out error) is not { } index) return DashboardApi.Problem(StatusCodes.Status400BadRequest, error!);
        var snapshot = board.Now();
        return DashboardJson.Result(new CellEvidence(exercise.Number, who!, snapshot.LastSeq, Verdict(snapshot.Judge(exercise, who!)[index])));
    }

    /// <summary>The index of the objective named <paramref name="name"/>, or null with the reason.</summary>
    public static int? FindObjective(Exercise exercise, string name, out string? error)
    {
        error = null;
        int index = name.Length is 0 or > MaxObjectiveLength ? -1 : exercise.Objectives.ToList().FindIndex(o => o.Id == name);
        if (index >= 0) return index;
        error = $"objective must be one of exercise {exercise.Number}'s: {string.Join(", ", exercise.Objectives.Select(o => o.Id))}";
        return null;
    }

    /// <summary>
    /// The student a request asks about: a student always themself (naming another is 403); the instructor must
    /// name one (a lab address or an IP address, as <c>--student</c>). Null when fine, else the reason and its status.
    /// </summary>
    public static string? Student(IQueryCollection query, DashboardViewer viewer, out string? student, out int status)
    {
        status = StatusCodes.Status400BadRequest;
        student = query["student"].ToString() is { Length: > 0 } s ? s : null;
        if (student is not null && (student.Length > DashboardAccess.MaxUserLength || !StudentScope.IsValid(student)))
        {
            return $"student must be a lab mail address or an IP address (at most {DashboardAccess.MaxUserLength} characters)";
        }
        if (viewer.Role == DashboardRole.Student)
        {
            if (student is not null && !student.Equals(viewer.Student, StringComparison.OrdinalIgnoreCase))
            {
                status = StatusCodes.Status403Forbidden;
                return "a student sees only their own progress";
            }
            student = viewer.Student;
        }
        return student is null ? "student is required: a lab mail address or an IP address" : null;
    }

    /// <summary>An unknown or repeated query parameter (so a typo never silently shows something else), or null.</summary>
    public static string? Unknown(IQueryCollection query, string[] known)
    {
        if (query.Keys.FirstOrDefault(k => !known.Contains(k)) is { } key)
        {
            return $"unknown parameter '{(key.Length <= 40 ? key : key[..40] + "...")}'" + (known.Length == 0 ? " (this route takes none)" : $" (known: {string.Join(", ", known)})");
        }
        return query.FirstOrDefault(p => p.Value.Count > 1) is { Key: { } repeated } ? $"parameter '{repeated}' given more than once" : null;
    }

    /// <summary>A judged objective as the API shows it.</summary>
    public static ObjectiveVerdict Verdict(ObjectiveResult r) => new(r.Objective.Id, r.Objective.Description, r.Met, r.Objective.Events.Count,
        r.Evidence.Select(e => Evidence(e.Event)).ToList(), r.Met ? null : r.Objective.Events[r.Matched].Describe());

    private static EvidenceEvent Evidence(TraceEvent e) => new(e.Sequence, e.Time, e.Site, e.Role.ToString(), e.Session, e.Message, e.Kind.ToString(),
        e.Text, e.Origin, e.Fields, e.Session is { } s ? "/sessions/" + Uri.EscapeDataString(s) : null, e.Message is { } m ? "/journey/" + Uri.EscapeDataString(m) : null);

    private static IResult NoExercise(string id) =>
        DashboardApi.Problem(StatusCodes.Status404NotFound, $"no exercise '{(id.Length <= 40 ? id : id[..40] + "...")}' (GET /api/exercises lists them)");
}
