using System.Diagnostics;

namespace MailLab.Tests.Interop;

/// <summary>Runs a Debian tool (swaks, openssl ...) with a time limit; a missing tool fails the test.</summary>
public static class ExternalTool
{
    public static async Task<(int Code, string Out, string Err)> Run(string tool, IEnumerable<string> args, string? stdin = null, int timeoutSeconds = 60)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish in {timeoutSeconds}s: {await stdout}{await stderr}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}
