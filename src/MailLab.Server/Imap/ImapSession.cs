using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Imap.Commands;
using MailLab.Server.Listeners;
using MailLab.Server.Lab;
using MailLab.Server.Sites;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap;

/// <summary>
/// One IMAP4rev1 server session (RFC 3501) over any duplex stream, on the STARTTLS port or with
/// implicit TLS (RFC 8314). Commands are framed by <see cref="ImapFramer"/>, parsed by
/// <see cref="ImapParser"/>, checked against <see cref="ImapStateTable"/>, and answered from the
/// <see cref="MessageStore"/> by the command handlers in <c>Commands/</c> (<see cref="ImapCommands"/>);
/// the selected mailbox is a <see cref="SelectedMailbox"/> kept in step with changes made by anyone else.
/// </summary>
internal sealed partial class ImapSession : IAsyncDisposable, ISessionProtocol
{
    /// <summary>
    /// Longest command line (literals excluded), in octets. RFC 7162 §4 asks for at least 8192; 65536
    /// (Dovecot's figure) leaves room for long ID parameter lists and UID sets from real clients, while
    /// the frame buffer grows only as a line needs it. Literals are bounded by the message size limit.
    /// </summary>
    public const int MaxLine = 65536;

    /// <summary>Bad commands in a row before the session is closed (after login; an OK resets the count).</summary>
    private const int MaxErrors = 20;

    /// <summary>
    /// Refused commands (BAD or NO) before login, in total, before the session is closed with BYE, as
    /// SMTP's error limit does: an OK in between does not reset the count. A real client needs a
    /// CAPABILITY, a STARTTLS and one login; a client that keeps sending refused commands is attacking.
    /// </summary>
    internal const int MaxErrorsBeforeLogin = 10;

    /// <summary>
    /// Largest literal before login, in octets: far more than a LOGIN user name or password needs, while
    /// what one unauthenticated connection can make the server hold stays bounded by
    /// <see cref="ImapFramer.MaxCommand"/> (this plus four lines, about 264 KiB) instead of a whole message
    /// (issue 20: 40 connections each announcing a 10 MB literal held 500 MB). After login literals may be
    /// as large as the message size limit (APPEND). Lines keep <see cref="MaxLine"/>: an RFC 2971 ID may
    /// carry 30 values of 1024 octets before login.
    /// </summary>
    public const int MaxLiteralBeforeLogin = 8192;

    /// <summary>Untagged responses per command traced one by one; the rest are counted.</summary>
    internal const int TracedUntagged = 20;

    private readonly LabSite site;
    private readonly ImapUserLimiter users;
    private readonly TraceContext trace;
    private readonly LabLimits limits;
    private readonly MessageStore store;
    private readonly HeaderCache headers;
    private readonly Connection connection;
    private readonly ImapWriter w;
    private ImapFramer framer;
    private ImapState state = ImapState.NotAuthenticated;
    private UserDefinition? user;
    private IDisposable? userSlot;
    private int errors;
    private ImapCommands? commands;

    /// <summary>
    /// Creates a session for one accepted connection; <paramref name="users"/>: the site's logged-in IMAP
    /// sessions per user (limit <c>imap-connections-per-user</c>), shared by all its IMAP listeners.
    /// </summary>
    public ImapSession(LabSite site, bool implicitTls, Stream transport, IPEndPoint remote, IPEndPoint local, string sessionId, ImapUserLimiter users)
    {
        this.site = site;
        this.users = users;
        limits = site.Lab.Limits;
        store = site.Mda.Store;
        headers = HeaderCache.For(store);
        trace = site.Tracer.For(site.Name, TraceRole.IMAP, sessionId);
        connection = new Connection(site, trace, transport, remote, local, new ConnectionOptions
        {
            Service = "IMAP",
            Profile = implicitTls ? "imaps" : "imap",
            ImplicitTls = implicitTls,
            // RFC 3501 §5.4: the autologout timer is at least 30 minutes.
            IdleTimeout = limits.ImapIdleTimeout,
            // Zero-byte reads: while the client is silent (IDLE, or between commands) no buffer is rented; one
            // is taken from the pool only when octets have arrived, and returned once they are consumed. Over
            // TLS the zero-byte read also lets SslStream hand back its own buffer while it waits.
            ReaderBufferSize = 4096,
            ZeroByteReads = true,
        });
        framer = NewFramer();
        w = new ImapWriter(connection.Output);
    }

