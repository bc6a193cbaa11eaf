using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Exercises;
using MailLab.Server.Listeners;
using MailLab.Tests.Support;

namespace MailLab.Tests.Integration;

/// <summary>
/// The lab in the state a handout needs, as a student starts it: <c>up --switch</c> and
/// <c>exercise start N</c>; every command finding the running lab without <c>--data</c> from any
/// directory; one lab per data directory; commands that only read never create anything.
/// </summary>
public sealed class LabStartupCliTests
{
    private static readonly string Exercises = Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName);

    /// <summary>The test lab (free ports) with DMARC enforcing, as the default lab does; reject-spf-fail off.</summary>
    private static string LabFile()
    {
        var path = Path.Combine(TempDir.New("startup"), "lab.yml");
        File.WriteAllText(path, TestLab.LabYaml(dmarcMonitorOnly: false, showDmarcVerdict: true));
        return path;
    }

    /// <summary>A state directory and an empty working directory of the test's own: no ./maillab-data, no other lab's record.</summary>
    private static MailLabProcess.Options Isolated(string? dataVariable = null) =>
        new(WorkingDirectory: TempDir.New("cwd"), StateDirectory: TempDir.New("state"), DataVariable: dataVariable);

    /// <summary>SIGTERM, as Ctrl-C would; returns the exit code.</summary>
    private static async Task<int> StopAsync(Process p)
    {
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill.WaitForExitAsync();
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return p.ExitCode;
    }

    private static IPEndPoint Endpoint(List<ListenerInfo> listeners, string site, string role) =>
        listeners.Where(l => l.Site == site && l.Role == role).Select(l => new IPEndPoint(IPAddress.Parse(l.Address), l.Port)).First();

    /// <summary>MAIL FROM:&lt;ceo@bank.test&gt; from evil's address to bank's MTA; returns the reply to MAIL.</summary>
    private static async Task<string> ForgedMailFromReply(IPEndPoint mta)
    {
        using var tcp = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.3.1"), 0));
        await tcp.ConnectAsync(mta);
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
        var stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        Task Send(string line) => stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), ct).AsTask();
        Assert.StartsWith("220", await lines.ReadReplyAsync(ct));
        await Send("EHLO mx.evil.test");
        Assert.StartsWith("250", await lines.ReadReplyAsync(ct));
        await Send("MAIL FROM:<ceo@bank.test>");
        var reply = await lines.ReadReplyAsync(ct);
        await Send("QUIT");
        return reply!;
    }

    [Fact]
    public async Task Up_switch_turns_switches_on_and_off_for_this_start_and_the_banner_lists_those_on()
    {
        var data = TempDir.New("switch");
        var (p, listeners) = await MailLabProcess.StartLab(Isolated(), data, false,
            "up", "--lab", LabFile(), "--data", data, "--quiet", "--switch", "reject-spf-fail", "--switch", "show-dmarc-verdict=off");
        using var _ = p;
        var stdout = p.StandardOutput.ReadToEndAsync();
        // The switch really is on: bank's MTA refuses the SPF fail at MAIL time (RFC 7372 §3.2).
        Assert.StartsWith("550 5.7.23", await ForgedMailFromReply(Endpoint(listeners, "bank", "MTA")));
        Assert.Equal(0, await StopAsync(p));
        var output = await stdout;
        Assert.Matches(@"(?m)^switches on:\s+reject-spf-fail \(--switch\)\s*$", output);
        Assert.DoesNotContain("show-dmarc-verdict", output);
    }

    [Fact]
    public async Task Up_without_switches_leaves_the_lab_file_as_it_is_and_says_none_is_changed()
    {
        var data = TempDir.New("no-switch");
        var (p, listeners) = await MailLabProcess.StartLab(Isolated(), data, false, "up", "--lab", LabFile(), "--data", data, "--quiet");
        using var _ = p;
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.StartsWith("250", await ForgedMailFromReply(Endpoint(listeners, "bank", "MTA")));
        Assert.Equal(0, await StopAsync(p));
        Assert.Matches(@"(?m)^switches on:\s+show-dmarc-verdict\s*$", await stdout);
    }

    [Fact]
    public async Task An_unknown_or_malformed_switch_is_a_one_line_error_naming_the_valid_ones_and_exit_2()
    {
        var data = Path.Combine(TempDir.New("bad-switch"), "data");
        var (code, output, err) = await MailLabProcess.Run(Isolated(), "up", "--lab", LabFile(), "--data", data, "--switch", "reject-spf-fial");
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("'reject-spf-fial'", err);
        Assert.Contains("allow-plaintext-auth", err);
        Assert.Contains("reject-spf-fail", err);
        Assert.Equal("", output);
        Assert.False(Directory.Exists(data)); // refused before anything was touched

        var bad = await MailLabProcess.Run(Isolated(), "up", "--lab", LabFile(), "--data", data, "--switch", "enable-vrfy=maybe");
        Assert.Equal(2, bad.Code);
        Assert.Single(bad.Err.Trim().Split('\n'));
        Assert.Contains("'enable-vrfy=maybe'", bad.Err);
    }

    [Fact]
    public async Task Exercise_start_starts_the_lab_with_the_exercise_switches_and_says_so()
    {
        var data = TempDir.New("ex-start");
        var (p, listeners) = await MailLabProcess.StartLab(Isolated(), data, false,
            "exercise", "start", "2", "--exercises", Exercises, "--lab", LabFile(), "--data", data, "--quiet");
        using var _ = p;
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.StartsWith("550 5.7.23", await ForgedMailFromReply(Endpoint(listeners, "bank", "MTA")));
        Assert.Equal(0, await StopAsync(p));
        var output = await stdout;
        Assert.Contains("exercise 2", output);
        Assert.Matches(@"(?m)^exercise 2 .*reject-spf-fail", output);
        Assert.Contains("maillab up", output); // how to return to the default lab
        Assert.Matches(@"(?m)^switches on:\s+.*reject-spf-fail \(exercise 2\)", output);

        var missing = await MailLabProcess.Run(Isolated(), "exercise", "start", "42", "--exercises", Exercises, "--data", TempDir.New("ex-none"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("no exercise 42", missing.Err);
    }

    [Fact]
    public void Every_handout_that_needs_a_switch_starts_with_it_and_ends_by_saying_how_to_return_to_the_default_lab()
    {
        var catalog = ExerciseCatalog.Load(Exercises);
        var needing = catalog.Exercises.Where(e => e.LabSwitches.Count > 0).ToList();
        Assert.NotEmpty(needing);
        foreach (var e in needing)
        {
            var handout = File.ReadAllText(e.HandoutPath);
            Assert.True(handout.Contains($"maillab exercise start {e.Number}") || e.LabSwitches.Keys.All(k => handout.Contains($"--switch {k}")),
                $"exercise {e.Number}: the handout does not say how to start the lab with {string.Join(", ", e.LabSwitches.Keys)}");
            var last = handout.TrimEnd().Split("\n\n")[^1];
            Assert.True(last.Contains("default lab") && last.Contains("maillab up"),
                $"exercise {e.Number}: the handout's last paragraph does not say how to return to the default lab: {last}");
        }
    }

    [Fact]
    public async Task Commands_find_the_running_lab_from_any_directory_and_an_explicit_data_still_wins()
    {
        var options = Isolated();
        var data = TempDir.New("found");
        var (p, listeners) = await MailLabProcess.StartLab(options, data, true, "up", "--lab", LabFile(), "--data", data, "--quiet");
        using var _ = p;
        var dns = Endpoint(listeners, "lab", "DNS");

        var queue = await MailLabProcess.Run(options, "queue");
        Assert.Equal(0, queue.Code);
        Assert.Contains(Path.Combine(data, "queue"), queue.Out);
        var certs = await MailLabProcess.Run(options, "certs");
        Assert.Equal(0, certs.Code);
        Assert.Contains(Path.Combine(data, "certs", "ca.crt"), certs.Out);
        var zones = await MailLabProcess.Run(options, "dns");
        Assert.Equal(0, zones.Code);
        Assert.Contains($"DNS listener: {dns.Address}:{dns.Port}", zones.Out);
        var spf = await MailLabProcess.Run(options, "spf", "check", "--ip", "127.0.3.1", "--sender", "ceo@bank.test");
        Assert.Equal(0, spf.Code);
        Assert.Contains("result: fail", spf.Out);
        var check = await MailLabProcess.Run(options, "exercise", "check", "1", "--exercises", Exercises);
        Assert.Contains("objectives met", check.Out);
        Assert.Equal("", check.Err);

        // --data and $MAILLAB_DATA win over the running lab.
        var other = TempDir.New("other");
        Assert.Contains(Path.Combine(other, "queue"), (await MailLabProcess.Run(options, "queue", "--data", other)).Out);
        Assert.Contains(Path.Combine(other, "queue"), (await MailLabProcess.Run(options with { DataVariable = other }, "queue")).Out);

        Assert.Equal(0, await StopAsync(p));
        // The record is gone with the lab: nothing is found any more.
        Assert.Empty(Directory.GetFiles(options.StateDirectory!));
        var after = await MailLabProcess.Run(options, "queue");
        Assert.NotEqual(0, after.Code);
        Assert.Contains("no running lab", after.Err);
        Assert.DoesNotContain(data, after.Out + after.Err);
    }

    [Fact]
    public async Task Certs_only_reads_it_never_makes_a_CA_and_certs_create_does_once()
    {
        var data = TempDir.New("certs-read");
        var none = await MailLabProcess.Run(Isolated(), "certs", "--data", data);
        Assert.NotEqual(0, none.Code);
        Assert.Contains("no lab CA", none.Err);
        Assert.Contains("maillab certs create", none.Err);
        Assert.False(Directory.Exists(Path.Combine(data, "certs")));

        var created = await MailLabProcess.Run(Isolated(), "certs", "create", "--data", data);
        Assert.Equal(0, created.Code);
        var ca = Path.Combine(data, "certs", "ca.crt");
        var first = await File.ReadAllBytesAsync(ca);
        var again = await MailLabProcess.Run(Isolated(), "certs", "create", "--data", data);
        Assert.Equal(0, again.Code);
        Assert.Equal(first, await File.ReadAllBytesAsync(ca)); // an existing CA is kept

        var (code, output, _) = await MailLabProcess.Run(Isolated(), "certs", "--data", data);
        Assert.Equal(0, code);
        Assert.Contains(ca, output);
        Assert.Contains($"openssl s_client -starttls smtp -connect 127.0.1.1:5587 -CAfile {ca} -verify_hostname mx.uc.test -verify_return_error -crlf -nocommands", output);
        Assert.Contains("Thunderbird", output);
    }

    [Fact]
    public async Task Read_only_commands_on_a_missing_data_directory_say_it_does_not_exist_and_create_nothing()
    {
        var missing = Path.Combine(TempDir.New("gone"), "nonexistent");
        var message = Path.Combine(TempDir.New("msg"), "m.eml");
        await File.WriteAllTextAsync(message, "From: a@uc.test\r\nSubject: x\r\n\r\nx\r\n");
        string[][] commands =
        [
            ["queue"], ["queue", "flush"], ["dns"], ["dns", "query", "bank.test", "MX"], ["certs"],
            ["spf", "check", "--ip", "127.0.3.1", "--sender", "ceo@bank.test"], ["dkim", "verify", message], ["dkim", "sign", message],
            ["exercise", "check", "1", "--exercises", Exercises], ["exercise", "demo", "1", "--exercises", Exercises],
            ["dmarc", "report", "show", "--mailbox", "postmaster@bank.test"], ["dmarc", "report", "send"],
            ["tlsrpt", "show", "--mailbox", "postmaster@bank.test"], ["tlsrpt", "send"],
        ];
        foreach (var args in commands)
        {
            var (code, output, err) = await MailLabProcess.Run(Isolated(), [.. args, "--data", missing]);
            Assert.True(code != 0, $"maillab {string.Join(' ', args)}: exit 0: {output}");
            Assert.Contains($"{missing} does not exist", err);
            Assert.DoesNotContain("queue is empty", output);
            Assert.False(Directory.Exists(missing), $"maillab {string.Join(' ', args)} created {missing}");
        }
        var fromVariable = await MailLabProcess.Run(Isolated(dataVariable: missing), "queue");
        Assert.NotEqual(0, fromVariable.Code);
        Assert.Contains($"{missing} does not exist", fromVariable.Err);
        Assert.Contains("MAILLAB_DATA", fromVariable.Err);
    }

    [Fact]
    public async Task A_second_up_on_a_data_directory_in_use_is_refused_untouched_and_a_killed_lab_leaves_no_stale_lock()
    {
        var options = Isolated();
        var lab = LabFile();
        var data = TempDir.New("held");
        var (first, _) = await MailLabProcess.StartLab(options, data, true, "up", "--lab", lab, "--data", data, "--quiet");
        using var _ = first;
        // Once LabStarted is on disk an idle lab writes nothing more: the file can be compared byte for byte.
        var trace = Path.Combine(data, "trace", "trace.jsonl");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(File.Exists(trace) && (await File.ReadAllTextAsync(trace)).Contains("\"Kind\":\"LabStarted\"")) && DateTime.UtcNow < deadline) await Task.Delay(100);
        var traceBefore = await File.ReadAllBytesAsync(trace);
        var listenersBefore = await File.ReadAllBytesAsync(Path.Combine(data, "listeners.json"));

        var (code, output, err) = await MailLabProcess.Run(options, "up", "--lab", lab, "--data", data, "--quiet");
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(data, err);
        Assert.Contains("already", err);
        Assert.Contains($"pid {first.Id}", err);
        Assert.Equal("", output);
        Assert.Equal(traceBefore, await File.ReadAllBytesAsync(trace));
        Assert.Equal(listenersBefore, await File.ReadAllBytesAsync(Path.Combine(data, "listeners.json")));

        // kill -9: no clean stop. The OS drops the lock with the process; its record is stale (pid gone).
        first.Kill();
        await first.WaitForExitAsync();
        var stale = await MailLabProcess.Run(options, "queue");
        Assert.NotEqual(0, stale.Code);
        Assert.Contains("no running lab", stale.Err);

        var (again, _) = await MailLabProcess.StartLab(options, data, true, "up", "--lab", lab, "--data", data, "--quiet");
        using var __ = again;
        Assert.Equal(0, (await MailLabProcess.Run(options, "queue")).Code); // the new lab is the one found
        Assert.Equal(0, await StopAsync(again));
    }

    [Fact]
    public async Task An_unknown_command_with_help_is_named_and_exits_nonzero()
    {
        // (The example was "smime" until issue 15 made it a command.)
        var (code, output, err) = await MailLabProcess.Run("smtpd", "--help");
        Assert.NotEqual(0, code);
        Assert.Contains("'smtpd'", err);
        Assert.DoesNotContain("Usage:", output);

        var sub = await MailLabProcess.Run("queue", "bogus", "--help");
        Assert.NotEqual(0, sub.Code);
        Assert.Contains("'bogus'", sub.Err);

        var help = await MailLabProcess.Run("queue", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("Usage:", help.Out);
    }
}
