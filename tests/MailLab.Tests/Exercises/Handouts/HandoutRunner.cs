using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using MailLab.Server;
using MailLab.Server.Exercises;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Relay;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using Xunit.Abstractions;

namespace MailLab.Tests.Exercises.Handouts;

/// <summary>
/// Follows a handout literally, as a student who copies from <c>maillab exercise show</c> would: starts a
/// real lab whose addresses and ports all differ from the default lab's, renders the handout for it
/// (<see cref="HandoutRenderer"/>), runs every shell command in bash with the real tools (swaks, dig, nc,
/// openssl, the real <c>maillab</c>), types every dialogue into its connection line by line, waiting for
/// each reply, and asserts the objectives the handout promises (<c>&lt;!-- check: ... --&gt;</c>) with the
/// real checker. Any failure throws with the handout line and what the student would have seen.
/// </summary>
internal sealed partial class HandoutRunner : IAsyncDisposable
{
    /// <summary>What the runner's commands connect from (nc, swaks and dig without -b, -s or --local-interface).</summary>
    public const string StudentAddress = "127.0.0.1";

    // The default lab's addresses and the runner's own: every one differs, and every port is 0.
    private static readonly (string Default, string Ours)[] Addresses =
        [("127.0.1.1", "127.0.41.1"), ("127.0.2.1", "127.0.42.1"), ("127.0.3.1", "127.0.43.1"), ("127.0.9.1", "127.0.49.1")];

    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ObjectiveTimeout = TimeSpan.FromSeconds(20);

    private readonly Exercise exercise;
    private readonly ExerciseCatalog catalog;
    private readonly ITestOutputHelper log;
    private readonly string root = TempDir.New("handout");
    private readonly string data;
    private readonly string work;
    private readonly string bin;
    private readonly string state;
    private readonly string labFile;
    private readonly IReadOnlyList<ListenerInfo> defaults;
    private readonly string handout;
    private readonly HashSet<string> promised = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> switchesSeen = new(StringComparer.Ordinal);
    private LabRuntime? runtime;
    private TraceLog? logger;
    private Connection? connection;

