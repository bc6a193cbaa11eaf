using System.CommandLine;
using System.Net;
using MailLab.Server.Exercises;
using MailLab.Server.Exercises.Demos;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab exercise list | show N | start N | check N | demo N</c>: the lab exercises of
/// <c>lab-exercises/</c>, the lab started as one needs it, their objectives judged from the trace, and a
/// scripted student.
/// </summary>
internal static class ExerciseCommand
{
    public static Command Create()
    {
        var cmd = new Command("exercise", "Lab exercises: handouts, objectives checked from the trace, demos");

        var listDir = ExercisesOption();
        var list = new Command("list", "List the exercises and their objectives' count");
        list.Options.Add(listDir);
        list.SetAction(parse => List(parse.GetValue(listDir)));
        cmd.Subcommands.Add(list);

        var showN = Number();
        var showDir = ExercisesOption();
        var showData = CommonOptions.Data();
        var show = new Command("show", "Print an exercise's handout, with the running lab's addresses, ports and data directory in its commands "
            + "(the handouts are written for the default lab), and its objectives");
        show.Arguments.Add(showN);
        show.Options.Add(showDir);
        show.Options.Add(showData);
        show.SetAction(parse => Show(parse.GetValue(showN), parse.GetValue(showDir), parse.GetValue(showData)));
        cmd.Subcommands.Add(show);

        var startN = Number();
        var startDir = ExercisesOption();
        var upOptions = new UpCommand.Options();
        var start = new Command("start", "Start the lab ('maillab up') with the lab switches the exercise's objectives file names (lab-switches), and say which");
        start.Arguments.Add(startN);
        start.Options.Add(startDir);
        upOptions.AddTo(start);
        start.SetAction((parse, ct) =>
        {
            if (Find(parse.GetValue(startDir), parse.GetValue(startN)) is not { } e) return Task.FromResult(2);
            return UpCommand.RunAsync(parse, upOptions, new UpCommand.ExerciseSwitches(e.Number, e.Title, e.LabSwitches), ct);
        });
        cmd.Subcommands.Add(start);

        var checkN = Number();
        var checkDir = ExercisesOption();
        var data = CommonOptions.Data();
        var student = new Option<string?>("--student")
        {
            Description = "Judge only this student's activity: the IP address they connect from, or their lab mail address (AUTH, POP3, IMAP login)",
        };
        var since = new Option<string?>("--since")
        {
            Description = "Judge only events from this time on: 2026-11-28T16:00Z, 16:00 (today, local time), or 45m / 2h (that long ago)",
        };
        var check = new Command("check", "Judge an exercise's objectives from the lab's trace (<data>/trace); works while the lab runs or after it stopped");
        check.Arguments.Add(checkN);
        foreach (var o in new Option[] { data, student, since, checkDir }) check.Options.Add(o);
        check.SetAction((parse, ct) => CheckAsync(parse.GetValue(checkN), parse.GetValue(checkDir), parse.GetValue(data),
            parse.GetValue(student), parse.GetValue(since), ct));
        cmd.Subcommands.Add(check);

        var demoN = Number();
        var demoDir = ExercisesOption();
        var demoData = CommonOptions.Data();
        var lab = new Option<FileInfo?>("--lab") { Description = "The running lab's definition (for its domains and users). Default: the file the running lab was started with, else the embedded default lab" };
        var from = new Option<string?>("--student") { Description = "Connect from this local IP address (for example 127.0.0.5), as a student's workstation would" };
        var demo = new Command("demo", "Perform an exercise's steps against the running lab (a scripted student), narrating each one");
        demo.Arguments.Add(demoN);
        foreach (var o in new Option[] { demoData, lab, from, demoDir }) demo.Options.Add(o);
        demo.SetAction((parse, ct) => DemoAsync(parse.GetValue(demoN), parse.GetValue(demoDir), parse.GetValue(demoData),
            parse.GetValue(lab), parse.GetValue(from), ct));
        cmd.Subcommands.Add(demo);
        return cmd;
    }

    private static Argument<int> Number() => new("N") { Description = "The exercise number (see 'maillab exercise list')" };

    private static Option<DirectoryInfo?> ExercisesOption() => new("--exercises")
    {
        Description = "The exercises directory. Default: $MAILLAB_EXERCISES, else ./lab-exercises, else the copy next to maillab",
    };

    private static ExerciseCatalog Catalog(DirectoryInfo? dir) => ExerciseCatalog.Load(ExerciseCatalog.Locate(dir?.FullName));

    private static void PrintErrors(ExerciseCatalog catalog)
    {
        foreach (var e in catalog.Errors) Console.Error.WriteLine($"maillab: {e}");
    }

    /// <summary>The exercise; when it is missing, the files' errors too (it may be the broken one).</summary>
    private static Exercise? Find(DirectoryInfo? dir, int n)
    {
        var catalog = Catalog(dir);
        var e = catalog.Find(n);
        if (e is null)
        {
            PrintErrors(catalog);
            Console.Error.WriteLine($"maillab: no exercise {n} in {catalog.Directory} (there are: {string.Join(", ", catalog.Exercises.Select(x => x.Number))})");
        }
        return e;
    }

    private static int List(DirectoryInfo? dir)
    {
        var catalog = Catalog(dir);
        PrintErrors(catalog);
        Console.WriteLine($"exercises in {catalog.Directory}:");
        foreach (var e in catalog.Exercises)
        {
            string demo = ExerciseDemos.Find(e.Number) is null ? "" : ", demo";
            Console.WriteLine($"  {e.Number,3}  {e.Title}  ({e.Objectives.Count} objectives{demo}; {Path.GetFileName(e.Directory)})");
        }
        return catalog.Errors.Count == 0 ? 0 : 2;
    }

