using System.Net.Security;
using System.Text;
using MailLab.Server.Sites;

namespace MailLab.Tests.Support;

/// <summary>
/// What the SMTP, POP3 and IMAP transcripts share: an in-memory pipe to a real server session, the
/// client side of TLS trusting only the lab CA, a 30-second limit on every read and write, a lab
/// shutdown on demand, and cleanup.
/// </summary>
public abstract class Transcript : IAsyncDisposable
{
    private readonly CancellationTokenSource shutdown = new();

    /// <summary>Bounds every read and write of the test.</summary>
    protected readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));

    /// <summary>Reads the server's lines (from the TLS stream once the handshake is done).</summary>
    protected readonly ClientLines lines;

    /// <summary>The client end: the pipe, or the TLS stream over it.</summary>
    protected Stream client;

    protected Transcript(Stream client, LabSite site)
    {
        this.client = client;
        lines = new ClientLines(client);
        Site = site;
    }

    /// <summary>The server session, running until it ends or the transcript is disposed.</summary>
    public Task Session { get; private set; } = Task.CompletedTask;

    public LabSite Site { get; }

    /// <summary>Cancels the session as a lab shutdown would.</summary>
    public void Shutdown() => shutdown.Cancel();

    /// <summary>Runs <paramref name="session"/> (the server end of the pipe) in the background and disposes it when done.</summary>
    protected void Run<TSession>(TSession session, string id, Func<TSession, CancellationToken, Task> run) where TSession : IAsyncDisposable
    {
        sessionId = id;
        Session = Task.Run(async () =>
        {
            await using (session)
            {
                await run(session, shutdown.Token);
            }
        });
    }

    private string? sessionId;

    public Task SendAsync(string line) => SendRawAsync(line + "\r\n");

    public virtual async Task SendRawAsync(string raw)
    {
        await client.WriteAsync(Encoding.UTF8.GetBytes(raw), timeout.Token);
        await client.FlushAsync(timeout.Token);
    }

    /// <summary>Client side of TLS, trusting only the lab CA.</summary>
    public async Task HandshakeAsync()
    {
        var ssl = new SslStream(client, leaveInnerStreamOpen: false, TestPki.Validate);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Site.HostName }, timeout.Token);
        client = ssl;
        lines.Stream = ssl;
    }

    public async ValueTask DisposeAsync()
    {
        shutdown.Cancel();
        await client.DisposeAsync();
        try
        {
            await Session.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
        }
        if (sessionId is not null && Session.IsCompleted) TraceDump.Write(Site.Tracer, sessionId);
        timeout.Dispose();
        shutdown.Dispose();
        GC.SuppressFinalize(this);
    }
}
