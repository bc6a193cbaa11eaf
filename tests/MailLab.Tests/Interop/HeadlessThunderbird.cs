using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MailLab.Tests.Support;

namespace MailLab.Tests.Interop;

/// <summary>
/// Debian's Thunderbird, headless, in a profile of its own, driven over Marionette (Mozilla's remote protocol: a TCP
/// stream of <c>LENGTH:JSON</c> packets, commands <c>[0, id, name, params]</c>, answers <c>[1, id, error, result]</c>).
/// Scripts run in the chrome context, so they can call Thunderbird's own modules (the account wizard's FetchConfig).
/// </summary>
public sealed class HeadlessThunderbird : IAsyncDisposable
{
    private readonly Process process;
    private readonly TcpClient client;
    private readonly NetworkStream stream;
    private readonly string profile;
    private int nextId;

    private HeadlessThunderbird(Process process, TcpClient client, string profile)
    {
        this.process = process;
        this.client = client;
        stream = client.GetStream();
        this.profile = profile;
    }

    /// <summary>Starts Thunderbird with <paramref name="prefs"/> in a new profile (user.js) and opens a chrome-context session.</summary>
    public static async Task<HeadlessThunderbird> Start(IReadOnlyDictionary<string, object> prefs)
    {
        string profile = TempDir.New("thunderbird");
        int port = FreePort();
        var lines = prefs.Append(new("marionette.port", port)).Select(p => $"user_pref(\"{p.Key}\", {JsonSerializer.Serialize(p.Value)});");
        await File.WriteAllLinesAsync(Path.Combine(profile, "user.js"), lines);
        var psi = new ProcessStartInfo("thunderbird")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        // System access lets Marionette run scripts in the chrome context (Thunderbird 140 and later ask for it).
        foreach (var a in (string[])["--headless", "--marionette", "-remote-allow-system-access", "--no-remote", "--profile", profile]) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("thunderbird did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var deadline = DateTime.UtcNow.AddSeconds(90); ; await Task.Delay(250))
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                var tb = new HeadlessThunderbird(process, client, profile);
                await tb.Receive(); // the hello: {"applicationType":"gecko","marionetteProtocol":3}
                await tb.Command("WebDriver:NewSession", new JsonObject());
                await tb.Command("Marionette:SetContext", new JsonObject { ["value"] = "chrome" });
                return tb;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Runs an async chrome script: it gets its result callback as its last argument; the value it passes is returned.</summary>
    public async Task<JsonNode?> Run(string script, int timeoutMs = 60_000)
    {
        var result = await Command("WebDriver:ExecuteAsyncScript",
            new JsonObject { ["script"] = script, ["args"] = new JsonArray(), ["scriptTimeout"] = timeoutMs });
        return result?["value"];
    }

    private async Task<JsonNode?> Command(string name, JsonObject parameters)
    {
        int id = ++nextId;
        byte[] body = Encoding.UTF8.GetBytes(new JsonArray(0, id, name, parameters).ToJsonString());
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{body.Length}:"));
        await stream.WriteAsync(body);
        var answer = await Receive();
        if (answer[2] is { } error) throw new InvalidOperationException($"{name}: {error.ToJsonString()}");
        return answer[3];
    }

    private async Task<JsonArray> Receive()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var length = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cts.Token) == 0) throw new IOException("Marionette closed the connection");
            if (one[0] == ':') break;
            length.Append((char)one[0]);
        }
        var body = new byte[int.Parse(length.ToString())];
        await stream.ReadExactlyAsync(body, cts.Token);
        return JsonNode.Parse(body) as JsonArray ?? new JsonArray(null, null, null, null);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // TempDir removes what is left at exit.
        }
    }
}