    private static int Show(int n, DirectoryInfo? dir, DirectoryInfo? dataDir)
    {
        if (Find(dir, n) is not { } e) return 2;
        if (!File.Exists(e.HandoutPath))
        {
            Console.WriteLine($"(no handout: {e.HandoutPath} is missing)");
        }
        else
        {
            string handout = File.ReadAllText(e.HandoutPath);
            var (text, note) = RenderForRunningLab(handout, CommonOptions.Locate(dataDir));
            Console.WriteLine(note);
            Console.WriteLine();
            Console.WriteLine(text.TrimEnd());
        }
        Console.WriteLine();
        Console.WriteLine($"Objectives ('maillab exercise check {e.Number}' judges them from the trace):");
        foreach (var o in e.Objectives)
        {
            Console.WriteLine($"  {o.Id}: {o.Description}");
        }
        if (e.LabSwitches.Count > 0)
        {
            Console.WriteLine($"Lab switches for this exercise: {string.Join(", ", e.LabSwitches.Select(s => $"{s.Key}: {(s.Value ? "true" : "false")}"))}"
                + $" ('maillab exercise start {e.Number}' starts the lab with them)");
        }
        return 0;
    }

    /// <summary>
    /// The handout with the running lab's addresses, ports and data directory (from its listeners.json),
    /// and a one-line note saying which lab it was rendered for; as written when no lab runs.
    /// </summary>
    private static (string Text, string Note) RenderForRunningLab(string handout, CommonOptions.DataDirectory data)
    {
        string listenersFile = Path.Combine(data.Path, "listeners.json");
        // Without a recorded running lab, ./maillab-data may be a stopped lab's: its listeners.json is stale.
        if (data.Source == "default" || !File.Exists(listenersFile))
        {
            return (handout, "(no running lab found: the handout as written, for the default lab; start the lab with 'maillab up' "
                + "and 'show' puts its addresses and ports into the commands)");
        }
        IReadOnlyList<MailLab.Server.Listeners.ListenerInfo> running;
        try
        {
            running = DemoContext.ReadListeners(data.Path);
        }
        catch (DemoException ex)
        {
            return (handout, $"(the handout as written, for the default lab: {ex.Message})");
        }
        var defaults = HandoutRenderer.ConfiguredListeners(MailLab.Server.Lab.LabDefinitionLoader.LoadDefault());
        var r = HandoutRenderer.Render(handout, defaults, running, data.Path);
        string note = $"(rendered for the running lab in {data.Path}: its addresses, ports and data directory are in the commands)";
        foreach (var u in r.Unmapped) note += $"\n(note: {u})";
        return (r.Text, note);
    }

    private static async Task<int> CheckAsync(int n, DirectoryInfo? dir, DirectoryInfo? dataDir, string? student, string? sinceText, CancellationToken ct)
    {
        if (Find(dir, n) is not { } e) return 2;
        if (student is not null && !StudentScope.IsValid(student))
        {
            Console.Error.WriteLine($"maillab: --student '{student}' is neither an IP address (127.0.0.5) nor a mail address (alice@uc.test)");
            return 2;
        }
        DateTimeOffset? since = null;
        if (sinceText is not null && (since = ExerciseCatalog.ParseSince(sinceText, DateTimeOffset.Now)) is null)
        {
            Console.Error.WriteLine($"maillab: --since '{sinceText}' is not a time (2026-11-28T16:00Z, 16:00, or 45m for 45 minutes ago)");
            return 2;
        }
        if (CommonOptions.Existing(dataDir) is not { } data) return 1;
        var report = await CheckReport.RunAsync(e, data, student, since, ct);
        report.Write(Console.Out);
        return report.AllMet ? 0 : 1;
    }

    private static async Task<int> DemoAsync(int n, DirectoryInfo? dir, DirectoryInfo? dataDir, FileInfo? labFile, string? fromText, CancellationToken ct)
    {
        if (Find(dir, n) is not { } e) return 2;
        if (ExerciseDemos.Find(n) is not { } demo)
        {
            Console.Error.WriteLine($"maillab: exercise {n} has no demo in this build");
            return 2;
        }
        IPAddress? from = null;
        if (fromText is not null && !IPAddress.TryParse(fromText, out from))
        {
            Console.Error.WriteLine($"maillab: --student '{fromText}' is not an IP address");
            return 2;
        }
        if (CommonOptions.Existing(dataDir) is not { } data) return 1;
        if (!LabCommand.TryLoad(CommonOptions.LabFile(labFile, data), out var lab)) return 2;
        Console.WriteLine($"demo of exercise {e.Number}: {e.Title}");
        if (e.LabSwitches.Count > 0)
        {
            Console.WriteLine($"(the handout's lab switches: {string.Join(", ", e.LabSwitches.Select(s => $"{s.Key}: {(s.Value ? "true" : "false")}"))})");
        }
        try
        {
            var ctx = new DemoContext(lab!, data, DemoContext.ReadListeners(data), from, Console.Out);
            await demo.RunAsync(ctx, ct);
        }
        catch (Exception ex) when (ex is DemoException or IOException or System.Net.Sockets.SocketException or MailKit.ProtocolException
            or MailKit.Net.Smtp.SmtpCommandException or MailKit.Security.AuthenticationException or System.Security.Authentication.AuthenticationException)
        {
            Console.Error.WriteLine($"maillab: demo stopped: {ex.Message}");
            return 1;
        }
        Console.WriteLine();
        Console.WriteLine($"done. The trace is flushed within a second; then: maillab exercise check {n} --data {data}{(from is null ? "" : $" --student {from}")}");
        return 0;
    }
}