    public HandoutRunner(Exercise exercise, ExerciseCatalog catalog, ITestOutputHelper log)
    {
        this.exercise = exercise;
        this.catalog = catalog;
        this.log = log;
        handout = File.ReadAllText(exercise.HandoutPath);
        data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
        bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        state = Directory.CreateDirectory(Path.Combine(root, "state")).FullName;
        labFile = Path.Combine(root, "runner-lab.yml");
        var defaultLab = LabDefinitionLoader.Parse(DefaultLabYaml(), "default-lab.yml");
        defaults = [.. HandoutRenderer.ConfiguredListeners(defaultLab), HttpsListener(defaultLab.Web.Address, defaultLab.Web.HttpsPort)];
        WriteZones(Path.Combine(root, "zones"));
        // The real maillab, as a student has it on PATH.
        string wrapper = Path.Combine(bin, "maillab");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "maillab.dll")}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Runs the whole handout; throws <see cref="HandoutFailure"/> at the first step that fails.</summary>
    public async Task RunAsync()
    {
        await StartLabAsync([]);
        var steps = Steps();
        for (int i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step is not TypeStep && step is not CheckStep) await CloseConnectionAsync();
            switch (step)
            {
                case LabStartStep s:
                    Log(s.Line, $"(re)start the lab: {s.Command}");
                    await StartLabAsync(SwitchesOf(s));
                    steps = Steps(); // the same steps, rendered for the restarted lab's ports
                    break;
                case ShellStep s:
                    await RunShellAsync(s);
                    break;
                case ConnectStep s:
                    connection = await Connection.OpenAsync(s, work, Environment(), this);
                    break;
                case TypeStep s:
                    if (connection is null) throw Fail(s.Line, "a dialogue with no connection open");
                    await connection.TypeAsync(s);
                    break;
                case CheckStep s:
                    await CheckAsync(s.Line, s.Objectives);
                    break;
                case NotRunStep s:
                    Log(s.Line, $"not run: {s.Reason}");
                    break;
            }
        }
        await CloseConnectionAsync();

        var never = exercise.Objectives.Select(o => o.Id).Where(id => !promised.Contains(id)).ToList();
        if (never.Count > 0) throw Fail(0, $"no '<!-- check: -->' promises {string.Join(", ", never)}: every objective must be met at a step of the handout");
        foreach (var (name, on) in exercise.LabSwitches)
        {
            if (!switchesSeen.TryGetValue(name, out bool seen) || seen != on)
            {
                throw Fail(0, $"the exercise needs lab switch {name}={(on ? "on" : "off")}, and no step of the handout starts the lab with it (maillab exercise start {exercise.Number})");
            }
        }
        await CheckAsync(0, [.. exercise.Objectives.Select(o => o.Id)]);
    }

    /// <summary>The handout's steps, rendered for the running lab.</summary>
    private IReadOnlyList<HandoutStep> Steps()
    {
        var https = runtime!.Web?.HttpsEndPoint;
        var running = https is null ? runtime.Listeners : [.. runtime.Listeners, HttpsListener(https.Address.ToString(), https.Port)];
        var rendered = HandoutRenderer.Render(handout, defaults, running, data);
        if (rendered.Unmapped.Count > 0) throw Fail(0, $"the renderer could not map: {string.Join("; ", rendered.Unmapped)}");
        try
        {
            return HandoutScript.Parse(rendered.Text);
        }
        catch (FormatException ex)
        {
            throw new HandoutFailure($"exercise {exercise.Number} handout: {ex.Message}");
        }
    }

    private List<(string Name, bool On)> SwitchesOf(LabStartStep s)
    {
        if (s.Exercise is not int n) return [.. s.Switches];
        var e = catalog.Find(n) ?? throw Fail(s.Line, $"'{s.Command}': no exercise {n}");
        return [.. e.LabSwitches.Select(kv => (kv.Key, kv.Value)), .. s.Switches];
    }

    private async Task StartLabAsync(IReadOnlyList<(string Name, bool On)> switches)
    {
        await StopLabAsync();
        string yaml = DefaultLabYaml();
        foreach (var (d, ours) in Addresses) yaml = yaml.Replace($"address: {d}", $"address: {ours}");
        yaml = PortLine().Replace(yaml, "${key}: 0");
        yaml = yaml.Replace("zones: zones", $"zones: {Path.Combine(root, "zones")}");
        foreach (var (name, on) in switches)
        {
            var r = new Regex($@"(?m)^(\s*{Regex.Escape(name)}:\s*)(true|false)");
            if (!r.IsMatch(yaml)) throw Fail(0, $"lab switch '{name}' does not exist");
            yaml = r.Replace(yaml, $"${{1}}{(on ? "true" : "false")}", 1);
            switchesSeen[name] = on;
        }
        File.WriteAllText(labFile, yaml);
        _ = TestLab.FromYaml(yaml, data: data); // copies the tests' lab CA and DKIM keys into the data directory (none made per test)
        TestPki.SeedUserPki(data);
        logger = TraceLogging.Create(data, console: false);
        bool reveal = switches.Any(s => s is ("reveal-secrets", true));
        runtime = LabRuntime.Start(LabDefinitionLoader.Load(labFile), data, new Tracer(new TraceStream(), logger, reveal));
        // The per-user record 'maillab up' writes, so every maillab command finds this lab by itself.
        File.WriteAllText(Path.Combine(state, "current.json"), JsonSerializer.Serialize(new
        {
            DataDirectory = data, Pid = System.Environment.ProcessId, LabFile = labFile, Started = DateTimeOffset.Now,
        }));
        log.WriteLine($"lab started: {string.Join(", ", runtime.Listeners.Select(l => $"{l.Site} {l.Role}/{l.Tls} {l.Address}:{l.Port}"))}");
    }

    private async Task StopLabAsync()
    {
        if (runtime is not null) await runtime.DisposeAsync();
        if (logger is not null) await logger.DisposeAsync();
        runtime = null;
        logger = null;
    }

    // https-port too: a fixed 11443 made every handout's lab clash with another test run's on the same machine.
    [GeneratedRegex(@"(?m)(?<key>(?<![\w-])(?:mta|submission|submissions|pop3|pop3s|imap|imaps|port|https-port)): \d+")]
    private static partial Regex PortLine();

    /// <summary>
    /// The lab web's HTTPS listener (MTA-STS policies), which listeners.json does not list: the handouts write the
    /// default lab's 11443 next to the web's address, and the runner's lab binds a free port instead.
    /// </summary>
    private static ListenerInfo HttpsListener(string address, int port) => new("lab", "WEB", address, port, "implicit");

    private static string DefaultLabYaml()
    {
        using var s = typeof(LabDefinitionLoader).Assembly.GetManifestResourceStream(LabDefinitionLoader.EmbeddedResourceName)!;
        return new StreamReader(s).ReadToEnd();
    }

    /// <summary>The default zones with the runner's addresses (forward records and the reverse zone's names).</summary>
    private static void WriteZones(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, text) in Server.Dns.LabZones.DefaultZones())
        {
            string t = text;
            foreach (var (d, ours) in Addresses)
            {
                t = t.Replace(d, ours);
                string[] dp = d.Split('.'), op = ours.Split('.');
                t = t.Replace($"\n{dp[3]}.{dp[2]}.{dp[1]} ", $"\n{op[3]}.{op[2]}.{op[1]} "); // 127.in-addr.arpa: "1.2.0  IN PTR"
            }
            File.WriteAllText(Path.Combine(dir, name), t);
        }
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["PATH"] = bin + ":" + System.Environment.GetEnvironmentVariable("PATH"),
        ["MAILLAB_STATE_DIR"] = state,
        ["MAILLAB_EXERCISES"] = catalog.Directory,
        ["HOME"] = root,
    };

    private async Task RunShellAsync(ShellStep s)
    {
        if (s.Command.StartsWith("maillab exercise check", StringComparison.Ordinal))
        {
            // A student reads their progress after the steps; the lab flushes its trace once a second.
            await CheckAsync(s.Line, [.. promised]);
        }
        else
        {
            await WaitForQueueAsync();
        }
        var psi = new ProcessStartInfo("bash", ["-c", s.Command])
        {
            WorkingDirectory = work, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (k, v) in Environment()) psi.Environment[k] = v;
        psi.Environment.Remove("MAILLAB_DATA");
        string zonesBefore = ZoneFiles();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close(); // a command that reads the terminal gets end of input
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(CommandTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw Fail(s.Line, $"'{s.Command}' did not finish within {CommandTimeout.TotalSeconds:0} s\n{await stdout}{await stderr}");
        }
        string output = (await stdout) + (await stderr);
        // The lab polls its zone files (and the DNSSEC break state) twice a second; a student reads the change with dig a moment later.
        // The runner reloads at once instead, so the next command never races the poller.
        if (ZoneFiles() != zonesBefore) runtime!.Dns?.Zones.Refresh();
        Log(s.Line, $"$ {s.Command}\n{Shorten(output)}(exit {p.ExitCode})");
        if (p.ExitCode != 0 && !s.ExpectedExit.Contains(p.ExitCode))
        {
            string expected = s.ExpectedExit.Count == 0 ? "0" : "0 or " + string.Join(", ", s.ExpectedExit);
            throw Fail(s.Line, $"'{s.Command}' exited {p.ExitCode} (expected {expected}):\n{Shorten(output)}");
        }
    }

    // The zone files and the DNSSEC break state ('maillab dns break/repair'): a change to either is served after a reload.
    private string ZoneFiles() => string.Join("\n", Directory.GetFiles(Path.Combine(data, "zones"), "*.zone").Order(StringComparer.Ordinal)
        .Append(Path.Combine(data, "dnssec", "broken")).Select(f => new FileInfo(f))
        .Select(f => f.Exists ? $"{f.Name} {f.LastWriteTimeUtc.Ticks} {f.Length}" : $"{f.Name} none"));

    /// <summary>
    /// Waits (bounded) until every message in the relay queue has been tried, as a student waits for the console to go
    /// quiet: delivered, failed, or deferred. A deferred one waits for its retry (minutes), and so does nobody else.
    /// </summary>
    private async Task WaitForQueueAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // An entry whose recipients are all delivered or failed is still being finished (its bounce made and
        // delivered) until it leaves the queue: wait for that too, or a handout that reads the bounce races it.
        while (RelayQueue.ReadAll(Path.Combine(data, "queue")).Any(e => e.Recipients.Any(r => r.State == RecipientState.Scheduled)
                || e.Recipients.All(r => r.State is RecipientState.Delivered or RecipientState.Failed))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    private async Task CheckAsync(int line, IReadOnlyList<string> ids)
    {
        foreach (var id in ids)
        {
            if (exercise.Objectives.All(o => o.Id != id)) throw Fail(line, $"'<!-- check: {id} -->': exercise {exercise.Number} has no objective '{id}'");
            promised.Add(id);
        }
        var deadline = DateTime.UtcNow + ObjectiveTimeout;
        while (true)
        {
            var report = await CheckReport.RunAsync(exercise, data, StudentAddress, null);
            var missing = report.Results.Where(r => ids.Contains(r.Objective.Id) && !r.Met).Select(r => r.Objective.Id).ToList();
            if (missing.Count == 0)
            {
                Log(line, $"objectives met: {string.Join(" ", ids)}");
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                var text = new StringWriter();
                report.Write(text);
                throw Fail(line, $"objectives not met (--student {StudentAddress}): {string.Join(", ", missing)}\n{text}");
            }
            await Task.Delay(250);
        }
    }

    private async Task CloseConnectionAsync()
    {
        if (connection is null) return;
        await connection.DisposeAsync();
        connection = null;
    }

    private void Log(int line, string text) => log.WriteLine($"[exercise {exercise.Number} line {line}] {text}");

    internal HandoutFailure Fail(int line, string text) =>
        new(line > 0 ? $"exercise {exercise.Number}, handout line {line}: {text}" : $"exercise {exercise.Number}: {text}");

    private static string Shorten(string s) => s.Length > 4000 ? s[..2000] + "\n...\n" + s[^2000..] : s;

    public async ValueTask DisposeAsync()
    {
        await CloseConnectionAsync();
        await StopLabAsync();
    }

    /// <summary>An interactive connection (nc, openssl s_client) a student types into.</summary>
    private sealed partial class Connection : IAsyncDisposable
    {
        private enum Protocol { Smtp, Pop3, Imap }

        private readonly Process process;
        private readonly Channel<string> lines = Channel.CreateUnbounded<string>();
        private readonly StringBuilder seen = new();
        private readonly HandoutRunner runner;
        private readonly ConnectStep step;
        private Protocol protocol;
        private bool closed;

        private Connection(Process process, HandoutRunner runner, ConnectStep step)
        {
            this.process = process;
            this.runner = runner;
            this.step = step;
        }

        [GeneratedRegex(@"-starttls\s+(?<p>smtp|pop3|imap)")]
        private static partial Regex StartTls();

        public static async Task<Connection> OpenAsync(ConnectStep step, string work, Dictionary<string, string> env, HandoutRunner runner)
        {
            var psi = new ProcessStartInfo("bash", ["-c", "exec " + step.Command])
            {
                WorkingDirectory = work, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            foreach (var (k, v) in env) psi.Environment[k] = v;
            var c = new Connection(Process.Start(psi)!, runner, step);
            runner.Log(step.Line, $"$ {step.Command}");
            _ = c.PumpAsync(c.process.StandardOutput, complete: true);
            _ = c.PumpAsync(c.process.StandardError, complete: false);
            if (StartTls().Match(step.Command) is { Success: true } m)
            {
                // openssl read the greeting and did STARTTLS itself; the dialogue starts after the handshake.
                c.protocol = m.Groups["p"].Value switch { "smtp" => Protocol.Smtp, "pop3" => Protocol.Pop3, _ => Protocol.Imap };
            }
            else
            {
                string greeting = await c.ReadUntilAsync(l => l.StartsWith("220 ", StringComparison.Ordinal) || l.StartsWith("+OK", StringComparison.Ordinal)
                    || l.StartsWith("* OK", StringComparison.Ordinal), "the server's greeting");
                c.protocol = greeting[0] == '2' ? Protocol.Smtp : greeting[0] == '+' ? Protocol.Pop3 : Protocol.Imap;
            }
            return c;
        }

        private async Task PumpAsync(StreamReader reader, bool complete)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (complete) await lines.Writer.WriteAsync(line.TrimEnd('\r'));
                else lock (seen) seen.Append("[stderr] ").Append(line).Append('\n');
            }
            if (complete) lines.Writer.Complete();
        }

        /// <summary>Reads server lines until one matches; fails when the connection ends or nothing comes for 30 s.</summary>
        private async Task<string> ReadUntilAsync(Func<string, bool> done, string what)
        {
            using var cts = new CancellationTokenSource(ReplyTimeout);
            try
            {
                while (await lines.Reader.WaitToReadAsync(cts.Token))
                {
                    while (lines.Reader.TryRead(out var line))
                    {
                        lock (seen) seen.Append("S: ").Append(line).Append('\n');
                        if (done(line)) return line;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                throw runner.Fail(step.Line, $"'{step.Command}': no {what} within {ReplyTimeout.TotalSeconds:0} s\n{Seen()}");
            }
            closed = true;
            await process.WaitForExitAsync();
            throw runner.Fail(step.Line, $"'{step.Command}': the connection ended (exit {process.ExitCode}) before {what}\n{Seen()}");
        }

        private string Seen()
        {
            lock (seen) return seen.ToString();
        }

        public async Task TypeAsync(TypeStep block)
        {
            bool inData = false;
            var errors = new List<string>();
            for (int k = 0; k < block.Lines.Count; k++)
            {
                string line = block.Lines[k];
                int at = block.Line + k;
                lock (seen) seen.Append("C: ").Append(line).Append('\n');
                await process.StandardInput.WriteAsync(line + "\n");
                await process.StandardInput.FlushAsync();
                if (inData)
                {
                    if (line != ".") continue; // RFC 5321 §4.1.1.4: no reply until the end of the data
                    inData = false;
                }
                string verb = line.Split(' ', 2)[0].ToUpperInvariant();
                string? error;
                switch (protocol)
                {
                    case Protocol.Smtp:
                        string reply = await ReadUntilAsync(l => Regex.IsMatch(l, @"^\d{3}( |$)"), $"reply to '{line}' (line {at})");
                        inData = reply.StartsWith("354", StringComparison.Ordinal);
                        error = reply[0] is '4' or '5' ? reply[..3] : null;
                        break;
                    case Protocol.Pop3:
                        string status = await ReadUntilAsync(l => l.StartsWith("+OK", StringComparison.Ordinal) || l.StartsWith("-ERR", StringComparison.Ordinal),
                            $"reply to '{line}' (line {at})");
                        error = status.StartsWith("-ERR", StringComparison.Ordinal) ? "-ERR" : null;
                        bool multiLine = verb is "RETR" or "TOP" or "CAPA" || (verb is "LIST" or "UIDL" && !line.Trim().Contains(' '));
                        if (error is null && multiLine) await ReadUntilAsync(l => l == ".", $"the end of the reply to '{line}' (line {at})"); // RFC 1939 §3
                        break;
                    default:
                        string tag = line.Split(' ', 2)[0];
                        string tagged = await ReadUntilAsync(l => l.StartsWith(tag + " ", StringComparison.Ordinal), $"tagged reply to '{line}' (line {at})");
                        string result = tagged.Split(' ', 3).ElementAtOrDefault(1) ?? "";
                        error = result is "NO" or "BAD" ? result : null;
                        verb = line.Split(' ', 3).ElementAtOrDefault(1)?.ToUpperInvariant() ?? "";
                        break;
                }
                if (error is not null && !block.ExpectedErrors.Contains(error))
                {
                    throw runner.Fail(at, $"'{line}' got an error reply ({error}) the handout does not announce (<!-- expect: {error} -->)\n{Seen()}");
                }
                if (error is not null) errors.Add(error);
                if (verb is "QUIT" or "LOGOUT") await WaitClosedAsync(at);
            }
            var missing = block.ExpectedErrors.Except(errors).ToList();
            if (missing.Count > 0) throw runner.Fail(block.Line, $"the handout announces the reply {string.Join(", ", missing)}, and it never came\n{Seen()}");
            runner.Log(block.Line, "dialogue:\n" + Seen());
            lock (seen) seen.Clear();
        }

        /// <summary>
        /// After QUIT or LOGOUT the server closes the connection; the client then ends at the student's
        /// Ctrl-D (nc keeps reading the terminal until then; openssl ends by itself).
        /// </summary>
        private async Task WaitClosedAsync(int line)
        {
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(ReplyTimeout);
            try
            {
                while (await lines.Reader.WaitToReadAsync(cts.Token))
                {
                    while (lines.Reader.TryRead(out var l)) lock (seen) seen.Append("S: ").Append(l).Append('\n');
                }
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw runner.Fail(line, $"the connection stayed open after '{step.Command}' was told to end\n{Seen()}");
            }
            closed = true;
        }

        /// <summary>Ends the client as a student does (Ctrl-C) when the dialogue did not close it.</summary>
        public async ValueTask DisposeAsync()
        {
            if (!closed && !process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}

/// <summary>A handout step failed; the message names the exercise, the handout line and what was seen.</summary>
internal sealed class HandoutFailure(string message) : Exception(message);
