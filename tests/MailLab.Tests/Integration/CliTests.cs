using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailLab.Tests.Support;

namespace MailLab.Tests.Integration;

/// <summary>The <c>maillab</c> command run as a real process, as a student or script would.</summary>
public sealed class CliTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => MailLabProcess.Run(args);

    private static string LabFile(string yaml)
    {
        var path = Path.Combine(TempDir.New("cli"), "lab.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string FreeLabYaml(int mtaPort = 0) => TestLab.LabYamlWithBankMtaPort(mtaPort);

    [Fact]
    public async Task Version_and_help_work()
    {
        var version = await Run("--version");
        Assert.Equal(0, version.Code);
        Assert.StartsWith("0.1.0", version.Out.Trim());
        var help = await Run("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("up", help.Out);
        Assert.Contains("certs", help.Out);
    }

    [Fact]
    public async Task Queue_lists_entries_from_disk_and_flush_leaves_the_request_file()
    {
        var data = TempDir.New("queue-cli");
        var queue = new MailLab.Server.Relay.RelayQueue(Path.Combine(data, "queue"));
        await using (var spool = new MailLab.Server.Delivery.MessageSpool(Path.Combine(data, "spool")))
        {
            System.Buffers.BuffersExtensions.Write(spool, "Subject: q\r\n\r\nx\r\n"u8);
            var pending = await queue.PrepareAsync("QID1", "alice@uc.test", "uc", false, ["bob@bank.test"], "", spool, default);
            pending.Commit();
        }
        var entry = Assert.Single(queue.LoadAll());
        entry.Recipients[0].State = MailLab.Server.Relay.RecipientState.Deferred;
        entry.Recipients[0].Attempts = 2;
        entry.Recipients[0].Reason = "mx.bank.test refused the connection";
        queue.Save(entry);

        var (code, output, _) = await Run("queue", "--data", data);
        Assert.Equal(0, code);
        Assert.Contains("QID1", output);
        Assert.Contains("<alice@uc.test>", output);
        Assert.Matches(@"deferred\s+<bob@bank\.test>\s+attempts 2", output);
        Assert.Contains("refused the connection", output);

        var flush = await Run("queue", "flush", "--data", data);
        Assert.Equal(0, flush.Code);
        Assert.True(File.Exists(Path.Combine(data, "queue", ".flush")));
        var empty = await Run("queue", "--data", TempDir.New("queue-empty"));
        Assert.Contains("queue is empty", empty.Out);
    }

    [Fact]
    public async Task Lab_check_accepts_the_default_lab_file()
    {
        var (code, output, _) = await Run("lab", "check", Path.Combine(AppContext.BaseDirectory, "default-lab.yml"));
        Assert.Equal(0, code);
        Assert.Contains("OK", output);
        Assert.Contains("alice@uc.test", output);
    }

    [Fact]
    public async Task Lab_check_names_file_line_and_field_of_an_error_and_exits_2()
    {
        var path = LabFile(FreeLabYaml().Replace("address: 127.0.2.1", "address: 127.0.2.x"));
        var (code, output, err) = await Run("lab", "check", path);
        Assert.Equal(2, code);
        Assert.Contains("lab.yml:", err);
        Assert.Contains("address", err);
        Assert.Matches(@"lab\.yml:\d+:\d+", err);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("OK", output);
    }

    [Fact]
    public async Task Up_starts_writes_listeners_json_and_stops_cleanly_on_SIGTERM()
    {
        var data = TempDir.New("up");
        var (p, listeners) = await MailLabProcess.Up(LabFile(FreeLabYaml()), data, drainOutput: false);
        using var _ = p;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var mta = listeners.First(l => l.Site == "bank" && l.Role == "MTA");
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Parse(mta.Address), mta.Port);
            var greeting = await new ClientLines(tcp.GetStream()).ReadReplyAsync(new CancellationTokenSource(10_000).Token);
            Assert.StartsWith("220 mx.bank.test", greeting);
        }
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill.WaitForExitAsync();
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal(0, p.ExitCode);
        var output = await stdout;
        Assert.Contains("bank", output);
        Assert.Contains($"127.0.2.1:{mta.Port}", output); // the listener table
        Assert.True(File.Exists(Path.Combine(data, "certs", "ca.crt")));
        Assert.True(File.Exists(Path.Combine(data, "trace", "trace.jsonl")));
    }

    [Fact]
    public async Task Up_with_a_port_in_use_prints_one_line_and_exits_nonzero()
    {
        using var squatter = new TcpListener(IPAddress.Parse("127.0.2.1"), 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var (code, _, err) = await Run("up", "--lab", LabFile(FreeLabYaml(port)), "--data", TempDir.New("busy"), "--quiet");
        Assert.NotEqual(0, code);
        Assert.Contains($"127.0.2.1:{port}", err);
        Assert.Contains("in use", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Certs_prints_the_ports_the_running_lab_listens_on_not_the_lab_files()
    {
        // A lab started with port 0 (any free port) listens elsewhere than its file says: the openssl
        // lines must carry the bound port from listeners.json, or a student copies ':0'.
        string data = TempDir.New("certs-ports");
        MailLabProcess.SeedCa(data);
        File.WriteAllText(Path.Combine(data, "listeners.json"), System.Text.Json.JsonSerializer.Serialize(new[]
        {
            new MailLab.Server.Listeners.ListenerInfo("uc", "MSA", "127.0.1.1", 40587, "starttls"),
            new MailLab.Server.Listeners.ListenerInfo("uc", "MSA", "127.0.1.1", 40465, "implicit"),
        }));
        var (code, output, _) = await MailLabProcess.Run("certs", "--data", data);
        Assert.Equal(0, code);
        Assert.Contains("-connect 127.0.1.1:40587 ", output);
        Assert.Contains("-connect 127.0.2.1:5587 ", output); // bank is not in listeners.json: its configured port
    }
}
