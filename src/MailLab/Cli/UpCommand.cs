using System.CommandLine;
using MailLab.Server;
using MailLab.Server.Certificates;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailLab.Cli;

/// <summary><c>maillab up</c>: starts the whole lab in one process until Ctrl-C or SIGTERM.</summary>
internal static class UpCommand
{
    /// <summary>How long open sessions get to finish when the lab stops.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>The options of <c>up</c>, which <c>exercise start N</c> takes too.</summary>
    internal sealed class Options
    {
        public Option<FileInfo?> Lab { get; } = new("--lab") { Description = "Lab definition (YAML). Default: the embedded default lab (uc.test, bank.test, evil.test)" };

        public Option<DirectoryInfo?> Data { get; } = new("--data")
        {
            Description = "Data directory (certificates, mail store, trace, listeners.json). Default: $MAILLAB_DATA, else ./maillab-data",
        };

        public Option<bool> Quiet { get; } = new("--quiet") { Description = "Do not print trace events on the console (they still go to <data>/trace/trace.jsonl)" };

        public Option<string?> Only { get; } = new("--only")
        {
            Description = "Run only these sites and/or the lab DNS, comma-separated (uc,bank or dns); the others run elsewhere (one host each)",
        };

        public Option<string[]> Switch { get; } = new("--switch")
        {
            Description = "Turn a lab switch on for this start (NAME), or off (NAME=off), whatever the lab file says; repeatable. "
                + "Switches: " + string.Join(", ", LabSwitches.Names),
            HelpName = "NAME[=off]",
        };

