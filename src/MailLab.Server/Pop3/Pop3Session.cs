using System.Net;
using MailLab.Protocols.Pop3;
using MailLab.Protocols.Text;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Pop3;

/// <summary>
/// One POP3 server session (RFC 1939) over any duplex stream, on the STLS port or with implicit TLS.
/// The protocol state lives in <see cref="Pop3StateTable"/>, the parsing in <see cref="Pop3CommandParser"/>;
/// this class reads lines, runs the commands against the store and writes the replies.
/// </summary>
internal sealed partial class Pop3Session : IAsyncDisposable, ISessionProtocol
{
    private static long instances;
    private readonly LabSite site;
    private readonly TraceContext trace;
    private readonly LabLimits limits;
    private readonly Connection connection;
    private readonly string timestamp;
    private readonly string lockOwner;
    private Pop3State state = Pop3State.Authorization;
    private string? userName;
    private UserDefinition? user;
    private Maildrop? maildrop;
    private string? lockedMaildrop;
    private int authFailures;
    private int errors;

    /// <summary>Creates a session for one accepted connection.</summary>
    public Pop3Session(LabSite site, bool implicitTls, Stream transport, IPEndPoint remote, IPEndPoint local, string sessionId)
    {
        this.site = site;
        limits = site.Lab.Limits;
        trace = site.Tracer.For(site.Name, TraceRole.POP3, sessionId);
        connection = new Connection(site, trace, transport, remote, local, new ConnectionOptions
        {
            Service = "POP3",
            Profile = "POP3",
            ImplicitTls = implicitTls,
            // RFC 1939 §3: the autologout timer; it runs from the first wait to the end of the line.
            IdleTimeout = limits.Pop3IdleTimeout,
            MaxLine = Pop3Limits.MaxCommandLine,
            WritesStopOnShutdown = true,
        });
        timestamp = Pop3Apop.NewTimestamp(site.HostName);
        lockOwner = $"{sessionId}/{Interlocked.Increment(ref instances)}";
    }

    /// <summary>The session id stamped on its trace events.</summary>
    public string? Id => trace.Session;

    private string Host => site.HostName;

    private MessageStore Store => site.Mda.Store;

    /// <summary>Runs the session until QUIT, a fatal error, the idle timeout or <paramref name="shutdown"/>.</summary>
    public Task RunAsync(CancellationToken shutdown) => connection.RunAsync(this, shutdown);

    async Task ISessionProtocol.ServeAsync()
    {
        // RFC 1939 §4 greeting; the msg-id at the end is the APOP timestamp (§7).
        Reply(Pop3Reply.Positive($"{Host} POP3 MailLab ready {timestamp}"));
        while (!connection.Closing)
        {
            var (status, line) = await connection.ReadLineAsync();
            if (status is null)
            {
                break;
            }
            await HandleLineAsync(status.Value, line);
        }
    }

    async Task ISessionProtocol.EndAsync(SessionEnd end)
    {
        if (end == SessionEnd.Shutdown)
        {
            // RFC 1939 §6: without QUIT there is no UPDATE state; marked messages stay.
            await TryFinalReplyAsync(Pop3Reply.Negative($"{Host} server shutting down, nothing deleted", Pop3RespCode.SysTemp), "lab shutting down");
            return;
        }
        // RFC 1939 §3: the autologout timer closes the connection without a response and without UPDATE.
        connection.CloseReason = $"idle timeout ({limits.Pop3IdleTimeout.TotalSeconds:0} s)";
        trace.Emit(TraceKind.LimitExceeded, $"no command for {limits.Pop3IdleTimeout.TotalSeconds:0} s: autologout, nothing deleted",
            ("Limit", "pop3-idle-timeout"), ("Max", limits.Pop3IdleTimeout.TotalSeconds));
    }

    string ISessionProtocol.OnClosed()
    {
        ReleaseLock();
        var pending = maildrop?.All.Count(e => e.Deleted) ?? 0;
        return pending > 0 && state != Pop3State.Update ? $" ({pending} messages marked for deletion kept)" : "";
    }

    private async Task HandleLineAsync(FrameStatus status, string line)
    {
        if (status == FrameStatus.LineTooLong)
        {
            trace.Emit(TraceKind.LimitExceeded, $"command line over {Pop3Limits.MaxCommandLine} octets",
                ("Limit", "command-line"), ("Max", Pop3Limits.MaxCommandLine));
            Error(Pop3Reply.Negative($"Line too long (RFC 2449 §4: at most {Pop3Limits.MaxCommandLine} octets)"));
            return;
        }
        var parsed = Pop3CommandParser.Parse(line);
        TraceCommand(line, parsed);
        if (parsed.Command is not { } command)
        {
            Error(Pop3Reply.Negative(parsed.Error!));
            return;
        }
        if (Pop3StateTable.Find(state, command.Verb) is not { } row)
        {
            Error(Pop3Reply.Negative(Pop3StateTable.BadSequence(state, command.Verb)));
            return;
        }
        bool ok = await DispatchAsync(command);
        state = ok ? row.Next : row.Failed;
        if (!ok && state == Pop3State.Authorization)
        {
            userName = null;
        }
    }

    // Each handler queues its reply and says whether it was +OK; the state table says where that leads.
    private async Task<bool> DispatchAsync(Pop3Command command) => command.Verb switch
    {
        Pop3Verb.Capa => Capa(),
        Pop3Verb.Stls => await StlsAsync(),
        Pop3Verb.User => UserCommand(command),
        Pop3Verb.Pass => await PassAsync(command),
        Pop3Verb.Apop => await ApopAsync(command),
        Pop3Verb.Auth => await AuthAsync(command),
        Pop3Verb.Quit => await QuitAsync(),
        Pop3Verb.Stat => Stat(),
        Pop3Verb.List => List(command),
        Pop3Verb.Uidl => Uidl(command),
        Pop3Verb.Retr => await RetrAsync(command),
        Pop3Verb.Top => await TopAsync(command),
        Pop3Verb.Dele => Dele(command),
        Pop3Verb.Noop => Ok("ok"),
        Pop3Verb.Rset => Rset(),
        _ => Ok("unreachable"),
    };

    private bool Capa()
    {
        // RFC 2449 §5: list exactly what works now; the list may change after STLS and after login.
        var lines = new List<string> { "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING" };
        if (state != Pop3State.Transaction && PlainLoginAllowed)
        {
            lines.Add("USER");           // RFC 2449 §6.2
            lines.Add("SASL PLAIN");     // RFC 2449 §6.3, RFC 5034
        }
        if (state == Pop3State.Authorization && connection.Tls is null)
        {
            lines.Add("STLS");           // RFC 2595 §4: only before TLS
        }
        lines.Add("IMPLEMENTATION MailLab");
        ReplyLines(Pop3Reply.Positive("Capability list follows"), lines);
        return true;
    }

    /// <summary>USER/PASS and AUTH: over TLS, or in plaintext when the lab switch allows it (RFC 2595 §2.3).</summary>
    private bool PlainLoginAllowed => connection.Tls is not null || site.Lab.Switches.AllowPlaintextAuth;

    private bool Ok(string text)
    {
        Reply(Pop3Reply.Positive(text));
        return true;
    }

    private void ReleaseLock()
    {
        if (lockedMaildrop is not null)
        {
            MaildropLocks.Release(lockedMaildrop, lockOwner);
            lockedMaildrop = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        ReleaseLock();
        await connection.DisposeAsync();
    }
}
