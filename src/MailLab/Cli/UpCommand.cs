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

    public static Command Create()
    {
        var lab = new Option<FileInfo?>("--lab") { Description = "Lab definition (YAML). Default: the embedded default lab (uc.test, bank.test, evil.test)" };
        var data = CommonOptions.Data();
        var quiet = new Option<bool>("--quiet") { Description = "Do not print trace events on the console (they still go to <data>/trace/trace.jsonl)" };
        var only = new Option<string?>("--only")
        {
            Description = "Run only these sites and/or the lab DNS, comma-separated (uc,bank or dns); the others run elsewhere (one host each)",
        };
        var cmd = new Command("up", "Start every site's listeners (MTA, MSA, POP3) in one process; Ctrl-C stops it");
        cmd.Options.Add(lab);
        cmd.Options.Add(data);
        cmd.Options.Add(quiet);
        cmd.Options.Add(only);
        cmd.SetAction((parse, ct) => RunAsync(parse.GetValue(lab), parse.GetValue(data), parse.GetValue(quiet), parse.GetValue(only), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(FileInfo? labFile, DirectoryInfo? dataDir, bool quiet, string? onlyList, CancellationToken ct)
    {
        if (!LabCommand.TryLoad(labFile?.FullName, out var lab)) return 2;
        LabSelection? only = null;
        if (onlyList is not null)
        {
            only = LabSelection.Parse(lab!, onlyList, out var error);
            if (only is null)
            {
                Console.Error.WriteLine($"maillab: {error}");
                return 2;
            }
            if (!only.Dns && only.Sites.Count > 0 && lab!.Dns.Port == 0)
            {
                // Port 0 is only known to the process that binds it; sites elsewhere could not ask it.
                Console.Error.WriteLine("maillab: --only without dns: the lab's dns: port is 0, so these sites cannot find the lab DNS; set dns: port");
                return 2;
            }
        }
        var data = CommonOptions.ResolveData(dataDir);
        try
        {
            Directory.CreateDirectory(data);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"maillab: cannot use data directory {data}: {ex.Message}");
            return 1;
        }

        await using var logger = TraceLogging.Create(data, console: !quiet);
        var tracer = new Tracer(new TraceStream(), logger, lab!.Switches.RevealSecrets);
        // No default configuration sources: maillab reads no appsettings.json, and the default one is
        // watched for changes recursively from the working directory (an inotify watch and a managed
        // entry per directory below it: 24 MB more RSS when started from a /tmp of 110,000 directories).
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Grace + TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(new LabHostedService(lab, data, tracer, labFile?.FullName, only));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LabHostedService>());
        using var host = builder.Build();
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

    private static Exception Unwrap(Exception ex) => ex is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : ex;

    private static void PrintTable(LabRuntime runtime, string? labFile)
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
        Console.WriteLine($"data directory: {runtime.DataDirectory}");
        Console.WriteLine($"lab CA:         {runtime.CertificateAuthority.CertificatePath}");
        Console.WriteLine($"listeners:      {runtime.ListenersFile}");
        Console.WriteLine($"trace (JSON):   {Path.Combine(runtime.DataDirectory, "trace", "trace.jsonl")}");
        Console.WriteLine("Ctrl-C stops the lab.");
        Console.Out.Flush();
    }

    /// <summary>Starts the lab with the host and stops it when the host stops (Ctrl-C, SIGTERM).</summary>
    private sealed class LabHostedService(LabDefinition lab, string data, Tracer tracer, string? labFile, LabSelection? only) : IHostedService
    {
        private LabRuntime? runtime;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            runtime = LabRuntime.Start(lab, data, tracer, r => PrintTable(r, labFile), only: only);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => runtime?.StopAsync(Grace) ?? Task.CompletedTask;
    }
}
