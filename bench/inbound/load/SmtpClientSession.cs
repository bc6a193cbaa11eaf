using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailLab.Bench.InboundLoad;

/// <summary>
/// A minimal SMTP client session (RFC 5321): EHLO, then MAIL, RCPT, DATA per message, no PIPELINING,
/// no TLS. The client socket is bound to the given address, which is what the server's SPF check sees.
/// </summary>
internal sealed class SmtpClientSession : IDisposable
{
    private readonly NetworkStream stream;
    private readonly TimeSpan timeout;
    private readonly byte[] buffer = new byte[4096];
    private int start;
    private int end;

    private SmtpClientSession(Socket socket, TimeSpan timeout)
    {
        stream = new NetworkStream(socket, ownsSocket: true);
        this.timeout = timeout;
    }

    /// <summary>Connects from <paramref name="bind"/>, reads the greeting and says EHLO.</summary>
    public static async Task<SmtpClientSession> OpenAsync(IPEndPoint server, IPAddress bind, string helo, TimeSpan timeout)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SmtpClientSession? session = null;
        try
        {
            s.Bind(new IPEndPoint(bind, 0));
            using (var cts = new CancellationTokenSource(timeout)) await s.ConnectAsync(server, cts.Token);
            session = new SmtpClientSession(s, timeout);
            await session.ExpectAsync("greeting", 220);
            await session.CommandAsync("EHLO " + helo, 250);
            return session;
        }
        catch
        {
            if (session is null) s.Dispose(); else session.Dispose();
            throw;
        }
    }

    /// <summary>Sends one message; null when the server took it (250 after the final dot), else what went wrong.</summary>
    public async Task<string?> SendAsync(string sender, string recipient, byte[] wire)
    {
        int code = await CommandAsync($"MAIL FROM:<{sender}>", 250, fail: false);
        if (code != 250) return $"MAIL {code}";
        code = await CommandAsync($"RCPT TO:<{recipient}>", 250, fail: false);
        if (code != 250) return $"RCPT {code}";
        code = await CommandAsync("DATA", 354, fail: false);
        if (code != 354) return $"DATA {code}";
        using (var cts = new CancellationTokenSource(timeout)) await stream.WriteAsync(wire, cts.Token);
        code = await ReadReplyAsync();
        return code == 250 ? null : $"end of data {code}";
    }

    /// <summary>QUIT and close; a server that closes first is fine.</summary>
    public async Task QuitAsync()
    {
        try { await CommandAsync("QUIT", 221, fail: false); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or SmtpProtocolException) { }
        Dispose();
    }

    public void Dispose() => stream.Dispose();

    private async Task<int> CommandAsync(string line, int expected, bool fail = true)
    {
        using (var cts = new CancellationTokenSource(timeout)) await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), cts.Token);
        int code = await ReadReplyAsync();
        if (fail && code != expected) throw new SmtpProtocolException($"{line.Split(' ')[0]} {code}");
        return code;
    }

    private async Task ExpectAsync(string what, int expected)
    {
        int code = await ReadReplyAsync();
        if (code != expected) throw new SmtpProtocolException($"{what} {code}");
    }

    // Reads a whole reply, multi-line ones included (RFC 5321 §4.2.1: "250-" continues, "250 " ends).
    private async Task<int> ReadReplyAsync()
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            int nl = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (nl >= 0)
            {
                int len = nl - start;
                if (len < 4) throw new SmtpProtocolException("short reply");
                int code = (buffer[start] - '0') * 100 + (buffer[start + 1] - '0') * 10 + (buffer[start + 2] - '0');
                bool last = buffer[start + 3] != '-';
                start = nl + 1;
                if (last) return code;
                continue;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) throw new SmtpProtocolException("reply line too long");
            int n = await stream.ReadAsync(buffer.AsMemory(end), cts.Token);
            if (n == 0) throw new SmtpProtocolException("connection closed by the server");
            end += n;
        }
    }
}
