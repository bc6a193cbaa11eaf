using System.Diagnostics;
using System.Text.Json;
using MailLab.Server.Listeners;

namespace MailLab.Tests.Support;

/// <summary>The real <c>maillab</c> command as a child process (dotnet maillab.dll ...).</summary>
public static class MailLabProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "maillab.dll");

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Runs to completion (60 s at most) and returns exit code and output.</summary>
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts <c>maillab up</c> on a lab file and data directory and waits for listeners.json;
    /// the caller reads <see cref="Process.StandardOutput"/> or ignores it.
    /// </summary>
    public static async Task<(Process Process, List<ListenerInfo> Listeners)> Up(string labFile, string data, bool drainOutput = true)
    {
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "listeners.json");
        File.Delete(file);
        var p = Start("up", "--lab", labFile, "--data", data, "--quiet");
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
