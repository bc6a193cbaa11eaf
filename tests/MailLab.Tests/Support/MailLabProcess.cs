using System.Diagnostics;
using System.Text.Json;
using MailLab.Server.Listeners;

namespace MailLab.Tests.Support;

/// <summary>The real <c>maillab</c> command as a child process (dotnet maillab.dll ...).</summary>
public static class MailLabProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "maillab.dll");

    public static Process Start(params string[] args) => Start(new Options(), args);

    /// <summary>
    /// Where a child runs and what it finds in its environment. Unless a test says otherwise, each child
    /// gets a per-user state directory of its own (<c>MAILLAB_STATE_DIR</c>: the record of the running
    /// lab), so no test reads or writes the real user's record or another test's, and no
    /// <c>MAILLAB_DATA</c> from the developer's shell.
    /// </summary>
    public sealed record Options(string? WorkingDirectory = null, string? StateDirectory = null, string? DataVariable = null);

    public static Process Start(Options options, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MAILLAB_STATE_DIR"] = options.StateDirectory ?? TempDir.New("state");
        if (options.DataVariable is null) psi.Environment.Remove("MAILLAB_DATA");
        else psi.Environment["MAILLAB_DATA"] = options.DataVariable;
        if (options.WorkingDirectory is not null) psi.WorkingDirectory = options.WorkingDirectory;
        return Process.Start(psi)!;
    }

    /// <summary>
    /// Copies the tests' shared lab CA (<see cref="TestPki"/>) into <paramref name="data"/>/certs, so
    /// several processes trust each other and <see cref="TestPki.Validate"/> accepts their certificates,
    /// and unless <paramref name="userPki"/> is false (tests of issuing) the shared users' S/MIME certificates
    /// (<see cref="TestPki.SeedUserPki"/>).
    /// </summary>
    public static void SeedCa(string data, bool userPki = true)
    {
        var certs = Directory.CreateDirectory(Path.Combine(data, "certs")).FullName;
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(TestPki.Ca.CertificatePath)!))
        {
            var target = Path.Combine(certs, Path.GetFileName(f));
            if (!File.Exists(target)) File.Copy(f, target);
        }
        if (userPki) TestPki.SeedUserPki(data); // 'maillab up' makes every user's S/MIME key on a first start
    }

    /// <summary>Runs to completion (60 s at most) and returns exit code and output.</summary>
    public static Task<(int Code, string Out, string Err)> Run(params string[] args) => Run(new Options(), args);

    /// <summary>Runs to completion (60 s at most, then the child is killed and the test fails) and returns exit code and output.</summary>
    public static async Task<(int Code, string Out, string Err)> Run(Options options, params string[] args)
    {
        using var p = Start(options, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"maillab {string.Join(' ', args)} did not finish within 60 s: {await stdout}{await stderr}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts <c>maillab up</c> on a lab file and data directory and waits for listeners.json;
    /// the caller reads <see cref="Process.StandardOutput"/> or ignores it. <paramref name="extra"/>
    /// are more arguments for <c>up</c> (--only ...).
    /// </summary>
    public static Task<(Process Process, List<ListenerInfo> Listeners)> Up(string labFile, string data, bool drainOutput = true,
        params string[] extra) => StartLab(new Options(), data, drainOutput, ["up", "--lab", labFile, "--data", data, "--quiet", .. extra]);

    /// <summary>
    /// Starts a command that starts a lab on <paramref name="data"/> (<c>up ...</c>, <c>exercise start N ...</c>)
    /// and waits for its listeners.json.
    /// </summary>
    public static async Task<(Process Process, List<ListenerInfo> Listeners)> StartLab(Options options, string data, bool drainOutput,
        params string[] args)
    {
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "listeners.json");
        File.Delete(file);
        var p = Start(options, args);
        if (drainOutput) _ = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(file) && DateTime.UtcNow < deadline && !p.HasExited) await Task.Delay(50);
        if (!File.Exists(file))
        {
            if (!p.HasExited) p.Kill();
            Assert.Fail("the lab did not start: " + await stderr);
        }
        return (p, JsonSerializer.Deserialize<List<ListenerInfo>>(await File.ReadAllTextAsync(file))!);
    }
}