    // The connection's state under the short names the session's partial files (ImapSession.*.cs) use.
    private PipeReader reader => connection.Reader;
    private CancellationTokenSource idle => connection.Idle;
    private CancellationTokenSource? commandWait => connection.CommandWait;
    private SslStream? tls => connection.Tls;
    private SessionOutput output => connection.Output;
    private bool closing { get => connection.Closing; set => connection.Closing = value; }

    /// <summary>The session id stamped on its trace events.</summary>
    public string? Id => trace.Session;

    private string Host => site.HostName;

    // After login an APPEND literal may be as large as the lab's message size limit (the APPENDLIMIT
    // advertised); before it, literals are small (CompleteLoginAsync raises the limit).
    private ImapFramer NewFramer() => new(MaxLine, LoggedIn ? limits.MaxMessageSize : MaxLiteralBeforeLogin);

    private bool LoggedIn => state != ImapState.NotAuthenticated;

    private string LimitNote => LoggedIn ? "" : " before login";

    /// <summary>Runs the session until LOGOUT, a fatal error, a timeout or <paramref name="shutdown"/>.</summary>
    public Task RunAsync(CancellationToken shutdown) => connection.RunAsync(this, shutdown);

    async Task ISessionProtocol.ServeAsync()
    {
        // RFC 3501 §7.1.1 greeting; the CAPABILITY code saves the client a round trip.
        Untagged($"OK [CAPABILITY {Capabilities()}] {Host} IMAP4rev1 MailLab ready");
        while (!closing)
        {
            var command = await ReadCommandAsync(connection.CommandToken);
            if (command is null)
            {
                break;
            }
            await HandleAsync(command.Value);
        }
    }

    Task ISessionProtocol.EndAsync(SessionEnd end) => end == SessionEnd.Shutdown
        ? TryByeAsync("Server shutting down", "lab shutting down")
        // RFC 3501 §5.4: the autologout timer is at least 30 minutes.
        : TryByeAsync("Autologout; idle for too long", "idle timeout");

    string ISessionProtocol.OnClosed() => "";

