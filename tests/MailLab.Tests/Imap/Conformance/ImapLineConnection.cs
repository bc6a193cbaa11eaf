using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailLab.Tests.Imap.Conformance;

/// <summary>
/// A raw IMAP client connection for the conformance runner: writes command text as given and reads
/// whole replies (literals inline as <c>{n}\r\n</c> + n Latin-1 characters), each read time-limited.
/// </summary>
public sealed class ImapLineConnection : IAsyncDisposable
{
    private readonly TcpClient tcp;
    private readonly Stream stream;
    private readonly byte[] buffer = new byte[64 * 1024];
    private int start, end;

    private ImapLineConnection(TcpClient tcp, Stream stream)
    {
        this.tcp = tcp;
        this.stream = stream;
    }

    /// <summary>Per-read limit: a server that stalls fails the script instead of hanging the test.</summary>
    public static TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Connects; with <paramref name="tls"/> set, negotiates TLS at once (implicit TLS, RFC 8314).</summary>
    public static async Task<ImapLineConnection> Open(ImapTarget target, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(target.Host, target.Port, ct);
        Stream s = tcp.GetStream();
        if (target.Tls is { } tls)
        {
            var ssl = new SslStream(s, false, tls.Validate);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = tls.ServerName }, ct);
            s = ssl;
        }
        return new ImapLineConnection(tcp, s);
    }

    public async Task Send(string text, CancellationToken ct)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        await stream.WriteAsync(bytes, ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>Reads one reply: a line plus any literals it announces, without the final CRLF.</summary>
    public async Task<string> ReadReply(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(ReadTimeout);
        var sb = new StringBuilder();
        while (true)
        {
            var line = await ReadLine(cts.Token);
            sb.Append(line);
            var m = System.Text.RegularExpressions.Regex.Match(line, @"~?\{(\d+)\+?\}$");
            if (!m.Success) return sb.ToString();
            sb.Append("\r\n").Append(await ReadBytes(int.Parse(m.Groups[1].Value), cts.Token));
        }
    }

    private async Task<bool> Fill(CancellationToken ct)
    {
        if (start > 0 && start == end) start = end = 0;
        if (end == buffer.Length)
        {
            Array.Copy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        var n = await stream.ReadAsync(buffer.AsMemory(end), ct);
        end += n;
        return n > 0;
    }

    private async Task<string> ReadLine(CancellationToken ct)
    {
        var sb = new StringBuilder();
        while (true)
        {
            var lf = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (lf >= 0)
            {
                sb.Append(Encoding.Latin1.GetString(buffer, start, lf - start));
                start = lf + 1;
                if (sb.Length > 0 && sb[^1] == '\r') sb.Length--;
                return sb.ToString();
            }
            sb.Append(Encoding.Latin1.GetString(buffer, start, end - start));
            start = end;
            if (!await Fill(ct)) throw new IOException("connection closed by the server");
        }
    }

    private async Task<string> ReadBytes(int n, CancellationToken ct)
    {
        var sb = new StringBuilder(n);
        while (sb.Length < n)
        {
            if (start == end && !await Fill(ct)) throw new IOException("connection closed inside a literal");
            var take = Math.Min(n - sb.Length, end - start);
            sb.Append(Encoding.Latin1.GetString(buffer, start, take));
            start += take;
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        tcp.Dispose();
    }
}

/// <summary>Where the runner connects and as whom; <paramref name="Tls"/> null = plaintext.</summary>
public sealed record ImapTarget(string Host, int Port, string User, string Password, ImapTls? Tls = null);

/// <summary>Implicit TLS settings: the name to verify and the certificate check (the lab CA).</summary>
public sealed record ImapTls(string ServerName, RemoteCertificateValidationCallback Validate);
