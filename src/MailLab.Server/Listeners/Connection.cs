using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using MailLab.Protocols.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Listeners;

/// <summary>
/// One accepted connection under an SMTP, POP3 or IMAP session, the way Kestrel keeps the connection
/// apart from the protocol handler: the transport and its TLS (implicit, or the STARTTLS/STLS swap),
/// the pipe and the CRLF line framing, the timers (idle or command timeout, hard session deadline,
/// lab shutdown), the reply buffer and its flush, the final reply, disposal, and the SessionOpened and
/// SessionClosed events. The session (an <see cref="ISessionProtocol"/>) owns only its protocol.
/// </summary>
internal sealed class Connection : IAsyncDisposable
{
    private readonly LabSite site;
    private readonly TraceContext trace;
    private readonly ConnectionOptions options;
    private readonly CancellationTokenSource idle = new();
    private CancellationTokenSource? commandWait;
    private CrlfLineFramer? lines;

    /// <summary>Wraps an accepted <paramref name="transport"/>; nothing is read or written until <see cref="RunAsync"/>.</summary>
    public Connection(LabSite site, TraceContext trace, Stream transport, IPEndPoint remote, IPEndPoint local, ConnectionOptions options)
    {
        this.site = site;
        this.trace = trace;
        this.options = options;
        Remote = remote;
        Local = local;
        Stream = transport;
        Reader = NewReader(transport);
        lines = NewLineFramer();
    }

    /// <summary>The client's end point.</summary>
    public IPEndPoint Remote { get; }

    /// <summary>The lab's end point the client connected to.</summary>
    public IPEndPoint Local { get; }

    /// <summary>When the connection was accepted: the start of the session deadline and of DurationMs.</summary>
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    /// <summary>The transport: the accepted stream, or the TLS stream over it.</summary>
    public Stream Stream { get; private set; }

    /// <summary>The client's bytes; a new reader after a TLS swap.</summary>
    public PipeReader Reader { get; private set; }

    /// <summary>The TLS session once established, else null.</summary>
    public SslStream? Tls { get; private set; }

    /// <summary>Version and cipher of <see cref="Tls"/> (for the Received header), else null.</summary>
    public TlsDetails? TlsDetails { get; private set; }

    /// <summary>Replies queued since the last flush; written in one go before the session waits (pipelining).</summary>
    public SessionOutput Output { get; } = new();

    /// <summary>Why the session ended, as SessionClosed reports it.</summary>
    public string CloseReason { get; set; } = "client closed the connection";

    /// <summary>Set when the session must end after the replies queued now are sent.</summary>
    public bool Closing { get; set; }

    /// <summary>True when the idle timer was last set to the session deadline, not the idle timeout.</summary>
    public bool DeadlineArmed { get; set; }

    /// <summary>The idle timer: cancelled when the client (or the server's own work) took too long.</summary>
    public CancellationTokenSource Idle => idle;

    /// <summary>The idle timer linked with the lab's shutdown; null before <see cref="RunAsync"/>.</summary>
    public CancellationTokenSource? CommandWait => commandWait;

    /// <summary>What a wait on the client is cancelled by: the idle timer or the lab's shutdown.</summary>
    public CancellationToken CommandToken => commandWait?.Token ?? idle.Token;

    /// <summary>
    /// Traces SessionOpened, starts TLS when implicit, runs the protocol, sends what is queued, and ends
    /// every way a session can end: the client left, the protocol closed, the lab shut down, a timer ran
    /// out (the protocol's final reply), or the connection broke. SessionClosed is traced in all cases.
    /// </summary>
    public async Task RunAsync(ISessionProtocol protocol, CancellationToken shutdown)
    {
        trace.Emit(TraceKind.SessionOpened,
            $"connection from {Remote} to {options.Service} {Local}{(options.ImplicitTls ? " (implicit TLS)" : "")}",
            [("Client", Remote.Address.ToString()), ("ClientPort", Remote.Port), ("LocalEndpoint", Local.ToString()),
             ("Profile", options.Profile), ("ImplicitTls", options.ImplicitTls), .. options.OpenedFields]);
        commandWait = CancellationTokenSource.CreateLinkedTokenSource(shutdown, idle.Token);
        try
        {
            if (options.ImplicitTls && !await HandshakeAsync())
            {
                return;
            }
            await protocol.ServeAsync();
            await FlushAsync();
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            await protocol.EndAsync(SessionEnd.Shutdown);
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && DeadlineArmed)
        {
            await protocol.EndAsync(SessionEnd.Deadline);
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            await protocol.EndAsync(SessionEnd.IdleTimeout);
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException)
        {
            CloseReason = $"connection error: {ex.Message}";
        }
        finally
        {
            var note = protocol.OnClosed();
            trace.Emit(TraceKind.SessionClosed, $"session closed: {CloseReason}{note}",
                ("Reason", CloseReason), ("DurationMs", (long)(DateTimeOffset.UtcNow - Started).TotalMilliseconds));
        }
    }