    /// <summary>
    /// Reads one whole command (answering synchronising literals with "+"); null when the client went
    /// away. Limit violations are answered here and reading goes on.
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>?> ReadCommandAsync(CancellationToken token)
    {
        while (true)
        {
            if (!reader.TryRead(out var result))
            {
                await FlushAsync();
                framer.Trim();
                connection.ArmClientWait();
                result = await reader.ReadAsync(token);
            }
            var buffer = result.Buffer;
            var status = framer.Read(ref buffer);
            reader.AdvanceTo(buffer.Start); // the framer keeps partial input; what follows a command stays unread
            switch (status)
            {
                case ImapFrameStatus.Complete:
                    return framer.Frame;
                case ImapFrameStatus.NeedContinuation:
                    // RFC 3501 §7.5: the client waits for this before sending the literal's octets.
                    Continuation("Ready for literal data");
                    await FlushAsync();
                    continue;
                case ImapFrameStatus.LineTooLong:
                    trace.Emit(TraceKind.LimitExceeded, $"command line over {MaxLine} octets",
                        ("Limit", "command-line"), ("Max", MaxLine));
                    // An over-long AUTHENTICATE response would have its first token echoed as the tag.
                    Bad(SecretRedaction.IsCredentialBlob(framer.RefusedTag) ? null : framer.RefusedTag, $"Command line too long (limit {MaxLine} octets)");
                    if (closing)
                    {
                        return null;
                    }
                    continue;
                case ImapFrameStatus.LiteralTooLarge:
                    trace.Emit(TraceKind.LimitExceeded, $"literal of {framer.AnnouncedLiteral} octets refused{LimitNote}",
                        ("Limit", "literal" + LimitNote.Replace(' ', '-')), ("Max", framer.MaxLiteral));
                    // RFC 7889 §4: [TOOBIG] for a message over APPENDLIMIT; no "+" is sent, so no octets follow.
                    Tagged(framer.RefusedTag ?? "*", "NO", $"[TOOBIG] Literal larger than {framer.MaxLiteral} octets{LimitNote}");
                    if (closing)
                    {
                        return null;
                    }
                    continue;
                case ImapFrameStatus.NonSyncLiteralTooLarge:
                    trace.Emit(TraceKind.LimitExceeded, $"non-synchronising literal of {framer.AnnouncedLiteral} octets{LimitNote}",
                        ("Limit", "literal" + LimitNote.Replace(' ', '-')), ("Max", framer.MaxLiteral));
                    // RFC 7888 §4: the octets are already on their way and reading them all is what the limit is
                    // against; the command gets BAD (with TOOBIG, §5) and the connection is closed.
                    Tagged(framer.RefusedTag ?? "*", "BAD", $"[TOOBIG] Literal larger than {framer.MaxLiteral} octets{LimitNote}");
                    Bye("Literal too large; closing the connection", "literal too large");
                    return null;
            }
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> frame)
    {
        UntaggedCount = 0;
        Answered = false;
        var (command, error) = ImapParser.Parse(frame);
        if (command is null)
        {
            var shown = Summarise(frame);
            trace.Emit(TraceKind.CommandReceived, "C: " + shown, ("Line", shown), ("Command", null), ("Tag", ReplyTag(error!.Tag, frame)));
            Bad(ReplyTag(error.Tag, frame), "Syntax error: " + error.Reason);
            return;
        }
        TraceCommand(command, frame);
        if (!ImapStateTable.IsKnown(command.Name) || (command.Uid && !ImapStateTable.HasUidForm(command.Name)))
        {
            Bad(command.Tag, $"Unknown command {(command.Uid ? "UID " : "")}{command.Name}");
            return;
        }
        if (!ImapStateTable.IsAllowed(command.Name, state))
        {
            Bad(command.Tag, $"{command.Name} is valid only in the {ImapStateTable.Describe(command.Name)} state");
            return;
        }
        try
        {
            if (state == ImapState.Selected && await Selection.GoneAsync())
            {
                return;
            }
            await Commands.DispatchAsync(command);
        }
        catch (InvalidMailboxNameException ex)
        {
            No(command.Tag, $"Invalid mailbox name: {ex.Message}");
        }
        catch (MailboxNotFoundException ex)
        {
            // Deleted by another session while this command ran: the selected one means BYE, any other NO.
            if (Selection.View is not null && ex.Folder == Selection.View.Folder)
            {
                Selection.MailboxGone();
            }
            else
            {
                No(command.Tag, "[NONEXISTENT] No such mailbox");
            }
        }
        catch (StoreException ex)
        {
            trace.Emit(TraceKind.InternalError, $"store error in {command.Name}: {ex.Message}", ("Error", ex.Message));
            No(command.Tag, "[SERVERBUG] The message store failed; try again");
        }
    }

    /// <summary>Exactly what this session implements now (RFC 3501 §7.2.1).</summary>
    internal string Capabilities()
    {
        var caps = new List<string> { "IMAP4rev1" };
        if (state == ImapState.NotAuthenticated)
        {
            if (tls is null)
            {
                caps.Add("STARTTLS");
            }
            if (tls is not null || site.Lab.Switches.AllowPlaintextAuth)
            {
                caps.Add("AUTH=PLAIN");
                caps.Add("SASL-IR"); // RFC 4959
            }
            else
            {
                caps.Add("LOGINDISABLED"); // RFC 3501 §6.2.3: LOGIN refused before TLS
            }
        }
        caps.AddRange(["LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN",
            "LIST-EXTENDED", "SPECIAL-USE", $"APPENDLIMIT={limits.MaxMessageSize}"]);
        return string.Join(' ', caps);
    }

    // Sends the responses and gives the output buffer back: what follows is a wait for the client.
    internal ValueTask FlushAsync() => connection.FlushAsync();

    internal ValueTask SendAsync() => connection.SendAsync();

    // Long answers (FETCH of many messages) go out in pieces rather than growing the buffer; the
    // buffer is kept for the next piece.
    internal ValueTask FlushIfLargeAsync() => output.WrittenCount >= 64 * 1024 ? SendAsync() : ValueTask.CompletedTask;

    private async Task TryByeAsync(string text, string reason)
    {
        Bye(text, reason);
        await connection.SendFinalAsync(reason);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        commands?.Selected.Dispose();
        userSlot?.Dispose();
        await connection.DisposeAsync();
    }
}