        public Option<DirectoryInfo[]> Follow { get; } = new("--follow")
        {
            Description = "The dashboard also shows the trace of the maillab up whose data directory this is (mounted here: the classroom's site "
                + "containers); repeatable. Only with the lab DNS in this process, where the dashboard runs",
            HelpName = "DATA-DIR",
        };

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Lab, Data, Quiet, Only, Switch, Follow }) cmd.Options.Add(o);
        }
    }

    public static Command Create()
    {
        var options = new Options();
        var cmd = new Command("up", "Start every site's listeners (MTA, MSA, POP3, IMAP) and the lab DNS in one process; Ctrl-C stops it");
        options.AddTo(cmd);
        cmd.SetAction((parse, ct) => RunAsync(parse, options, null, ct));
        return cmd;
    }

    /// <summary>Switches an exercise asks for (<c>exercise start N</c>), applied over the lab file and under <c>--switch</c>.</summary>
    internal sealed record ExerciseSwitches(int Number, string Title, IReadOnlyDictionary<string, bool> Switches);

    /// <summary>
    /// Parses <c>--switch</c> values (NAME, NAME=on, NAME=off); null after a one-line error naming the valid switches.
    /// </summary>
    internal static Dictionary<string, bool>? ParseSwitches(IEnumerable<string> values)
    {
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.IndexOf('=');
            string name = (eq < 0 ? value : value[..eq]).Trim().ToLowerInvariant();
            string state = eq < 0 ? "on" : value[(eq + 1)..].Trim().ToLowerInvariant();
            if (!LabSwitches.Names.Contains(name))
            {
                Console.Error.WriteLine($"maillab: --switch '{value}': no such lab switch; the switches are {string.Join(", ", LabSwitches.Names)}");
                return null;
            }
            bool? on = state switch { "on" or "true" => true, "off" or "false" => false, _ => null };
            if (on is null)
            {
                Console.Error.WriteLine($"maillab: --switch '{value}': '{state}' is neither on nor off (write {name}, {name}=on or {name}=off)");
                return null;
            }
            result[name] = on.Value;
        }
        return result;
    }

    /// <summary>The environment variable that sets the dashboard's instructor password over the lab file's (the classroom's dns container).</summary>
    internal const string InstructorPasswordVariable = "MAILLAB_INSTRUCTOR_PASSWORD";

    /// <summary>The lab file's dashboard settings with <c>--follow</c> and <see cref="InstructorPasswordVariable"/>; null after a one-line error.</summary>
    private static LabDashboard? DashboardSettings(LabDefinition lab, DirectoryInfo[] follow, LabSelection? only)
    {
        var settings = lab.Dashboard;
        if (Environment.GetEnvironmentVariable(InstructorPasswordVariable) is { Length: > 0 } password)
        {
            if (password.Length > LabDashboard.MaxPasswordLength)
            {
                Console.Error.WriteLine($"maillab: ${InstructorPasswordVariable} is longer than {LabDashboard.MaxPasswordLength} characters");
                return null;
            }
            settings = settings with { InstructorPassword = password };
        }
        if (follow.Length == 0) return settings;
        if (only is { Dns: false })
        {
            Console.Error.WriteLine("maillab: --follow: the dashboard runs with the lab DNS, and --only leaves it out of this process");
            return null;
        }
        if (follow.FirstOrDefault(d => !d.Exists) is { } missing)
        {
            Console.Error.WriteLine($"maillab: --follow {missing.FullName}: no such directory");
            return null;
        }
        return settings with { Follow = follow.Select(d => d.FullName).ToList() };
    }

    internal static async Task<int> RunAsync(ParseResult parse, Options options, ExerciseSwitches? exercise, CancellationToken ct)
    {
        var labFile = parse.GetValue(options.Lab);
        if (!LabCommand.TryLoad(labFile?.FullName, out var lab)) return 2;
        if (ParseSwitches(parse.GetValue(options.Switch) ?? []) is not { } given) return 2;
        // The lab file, then the exercise's lab-switches, then --switch: the last word wins.
        var changed = new Dictionary<string, string>(StringComparer.Ordinal);
        var switches = lab!.Switches;
        foreach (var (name, on) in exercise?.Switches ?? new Dictionary<string, bool>())
        {
            switches = switches.With(name, on);
            changed[name] = $"exercise {exercise!.Number}";
        }
        foreach (var (name, on) in given)
        {
            switches = switches.With(name, on);
            changed[name] = "--switch";
        }
        lab = lab with { Switches = switches };
        string switchesOn = switches.On.Count == 0
            ? "none"
            : string.Join(", ", switches.On.Select(n => changed.TryGetValue(n, out var why) ? $"{n} ({why})" : n));

        LabSelection? only = null;
        if (parse.GetValue(options.Only) is { } onlyList)
        {
            only = LabSelection.Parse(lab, onlyList, out var error);
            if (only is null)
            {
                Console.Error.WriteLine($"maillab: {error}");
                return 2;
            }
            if (!only.Dns && only.Sites.Count > 0 && lab.Dns.Port == 0)
            {
                // Port 0 is only known to the process that binds it; sites elsewhere could not ask it.
                Console.Error.WriteLine("maillab: --only without dns: the lab's dns: port is 0, so these sites cannot find the lab DNS; set dns: port");
                return 2;
            }
        }
        if (DashboardSettings(lab, parse.GetValue(options.Follow) ?? [], only) is not { } dashboard) return 2;
        lab = lab with { Dashboard = dashboard };
        // up starts a lab: it never takes over the running lab's directory, only --data, $MAILLAB_DATA or ./maillab-data.
        var data = CommonOptions.Locate(parse.GetValue(options.Data), findRunning: false).Path;
        try
        {
            Directory.CreateDirectory(data);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"maillab: cannot use data directory {data}: {ex.Message}");
            return 1;
        }
        // Before anything else in the directory is opened: a second lab there would interleave its
        // trace lines with the first one's and fight over mailboxes, queue and zones.
        using var held = LabLock.TryAcquire(data, out var lockError);
        if (held is null)
        {
            if (lockError is not null)
            {
                Console.Error.WriteLine($"maillab: cannot lock data directory {data} ({Path.Combine(data, LabLock.FileName)}): {lockError}");
                return 1;
            }
            var holder = RunningLab.Find() is { } r && r.DataDirectory == data ? $" (pid {r.Pid})" : "";
            Console.Error.WriteLine($"maillab: a lab is already running on {data}{holder}; stop it first (Ctrl-C where it runs), or start this one with --data ANOTHER-DIR");
            return 1;
        }

        if (exercise is not null)
        {
            Console.WriteLine(exercise.Switches.Count == 0
                ? $"exercise {exercise.Number} ({exercise.Title}) needs no lab switch: starting the lab as it is"
                : $"exercise {exercise.Number} ({exercise.Title}): starting the lab with its lab switches {string.Join(", ", exercise.Switches.Select(s => $"{s.Key}={(s.Value ? "on" : "off")}"))}");
            if (exercise.Switches.Count > 0) Console.WriteLine("  (back to the default lab afterwards: Ctrl-C, then 'maillab up')");
        }

        var record = new RunningLab(data, Environment.ProcessId, labFile?.FullName, DateTimeOffset.Now);
        await using var logger = TraceLogging.Create(data, console: !parse.GetValue(options.Quiet));
        var tracer = new Tracer(new TraceStream(), logger, lab.Switches.RevealSecrets);
        // No default configuration sources: maillab reads no appsettings.json, and the default one is
        // watched for changes recursively from the working directory (an inotify watch and a managed
        // entry per directory below it: 24 MB more RSS when started from a /tmp of 110,000 directories).
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Grace + TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(new LabHostedService(lab, data, tracer, only, runtime =>
        {
            PrintTable(runtime, labFile?.FullName, switchesOn);
            // Recorded before listeners.json is written, so whoever waits for that file finds the lab too.
            if (record.Write() is { } why) Console.Error.WriteLine($"maillab: note: cannot record the running lab in {RunningLab.RecordPath} ({why}); other commands need --data {data}");
        }));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LabHostedService>());
        using var host = builder.Build();
        try
        {
            try
            {
                // The host's console lifetime takes Ctrl-C and SIGTERM before the lab binds, so a
                // signal at any moment after this stops the lab cleanly.
                await host.StartAsync(ct);
            }
            catch (Exception ex) when (Unwrap(ex) is ListenerBindException or LabCertificateException or IOException or UnauthorizedAccessException)
            {
                // One line naming what failed; never a stack trace.
                Console.Error.WriteLine($"maillab: {Unwrap(ex).Message}");
                return 1;
            }
            await host.WaitForShutdownAsync(ct);
            return 0;
        }
        finally
        {
            RunningLab.RemoveIfOwnedBy(record.Pid);
        }
    }

    private static Exception Unwrap(Exception ex) => ex is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : ex;

    private static void PrintTable(LabRuntime runtime, string? labFile, string switchesOn)
    {
        Console.WriteLine($"MailLab {typeof(UpCommand).Assembly.GetName().Version?.ToString(3)}: lab '{runtime.Lab.Name}' from {labFile ?? "embedded defaults"}");
        Console.WriteLine($"{"SITE",-12} {"ROLE",-5} {"ADDRESS:PORT",-22} TLS");
        foreach (var l in runtime.Listeners)
        {
            Console.WriteLine($"{l.Site,-12} {l.Role,-5} {l.Address + ":" + l.Port,-22} {l.Tls}");
        }
        if (runtime.Dns is null)
        {
            Console.WriteLine($"lab DNS:        elsewhere, at {runtime.Lab.Dns.Address}:{runtime.Lab.Dns.Port} (not run here: --only)");
        }
        if (runtime.Web is { } web)
        {
            Console.WriteLine($"lab web:        {web.Url}  (/pki/ca.crt, /pki/user-ca.crl; key server: gpg --keyserver hkp://{web.Info.Address}:{web.Info.Port})");
        }
        if (runtime.Dashboard is { } dashboard)
        {
            Console.WriteLine($"dashboard:      {dashboard.Url}/  ({(dashboard.SignInRequired ? "sign-in required" : "open: loopback")}; API {dashboard.Url}/api/openapi.json)");
        }
        Console.WriteLine($"switches on:    {switchesOn}");
        Console.WriteLine($"data directory: {runtime.DataDirectory}");
        Console.WriteLine($"lab CA:         {runtime.CertificateAuthority.CertificatePath}");
        Console.WriteLine($"listeners:      {runtime.ListenersFile}");
        Console.WriteLine($"trace (JSON):   {Path.Combine(runtime.DataDirectory, "trace", "trace.jsonl")}");
        Console.WriteLine("Ctrl-C stops the lab.");
        Console.Out.Flush();
    }

    /// <summary>Starts the lab with the host and stops it when the host stops (Ctrl-C, SIGTERM).</summary>
    private sealed class LabHostedService(LabDefinition lab, string data, Tracer tracer, LabSelection? only, Action<LabRuntime> onBound) : IHostedService
    {
        private LabRuntime? runtime;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            runtime = LabRuntime.Start(lab, data, tracer, onBound, only: only);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => runtime?.StopAsync(Grace) ?? Task.CompletedTask;
    }
}
