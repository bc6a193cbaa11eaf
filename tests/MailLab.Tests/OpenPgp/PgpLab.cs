using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.OpenPgp;
using MailLab.Tests.Support;

namespace MailLab.Tests.OpenPgp;

/// <summary>The test lab with carol at uc.test (the default web: alice certified carol, carol certified bob) and the users' OpenPGP keys.</summary>
internal static class PgpLab
{
    public static string Yaml(bool mdaHoldsKeys = false) => TestLab.LabYaml()
        .Replace("- { address: alice@uc.test, password: lab-alice }", "- { address: alice@uc.test, password: lab-alice }\n      - { address: carol@uc.test, password: lab-carol }")
        .Replace("switches:\n", $"switches:\n  mda-holds-user-keys: {(mdaHoldsKeys ? "true" : "false")}\n");

    public static TestLab Start(bool mdaHoldsKeys = false) => TestLab.FromYaml(Yaml(mdaHoldsKeys)).Start(userKeys: true);

    public static PgpKeyStore Keys(TestLab lab) => new(lab.DataDirectory);

    /// <summary>A plain message from <paramref name="from"/> to <paramref name="to"/> (CRLF).</summary>
    public static byte[] Plain(string from, string to, string body = "Please pay 100 EUR to account 42.\r\n") =>
        Encoding.UTF8.GetBytes($"From: {from}\r\nTo: {to}\r\nSubject: payment\r\nMessage-ID: <{Guid.NewGuid():N}@test>\r\n\r\n{body}");

    /// <summary>Sends raw octets to uc's MTA from bank's address (as bank's relay would); returns the reply to the end of DATA.</summary>
    public static async Task<string> SendToUc(TestLab lab, byte[] message, string mailFrom = "bob@bank.test", string rcpt = "alice@uc.test", string from = "127.0.2.1")
    {
        var mta = lab.Runtime!.EndPoint("uc", "MTA");
        using var tcp = new TcpClient();
        tcp.Client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        await tcp.ConnectAsync(mta);
        var stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        async Task<string> Say(string line)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), cts.Token);
            return (await lines.ReadReplyAsync(cts.Token))!;
        }
        Assert.StartsWith("220 ", await lines.ReadReplyAsync(cts.Token));
        Assert.StartsWith("250", await Say("EHLO mx.bank.test"));
        Assert.StartsWith("250", await Say($"MAIL FROM:<{mailFrom}>"));
        Assert.StartsWith("250", await Say($"RCPT TO:<{rcpt}>"));
        Assert.StartsWith("354", await Say("DATA"));
        // RFC 5321 §4.5.2: dot-stuffing.
        var text = Encoding.UTF8.GetString(message).Replace("\r\n.", "\r\n..");
        if (text.StartsWith('.')) text = "." + text;
        if (!text.EndsWith("\r\n", StringComparison.Ordinal)) text += "\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cts.Token);
        var reply = await Say(".");
        await Say("QUIT");
        return reply;
    }

    /// <summary>The X-MailLab-OpenPGP value of a delivered message.</summary>
    public static string Verdict(string delivered)
    {
        var at = delivered.IndexOf("X-MailLab-OpenPGP: ", StringComparison.Ordinal);
        Assert.True(at >= 0, "no X-MailLab-OpenPGP header in:\n" + delivered[..Math.Min(delivered.Length, 2000)]);
        var value = delivered[(at + 19)..];
        return value[..value.IndexOf("\r\n", StringComparison.Ordinal)];
    }
}

/// <summary>
/// A stand-in for the lab key server in tests (the real one is the lab's HTTP service): answers
/// <c>GET /pks/lookup?op=get&amp;search=…</c> with the keys it holds, like an SKS server that accepted any upload.
/// </summary>
internal sealed class FakeKeyServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<string> armored = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public FakeKeyServer()
    {
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

    public List<string> Requests { get; } = [];

    public void Upload(string armoredKey)
    {
        lock (armored) armored.Add(armoredKey);
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            using (client)
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                var request = await reader.ReadLineAsync() ?? "";
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync())) { }
                lock (Requests) Requests.Add(request);
                var search = request.Split(' ').ElementAtOrDefault(1)?.Split("search=").ElementAtOrDefault(1)?.Split('&')[0] ?? "";
                string? found;
                lock (armored) found = armored.FirstOrDefault(a => Matches(a, search));
                var body = Encoding.ASCII.GetBytes(found ?? "No results found");
                var head = $"HTTP/1.1 {(found is null ? "404 Not Found" : "200 OK")}\r\nContent-Type: application/pgp-keys\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray());
            }
        }
    }

    private static bool Matches(string armoredKey, string search)
    {
        var hex = search.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? search[2..].ToUpperInvariant() : search.ToUpperInvariant();
        var ring = PgpKeyStore.ReadPublicRings(Encoding.ASCII.GetBytes(armoredKey))[0];
        return ring.GetPublicKeys().Any(k => PgpText.Fingerprint(k) == hex || PgpText.KeyId(k.KeyId) == hex);
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        try { await loop; } catch (OperationCanceledException) { }
    }
}
