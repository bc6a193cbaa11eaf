using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// A text-protocol conversation typed "by hand", the way a student does with <c>nc -C</c> or telnet:
/// each line sent and each reply received is printed (<c>C:</c> / <c>S:</c>). Replies are SMTP-style:
/// lines <c>250-...</c> continue, <c>250 ...</c> ends.
/// </summary>
internal sealed class LineDialogue : IAsyncDisposable
{
    /// <summary>How long one reply may take before the demo gives up.</summary>
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    private readonly TcpClient client;
    private readonly StreamReader reader;
    private readonly Stream stream;
    private readonly TextWriter log;

    private LineDialogue(TcpClient client, TextWriter log)
    {
        this.client = client;
        this.log = log;
        stream = client.GetStream();
        reader = new StreamReader(stream, Encoding.UTF8, false, 1024, leaveOpen: true);
    }

    /// <summary>Connects (from <paramref name="from"/> when given) and reads the greeting.</summary>
    public static async Task<(LineDialogue Dialogue, SmtpLikeReply Greeting)> ConnectAsync(IPEndPoint to, IPAddress? from, TextWriter log, CancellationToken ct)
    {
        var client = new TcpClient(to.AddressFamily);
        if (from is not null) client.Client.Bind(new IPEndPoint(from, 0));
        log.WriteLine($"   (connecting from {(from?.ToString() ?? "any local address")} to {to})");
        await client.ConnectAsync(to, ct);
        var d = new LineDialogue(client, log);
        return (d, await d.ReadReplyAsync(ct));
    }

    /// <summary>Sends one line (CRLF added) and reads the reply.</summary>
    public async Task<SmtpLikeReply> SendAsync(string line, CancellationToken ct, string? shown = null)
    {
        log.WriteLine($"C: {shown ?? line}");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), ct);
        return await ReadReplyAsync(ct);
    }

    /// <summary>Sends a message body after <c>354</c>: CRLF line ends, dot-stuffing (RFC 5321 §4.5.2), the final dot.</summary>
    public async Task<SmtpLikeReply> SendDataAsync(string message, CancellationToken ct)
    {
        var sb = new StringBuilder();
        foreach (var line in message.Replace("\r\n", "\n").Split('\n'))
        {
            log.WriteLine($"C: {line}");
            sb.Append(line.StartsWith('.') ? "." + line : line).Append("\r\n");
        }
        sb.Append(".\r\n");
        log.WriteLine("C: .");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), ct);
        return await ReadReplyAsync(ct);
    }

    /// <summary>Reads one more line as it comes (a POP3 multi-line body, say), printed like a reply.</summary>
    public async Task<string> ReadLineAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReplyTimeout);
        string line = await reader.ReadLineAsync(timeout.Token) ?? throw new DemoException("the server closed the connection");
        log.WriteLine($"S: {line}");
        return line;
    }

    private async Task<SmtpLikeReply> ReadReplyAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReplyTimeout);
        var lines = new List<string>();
        while (true)
        {
            string line = await reader.ReadLineAsync(timeout.Token) ?? throw new DemoException("the server closed the connection");
            log.WriteLine($"S: {line}");
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-') break;
        }
        int code = lines[^1].Length >= 3 && int.TryParse(lines[^1].AsSpan(0, 3), out int c) ? c : 0;
        return new SmtpLikeReply(code, lines);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        reader.Dispose();
        await stream.DisposeAsync();
        client.Dispose();
    }
}

/// <summary>A reply: its code (0 when the line had none) and its lines as received.</summary>
internal sealed record SmtpLikeReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>Whether the code is in the 2xx range.</summary>
    public bool Ok => Code is >= 200 and < 300;
}
