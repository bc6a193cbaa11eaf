using System.Text;
using MailLab.Server.Exercises;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The Exercises pages: <c>/exercises</c> lists them; <c>/exercises/{id}</c> is the instructor's grid of students ×
/// objectives (a student sees their own objectives there instead); <c>/exercises/{id}/evidence</c> one cell's
/// evidence. Server-rendered; exercises.js re-reads the API every 2 seconds and opens evidence in place.
/// </summary>
internal static class ExercisePages
{
    public static IResult List(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        var viewer = context.Viewer(http);
        var board = ExerciseBoard.Of(context);
        var snapshot = board.Now();
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">Each objective is judged from the in-memory trace by the same code as <code>maillab exercise check</code>; ")
            .Append(viewer.SeesAll ? "open an exercise for the grid of students × objectives." : "open an exercise to see your own progress and its evidence.").Append("</p>\n");
        foreach (var error in board.Catalog.Errors) b.Append("<p class=\"error\">").Append(Enc(error)).Append("</p>\n");
        b.Append("<table class=\"exercises\"><caption class=\"sr\">Exercises</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Exercise</th>")
            .Append("<th scope=\"col\">Objectives</th><th scope=\"col\">Lab switches</th><th scope=\"col\">")
            .Append(viewer.SeesAll ? "Students with all met" : "Your progress").Append("</th></tr></thead><tbody>");
        foreach (var e in board.Catalog.Exercises)
        {
            b.Append("<tr><td class=\"num\">").Append(e.Number).Append("</td><td><a href=\"/exercises/").Append(e.Number).Append("\">").Append(Enc(e.Title))
                .Append("</a></td><td class=\"num\">").Append(e.Objectives.Count).Append("</td><td>")
                .Append(Enc(string.Join(", ", e.LabSwitches.Where(s => s.Value).Select(s => s.Key)))).Append("</td><td>");
            if (viewer.SeesAll)
            {
                int done = snapshot.Students.Count(s => snapshot.Judge(e, s.Student).All(r => r.Met));
                b.Append(done).Append(" of ").Append(snapshot.Students.Count);
            }
            else
            {
                int met = snapshot.Judge(e, viewer.Student!).Count(r => r.Met);
                b.Append(Mark(met == e.Objectives.Count, $"{met} of {e.Objectives.Count} met"));
            }
            b.Append("</td></tr>");
        }
        b.Append("</tbody></table>\n<p class=\"api\">As JSON: <a href=\"/api/exercises\">/api/exercises</a></p>");
        return Html(http, "Exercises", b.ToString());
    }

    public static IResult Show(HttpContext http, string id)
    {
        var context = DashboardContext.Of(http);
        var viewer = context.Viewer(http);
        var board = ExerciseBoard.Of(context);
        if (board.Find(id) is not { } exercise) return NotFound(http, id);
        var snapshot = board.Now();
        var b = new StringBuilder();
        string title = $"Exercise {exercise.Number}: {exercise.Title}";
        if (viewer.SeesAll)
        {
            Grid(b, ExerciseApi.BuildGrid(snapshot, exercise));
        }
        else
        {
            Progress(b, ExerciseApi.BuildProgress(snapshot, exercise, viewer.Student!));
        }
        return Html(http, title, b.ToString(), script: "exercises.js");
    }

    public static IResult Evidence(HttpContext http, string id)
    {
        var context = DashboardContext.Of(http);
        var board = ExerciseBoard.Of(context);
        if (board.Find(id) is not { } exercise) return NotFound(http, id);
        var query = http.Request.Query;
        string? error = ExerciseApi.Unknown(query, ["student", "objective"]);
        int status = StatusCodes.Status400BadRequest;
        string? student = null;
        int? index = null;
        if (error is null) error = ExerciseApi.Student(query, context.Viewer(http), out student, out status);
        if (error is null) index = ExerciseApi.FindObjective(exercise, query["objective"].ToString(), out error);
        if (error is not null) return Html(http, "Evidence", $"<p class=\"error\" role=\"alert\">{Enc(error)}</p>", status);
        var verdict = ExerciseApi.Verdict(board.Now().Judge(exercise, student!)[index!.Value]);
        var b = new StringBuilder();
        b.Append("<p><a href=\"/exercises/").Append(exercise.Number).Append("\">Exercise ").Append(exercise.Number).Append(": ").Append(Enc(exercise.Title)).Append("</a></p>\n");
        Objective(b, verdict);
        return Html(http, $"Evidence: {verdict.Id} for {student}", b.ToString());
    }

    private static void Grid(StringBuilder b, ExerciseApi.Grid grid)
    {
        b.Append("<p class=\"lead\">Rows: the lab's users (what they did once logged in: AUTH, POP3, IMAP) and the addresses students connected from ")
            .Append("(each workstation's own: SMTP, DNS and web requests). A met cell opens its evidence.</p>\n")
            .Append("<p id=\"live-status\" role=\"status\" aria-live=\"polite\">Judged up to event ").Append(grid.LastSeq).Append(" (reload to update; JavaScript updates it live).</p>\n")
            .Append("<div class=\"grid-wrap\"><table class=\"grid\" id=\"grid\" data-api=\"/api/exercises/").Append(grid.Exercise).Append("/grid\" data-exercise=\"")
            .Append(grid.Exercise).Append("\" data-seq=\"").Append(grid.LastSeq).Append("\"><caption class=\"sr\">Students × objectives of exercise ")
            .Append(grid.Exercise).Append("</caption><thead><tr><th scope=\"col\">Student</th>");
        foreach (var o in grid.Objectives)
        {
            b.Append("<th scope=\"col\" title=\"").Append(Enc(o.Description)).Append("\"><code>").Append(Enc(o.Id)).Append("</code></th>");
        }
        b.Append("<th scope=\"col\">Met</th></tr></thead><tbody>");
        foreach (var row in grid.Students)
        {
            b.Append("<tr data-student=\"").Append(Enc(row.Student)).Append("\"><th scope=\"row\">").Append(Enc(row.Student))
                .Append(row.Kind == "ip" ? " <span class=\"kind\">(IP address)</span>" : "").Append("</th>");
            foreach (var c in row.Cells) b.Append("<td data-objective=\"").Append(Enc(c.Objective)).Append("\">").Append(Cell(grid.Exercise, row.Student, c)).Append("</td>");
            b.Append("<td class=\"num total\">").Append(row.Met).Append(" of ").Append(row.Cells.Count).Append("</td></tr>");
        }
        b.Append("</tbody></table></div>\n");
        if (grid.MoreAddresses > 0) b.Append("<p>").Append(grid.MoreAddresses).Append(" more client addresses are not shown.</p>\n");
        b.Append("<section id=\"evidence\" class=\"evidence-panel\" aria-live=\"polite\" hidden></section>\n")
            .Append("<p class=\"api\">As JSON: <a href=\"/api/exercises/").Append(grid.Exercise).Append("/grid\">/api/exercises/").Append(grid.Exercise).Append("/grid</a></p>");
    }

    /// <summary>A cell: "✓ met (2)" or "✗ not yet (1 of 2)", a link to the evidence when there is any (exercises.js draws the same).</summary>
    private static string Cell(int exercise, string student, ExerciseApi.Cell c)
    {
        string mark = c.Met ? Mark(true, "met") + $" <span class=\"count\">({c.Evidence})</span>"
            : Mark(false, "not yet") + (c.Evidence > 0 ? $" <span class=\"count\">({c.Evidence} of {c.Patterns})</span>" : "");
        if (c.Evidence == 0) return mark;
        return $"<a class=\"cell\" href=\"{EvidenceUrl(exercise, student, c.Objective)}\">{mark}</a>";
    }

    private static string EvidenceUrl(int exercise, string student, string objective) =>
        Enc($"/exercises/{exercise}/evidence?student={Uri.EscapeDataString(student)}&objective={Uri.EscapeDataString(objective)}");

    private static void Progress(StringBuilder b, ExerciseApi.Progress p)
    {
        b.Append("<p class=\"lead\">Your progress as <code>").Append(Enc(p.Student)).Append("</code>: what you did once logged in (AUTH, POP3, IMAP) and what it caused. ")
            .Append("Steps without a login (SMTP to an MTA, <code>dig</code>) count by your workstation's address: the instructor's grid shows them.</p>\n")
            .Append("<p id=\"live-status\" role=\"status\" aria-live=\"polite\"><span class=\"total\">").Append(p.Met).Append(" of ").Append(p.Objectives.Count)
            .Append("</span> objectives met; judged up to event ").Append(p.LastSeq).Append(".</p>\n")
            .Append("<div id=\"progress\" data-api=\"/api/exercises/").Append(p.Exercise).Append("/progress\" data-seq=\"").Append(p.LastSeq).Append("\">");
        foreach (var v in p.Objectives) Objective(b, v);
        b.Append("</div>\n");
    }

    /// <summary>One objective with its evidence (or what matched so far and what is missing).</summary>
    private static void Objective(StringBuilder b, ExerciseApi.ObjectiveVerdict v)
    {
        b.Append("<section class=\"objective\" data-objective=\"").Append(Enc(v.Id)).Append("\"><h2><code>").Append(Enc(v.Id)).Append("</code> ")
            .Append(Mark(v.Met, v.Met ? "met" : "not yet")).Append("</h2><p>").Append(Enc(v.Description)).Append("</p>");
        if (v.Evidence.Count > 0)
        {
            b.Append("<p>").Append(v.Met ? "Evidence" : "So far").Append(" (").Append(v.Evidence.Count).Append(" of ").Append(v.Patterns).Append(" events):</p><ol class=\"evidence\">");
            foreach (var e in v.Evidence)
            {
                b.Append("<li><span class=\"num\">#").Append(e.Seq).Append("</span> ").Append(e.Time.ToString("HH:mm:ss")).Append(' ').Append(Enc(e.Site)).Append(' ').Append(Enc(e.Role));
                if (e.SessionUrl is not null) b.Append(" <a href=\"").Append(Enc(e.SessionUrl)).Append("\">session ").Append(Enc(e.Session)).Append("</a>");
                b.Append(" <strong>").Append(Enc(e.Kind)).Append("</strong>");
                if (e.JourneyUrl is not null) b.Append(" <a href=\"").Append(Enc(e.JourneyUrl)).Append("\">message ").Append(Enc(e.Message)).Append("</a>");
                b.Append(": <span class=\"text\">").Append(Enc(e.Text)).Append("</span></li>");
            }
            b.Append("</ol>");
        }
        if (v.Missing is not null) b.Append("<p class=\"missing\">Missing: <code>").Append(Enc(v.Missing)).Append("</code></p>");
        b.Append("</section>\n");
    }

    private static IResult NotFound(HttpContext http, string id) =>
        Html(http, "Exercises", $"<p class=\"error\">No exercise <code>{Enc(id)}</code>. <a href=\"/exercises\">The exercises</a></p>", StatusCodes.Status404NotFound);
}