    /// <summary>
    /// Frames the next CRLF line; a null status means the client closed the connection. Queued replies
    /// are flushed before each wait; the timer is set before the first wait only, so the whole line must
    /// arrive within it however slowly its bytes trickle in (issue 20). What follows the line stays in
    /// the pipe unexamined (pipelining). <paramref name="maxLine"/> raises the limit for this line
    /// (a SASL response, RFC 4954 §4, RFC 5034 §4).
    /// </summary>
    public async ValueTask<(FrameStatus? Status, string Line)> ReadLineAsync(int? maxLine = null)
    {
        var framer = lines ?? throw new InvalidOperationException("this connection frames no CRLF lines");
        framer.MaxLine = maxLine ?? options.MaxLine!.Value;
        try
        {
            return await ReadFramedLineAsync(framer, CommandToken);
        }
        finally
        {
            framer.MaxLine = options.MaxLine!.Value;
        }
    }

    private async ValueTask<(FrameStatus? Status, string Line)> ReadFramedLineAsync(CrlfLineFramer framer, CancellationToken token)
    {
        bool armed = false;
        while (true)
        {
            if (!Reader.TryRead(out var result))
            {
                await FlushAsync();
                if (!armed)
                {
                    ArmClientWait();
                    armed = true;
                }
                result = await Reader.ReadAsync(token);
            }
            var buffer = result.Buffer;
            var status = framer.Read(ref buffer, out var line);
            if (status == FrameStatus.NeedMoreData)
            {
                Reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return (null, "");
                }
                continue;
            }
            Reader.AdvanceTo(buffer.Start);
            return (status, line);
        }
    }

    /// <summary>
    /// Sets the idle timer for a wait on the client: the idle timeout, or what is left of the session
    /// deadline when that is sooner. The deadline is hard: no trickle of bytes moves it.
    /// </summary>
    public void ArmClientWait()
    {
        if (options.SessionDeadline is not { } deadline)
        {
            idle.CancelAfter(options.IdleTimeout);
            return;
        }
        var left = Started + deadline - DateTimeOffset.UtcNow;
        DeadlineArmed = left <= options.IdleTimeout;
        idle.CancelAfter(DeadlineArmed ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : options.IdleTimeout);
    }

    /// <summary>True once the session deadline (if any) has passed.</summary>
    public bool DeadlinePassed => options.SessionDeadline is { } deadline && DateTimeOffset.UtcNow - Started > deadline;

    /// <summary>Sends the queued replies and gives the buffer back: what follows is a wait for the client.</summary>
    public async ValueTask FlushAsync()
    {
        await SendAsync();
        Output.Release();
    }

    /// <summary>Sends the queued replies and keeps the buffer (more output follows at once).</summary>
    public async ValueTask SendAsync()
    {
        if (Output.WrittenCount == 0) return;
        // A client that does not read its replies gets the idle timeout too.
        DeadlineArmed = false;
        idle.CancelAfter(options.IdleTimeout);
        var token = options.WritesStopOnShutdown ? CommandToken : idle.Token;
        await Stream.WriteAsync(Output.WrittenMemory, token);
        await Stream.FlushAsync(token);
        Output.ResetWrittenCount();
    }

    /// <summary>
    /// Sends the last reply of a session that is ending (queued by the protocol) with its own short
    /// limit, since the session's own timer may be what ended it; notes in <see cref="CloseReason"/>
    /// when the client could not be reached.
    /// </summary>
    public async Task SendFinalAsync(string reason)
    {
        if (!await FinalReply.TrySendAsync(Stream, Output.WrittenMemory))
        {
            CloseReason = reason + " (client unreachable)";
        }
        Output.ResetWrittenCount();
    }

    /// <summary>
    /// The transport swap after STARTTLS or STLS, once the protocol has queued its go-ahead: the reply is
    /// sent, pipelined plaintext is discarded (RFC 3207 §5, RFC 2595 §4, STYLE.md 8), and the handshake
    /// runs. False (and <see cref="Closing"/>) when it failed; the protocol then forgets its state.
    /// </summary>
    public async Task<bool> StartTlsAsync(string command)
    {
        await FlushAsync();
        ServerTls.DiscardPipelined(Reader, trace, command);
        await Reader.CompleteAsync();
        if (await HandshakeAsync())
        {
            return true;
        }
        Closing = true;
        return false;
    }

    private async Task<bool> HandshakeAsync()
    {
        var (ssl, error) = await ServerTls.HandshakeAsync(Stream, site, trace, options.ImplicitTls);
        if (ssl is null)
        {
            CloseReason = error!;
            return false;
        }
        Tls = ssl;
        Stream = ssl;
        Reader = NewReader(ssl);
        lines = NewLineFramer();
        TlsDetails = ServerTls.Describe(ssl);
        return true;
    }

    private PipeReader NewReader(Stream s) =>
        PipeReader.Create(s, new StreamPipeReaderOptions(bufferSize: options.ReaderBufferSize, leaveOpen: true, useZeroByteReads: options.ZeroByteReads));

    private CrlfLineFramer? NewLineFramer() => options.MaxLine is { } max ? new CrlfLineFramer(max) : null;

    /// <summary>Ends TLS with close_notify, completes the reader, closes the transport and returns the buffer.</summary>
    public async ValueTask DisposeAsync()
    {
        await ServerTls.ShutdownQuietlyAsync(Tls);
        commandWait?.Dispose();
        idle.Dispose();
        await Reader.CompleteAsync();
        await Stream.DisposeAsync();
        Output.Release(); // no write is in flight any more: RunAsync has returned
    }
}
