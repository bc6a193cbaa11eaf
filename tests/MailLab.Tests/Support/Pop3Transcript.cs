using System.Net;
using System.Text;
using MailLab.Server.Pop3;
using MailLab.Server.Sites;
using MailLab.Server.Store;

namespace MailLab.Tests.Support;

/// <summary>
/// A POP3 session driven in memory like a transcript: <c>await t.Expect("STAT", "+OK 2 320")</c>.
/// The server side is the real <see cref="Pop3Session"/>; only the socket is replaced by pipes.
/// With <c>byteByByte</c> every client line is written one octet per flush, so the server's framing
/// sees each command in pieces.
/// </summary>
public sealed class Pop3Transcript : Transcript
{
    private readonly bool byteByByte;

    private Pop3Transcript(Stream client, LabSite site, bool byteByByte) : base(client, site)
    {
        this.byteByByte = byteByByte;
    }

    /// <summary>The greeting line (with the APOP timestamp).</summary>
    public string Greeting { get; private set; } = "";

    /// <summary>The APOP timestamp from the greeting, angle brackets included.</summary>
    public string Timestamp => Greeting[Greeting.LastIndexOf('<')..];

    public static async Task<Pop3Transcript> StartAsync(LabSite site, bool implicitTls = false, bool byteByByte = false)
    {
        var (server, client) = DuplexPipe.Create();
        var remote = new IPEndPoint(IPAddress.Loopback, 40000);
        var local = new IPEndPoint(IPAddress.Parse(site.Definition.Address), 110);
        var started = new Pop3Transcript(client, site, byteByByte);
        var id = "P" + Random.Shared.Next(1000, 9999);
        var session = new Pop3Session(site, implicitTls, server, remote, local, id);
        started.Run(session, id, (s, ct) => s.RunAsync(ct));
        if (implicitTls)
        {
            await started.HandshakeAsync();
        }
        started.Greeting = await started.LineAsync();
        Assert.StartsWith("+OK ", started.Greeting);
        return started;
    }

    public override async Task SendRawAsync(string raw)
    {
        var bytes = Encoding.UTF8.GetBytes(raw);
        if (!byteByByte)
        {
            await client.WriteAsync(bytes, timeout.Token);
            await client.FlushAsync(timeout.Token);
            return;
        }
        for (int i = 0; i < bytes.Length; i++)
        {
            await client.WriteAsync(bytes.AsMemory(i, 1), timeout.Token);
            await client.FlushAsync(timeout.Token);
        }
    }

    /// <summary>One status line.</summary>
    public async Task<string> LineAsync() => await lines.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("server closed the connection");

    /// <summary>Sends a line and asserts the status line starts with <paramref name="expected"/>.</summary>
    public async Task<string> Expect(string line, string expected)
    {
        await SendAsync(line);
        var reply = await LineAsync();
        Assert.True(reply.StartsWith(expected, StringComparison.Ordinal), $"C: {line}\nexpected {expected}, got:\n{reply}");
        return reply;
    }

    /// <summary>Sends a command with a multi-line answer; returns the status line and the body lines as sent (still dot-stuffed).</summary>
    public async Task<(string Status, List<string> Lines)> ExpectMulti(string line)
    {
        var status = await Expect(line, "+OK");
        return (status, await BodyAsync());
    }

    /// <summary>The lines of a multi-line body up to, not including, the "." line.</summary>
    public async Task<List<string>> BodyAsync()
    {
        var body = new List<string>();
        while (await LineAsync() is var l && l != ".")
        {
            body.Add(l);
        }
        return body;
    }

    /// <summary>Raw octets of a multi-line body including the final ".\r\n", for byte-exact checks.</summary>
    public async Task<byte[]> RawBodyAsync()
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!(bytes.Count >= 5 && bytes[^5] == '\r' && bytes[^4] == '\n' && bytes[^3] == '.' && bytes[^2] == '\r' && bytes[^1] == '\n')
            && !(bytes.Count == 3 && bytes[0] == '.' && bytes[1] == '\r' && bytes[2] == '\n'))
        {
            if (await lines.Stream.ReadAsync(one, timeout.Token) == 0) throw new EndOfStreamException();
            bytes.Add(one[0]);
        }
        return [.. bytes];
    }

    /// <summary>USER and PASS (over TLS or with the plaintext switch), expected to succeed.</summary>
    public async Task LoginAsync(string user, string password)
    {
        await Expect("USER " + user, "+OK");
        await Expect("PASS " + password, "+OK");
    }

    /// <summary>True when the server has closed the connection (reads end of stream).</summary>
    public async Task<bool> ClosedAsync() => await lines.ReadLineAsync(timeout.Token) is null;

    /// <summary>STLS and the client side of TLS, trusting only the lab CA.</summary>
    public async Task StlsAsync()
    {
        await Expect("STLS", "+OK");
        await HandshakeAsync();
    }

    /// <summary>Stores a message in a user's INBOX as the MDA would; returns what was stored.</summary>
    public static async Task<StoredMessage> Deliver(MessageStore store, string address, string content)
    {
        await using var pending = await store.BeginAsync(address, "INBOX", CancellationToken.None);
        await pending.Content.WriteAsync(Encoding.UTF8.GetBytes(content));
        return await pending.CommitAsync();
    }

}
