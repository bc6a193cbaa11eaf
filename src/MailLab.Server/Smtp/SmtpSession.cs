using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Text;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;
using MailLab.Server.Checks;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

/// <summary>
/// One SMTP server session (RFC 5321) over any duplex stream, for either profile. The protocol
/// state lives in <see cref="SmtpStateTable"/>; policy decisions come from <see cref="SmtpPolicy"/>
/// as values; this class reads lines, asks them, and writes the replies.
/// </summary>
internal sealed partial class SmtpSession : IAsyncDisposable, ISessionProtocol
{
    private readonly LabSite site;
    private readonly Relay.RelayQueue? queue;
    private readonly SmtpProfile profile;
    private readonly TraceContext trace;
    private readonly bool labRelay;
    private readonly LabLimits limits;
    private readonly SmtpLimits protocolLimits;
    private readonly Connection connection;
    private SmtpState state = SmtpState.Connected;
    private string? helo;
    private bool esmtp;
    private UserDefinition? user;
    private int authFailures;
    private int errors;
    private Envelope? envelope;

    /// <summary>Creates a session for one accepted connection; <paramref name="queue"/>: the outbound queue, null when relaying to other domains is not available.</summary>
    public SmtpSession(LabSite site, SmtpProfile profile, Stream transport, IPEndPoint remote, IPEndPoint local, string sessionId,
        Relay.RelayQueue? queue = null)
    {
        this.site = site;
        this.queue = queue;
        this.profile = profile;
        limits = site.Lab.Limits;
        protocolLimits = new SmtpLimits { MaxRecipients = limits.MaxRecipients, MaxMessageSize = limits.MaxMessageSize };
        labRelay = site.Peers.IsRelay(remote);
        // A session the lab's own relay opened is the lab's work, whatever message it carries (docs/events.md §1).
        trace = labRelay ? site.Tracer.ForLab(LabOrigin.Relay, site.Name, profile.Role, sessionId) : site.Tracer.For(site.Name, profile.Role, sessionId);
        connection = new Connection(site, trace, transport, remote, local, new ConnectionOptions
        {
            Service = profile.Name,
            Profile = profile.Name,
            ImplicitTls = profile.ImplicitTls,
            OpenedFields = [("LabRelay", labRelay)],
            // RFC 5321 §4.5.3.2.7: command-timeout for each wait; session-timeout is a hard deadline.
            IdleTimeout = limits.CommandTimeout,
            SessionDeadline = limits.SessionTimeout,
            MaxLine = protocolLimits.MaxCommandLine,
        });
    }

    // The connection's state under the short names the SMTP handlers (SmtpSession.*.cs) use.
    private IPEndPoint remote => connection.Remote;
    private IPEndPoint local => connection.Local;
    private PipeReader reader => connection.Reader;
    private CancellationTokenSource idle => connection.Idle;
    private CancellationTokenSource? commandWait => connection.CommandWait;
    private SslStream? tls => connection.Tls;
    private Delivery.TlsDetails? tlsDetails => connection.TlsDetails;
    private bool deadlineArmed { set => connection.DeadlineArmed = value; }
    private bool closing { get => connection.Closing; set => connection.Closing = value; }
    private string closeReason { get => connection.CloseReason; set => connection.CloseReason = value; }

    /// <summary>The session id stamped on its trace events.</summary>
    public string? Id => trace.Session;

    private string Host => site.HostName;

    /// <summary>Runs the session until QUIT, a fatal error, a timeout or <paramref name="shutdown"/>.</summary>
    public Task RunAsync(CancellationToken shutdown) => connection.RunAsync(this, shutdown);

    async Task ISessionProtocol.ServeAsync()
    {
        // RFC 5321 §4.2: the greeting names the server; "ESMTP" tells the client EHLO will work.
        Reply(220, null, $"{Host} ESMTP MailLab {profile.Name} ready");
        while (!closing)
        {
            var (status, line) = await connection.ReadLineAsync();
            if (status is null)
            {
                break;
            }
            await HandleLineAsync(status.Value, line);
            if (connection.DeadlinePassed)
            {
                Close(421, "4.4.2", $"{Host} Session time limit exceeded, closing connection", "session time limit");
            }
        }
    }

    Task ISessionProtocol.EndAsync(SessionEnd end) => end switch
    {
        SessionEnd.Shutdown => TryFinalReplyAsync(421, "4.3.2", $"{Host} Service shutting down, closing connection", "lab shutting down"),
        // RFC 5321 §4.5.3.2 and §3.8: a server may close after its own time limit, with 421.
        SessionEnd.Deadline => TryFinalReplyAsync(421, "4.4.2", $"{Host} Session time limit exceeded, closing connection", "session time limit"),
        _ => TryFinalReplyAsync(421, "4.4.2", $"{Host} Timeout exceeded, closing connection", "idle timeout"),
    };

    string ISessionProtocol.OnClosed() => "";

    /// <summary>
    /// Sets the idle timer for a wait on the client: command-timeout (RFC 5321 §4.5.3.2.7), or what is
    /// left of session-timeout when that is sooner.
    /// </summary>
    private void ArmClientWait() => connection.ArmClientWait();

    private async Task HandleLineAsync(FrameStatus status, string line)
    {
        if (status == FrameStatus.LineTooLong)
        {
            trace.Emit(TraceKind.LimitExceeded, $"command line over {protocolLimits.MaxCommandLine} octets",
                ("Limit", "command-line"), ("Max", protocolLimits.MaxCommandLine));
            // RFC 5321 §4.5.3.1.4 and §4.2.2: 500 "line too long".
            Error(500, "5.5.6", "Line too long");
            return;
        }
        var parsed = SmtpCommandParser.Parse(line);
        TraceCommand(line, parsed.Command);
        if (parsed.Command is not { } command)
        {
            Error(parsed.Error!);
            return;
        }
        if (!SmtpStateTable.TryTransition(state, command.Verb, out var next))
        {
            Error(SmtpStateTable.BadSequence(state, command.Verb));
            return;
        }
        await DispatchAsync(command, next);
    }

    private async Task DispatchAsync(SmtpCommand command, SmtpState next)
    {
        switch (command.Verb)
        {
            case SmtpVerb.Ehlo:
            case SmtpVerb.Helo:
                Greet(command, next);
                break;
            case SmtpVerb.Mail:
                await MailAsync(command, next);
                break;
            case SmtpVerb.Rcpt:
                Rcpt(command, next);
                break;
            case SmtpVerb.Data:
                await DataAsync();
                break;
            case SmtpVerb.Rset:
                envelope = null;
                state = next;
                Reply(250, "2.0.0", "Ok");
                break;
            case SmtpVerb.Noop:
                Reply(250, "2.0.0", "Ok");
                break;
            case SmtpVerb.Quit:
                Close(221, "2.0.0", $"{Host} Bye", "QUIT");
                break;
            case SmtpVerb.Help:
                Reply(214, "2.0.0",
                    "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY STARTTLS AUTH",
                    "See RFC 5321; this server is MailLab, a teaching lab");
                break;
            case SmtpVerb.Vrfy:
                Vrfy(command);
                break;
            case SmtpVerb.Expn:
                // RFC 5321 §3.5.2: EXPN may be disabled; lists are not disclosed.
                Reply(502, "5.5.1", "EXPN is not available");
                break;
            case SmtpVerb.StartTls:
                await StartTlsAsync(command);
                break;
            case SmtpVerb.Auth:
                await AuthAsync(command);
                break;
            default:
                Error(500, "5.5.2", "Command not recognized");
                break;
        }
    }

    private void Greet(SmtpCommand command, SmtpState next)
    {
        helo = command.Domain ?? "";
        esmtp = command.Verb == SmtpVerb.Ehlo;
        envelope = null; // RFC 5321 §4.1.4: EHLO resets like RSET
        state = next;
        var hello = $"{Host} Hello {helo} {Delivery.ReceivedHeader.AddressLiteral(remote.Address)}";
        if (!esmtp)
        {
            Reply(250, null, hello);
            return;
        }
        // Advertise exactly what this session implements (RFC 5321 §4.1.1.1).
        var lines = new List<string>
        {
            hello,
            "PIPELINING",                               // RFC 2920
            $"SIZE {protocolLimits.MaxMessageSize}",    // RFC 1870
            "8BITMIME",                                 // RFC 6152
            "ENHANCEDSTATUSCODES",                      // RFC 2034
            "SMTPUTF8",                                 // RFC 6531
        };
        if (tls is null) lines.Add("STARTTLS");        // RFC 3207 §4.2: not after TLS
        else lines.Add("REQUIRETLS");                  // RFC 8689 §4.1: offered only over TLS
        if (AuthOffered) lines.Add("AUTH PLAIN LOGIN"); // RFC 4954, only where it may be used
        Reply(250, null, [.. lines]);
    }

    private bool AuthOffered => profile.Submission && user is null && (tls is not null || site.Lab.Switches.AllowPlaintextAuth);

    private async Task MailAsync(SmtpCommand command, SmtpState next)
    {
        if (command.Parameters.ContainsKey("REQUIRETLS") && tls is null)
        {
            // RFC 8689 §4.1: REQUIRETLS only in a TLS session; 5.7.10 (RFC 5248): encryption needed.
            var noTls = PolicyDecision.Refuse(530, "5.7.10", "REQUIRETLS needs a TLS session: STARTTLS first (RFC 8689)", "REQUIRETLS without TLS");
            TraceRefusal("MAIL", command.Path ?? "", noTls);
            Error(noTls.Reply);
            return;
        }
        var decision = SmtpPolicy.CheckSender(new SenderContext(site, profile, user, tls is not null, command, protocolLimits));
        if (!decision.Accepted)
        {
            TraceRefusal("MAIL", command.Path ?? "", decision);
            Error(decision.Reply);
            return;
        }
        var (checks, refusal) = await CheckMailFromAsync(command.Path ?? "");
        if (refusal is not null)
        {
            TraceRefusal("MAIL", command.Path ?? "", refusal);
            Error(refusal.Reply);
            return;
        }
        envelope = new Envelope
        {
            MailFrom = command.Path ?? "",
            Utf8 = command.Parameters.ContainsKey("SMTPUTF8"),
            RequireTls = command.Parameters.ContainsKey("REQUIRETLS"),
            EightBit = command.Parameters.TryGetValue("BODY", out var body) && body == "8BITMIME",
            Results = checks,
        };
        state = next;
        trace.Emit(TraceKind.EnvelopeMailFrom, $"envelope sender <{envelope.MailFrom}>{(user is null ? "" : $" (authenticated as {user.Address})")}",
            ("MailFrom", envelope.MailFrom), ("Domain", LabNames.DomainOf(envelope.MailFrom)),
            ("AuthenticatedUser", user?.Address), ("Parameters", command.Parameters.Select(p => $"{p.Key}={p.Value}").ToArray()));
        Reply(decision.Reply);
    }

    private void Rcpt(SmtpCommand command, SmtpState next)
    {
        var env = envelope!;
        var path = command.Path ?? "";
        if (path.Equals("postmaster", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 5321 §4.1.1.3: <Postmaster> without a domain means this server's postmaster.
            path = "postmaster@" + site.Definition.Domains[0];
        }
        var decision = SmtpPolicy.CheckRecipient(new RecipientContext(site, profile, user, env, path, command, protocolLimits, queue));
        if (!decision.Accepted)
        {
            if (decision.Reply.Code == 452)
            {
                trace.Emit(TraceKind.LimitExceeded, $"more than {protocolLimits.MaxRecipients} recipients",
                    ("Limit", "recipients"), ("Max", protocolLimits.MaxRecipients));
            }
            TraceRefusal("RCPT", path, decision);
            Error(decision.Reply);
            return;
        }
        path = RecipientSpelling(path);
        if (!env.Recipients.Contains(path, StringComparer.Ordinal))
        {
            env.Recipients.Add(path);
        }
        state = next;
        trace.Emit(TraceKind.EnvelopeRcptTo, $"envelope recipient <{path}>",
            ("RcptTo", path), ("Domain", LabNames.DomainOf(path)), ("Local", site.IsLocalDomain(LabNames.DomainOf(path))));
        Reply(decision.Reply);
    }

    /// <summary>
    /// How a recipient is recorded. A local user: the lab's spelling (local parts are case-sensitive on
    /// disk, users are not). Any other address: the local part exactly as given, since only its own
    /// domain may treat it case-insensitively (RFC 5321 §2.4); the domain is lower-cased (§2.4: domains are not case-sensitive).
    /// </summary>
    private string RecipientSpelling(string path)
    {
        if (site.FindUser(path) is { } known) return known.Address;
        var at = path.LastIndexOf('@');
        if (at < 0) return path;
        var domain = path[(at + 1)..].ToLowerInvariant();
        return site.IsLocalDomain(domain) ? path.ToLowerInvariant() : path[..at] + "@" + domain;
    }

    private void Vrfy(SmtpCommand command)
    {
        if (!site.Lab.Switches.EnableVrfy)
        {
            // RFC 5321 §3.5.3: 252 when the server will not verify (prevents address harvesting).
            Reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
            return;
        }
        var arg = (command.Argument ?? "").Trim().Trim('<', '>');
        if (site.HasMailbox(arg))
        {
            Reply(250, "2.1.5", $"<{arg}>");
        }
        else
        {
            Reply(550, "5.1.1", $"<{arg}>: no such user here");
        }
    }

    private void TraceRefusal(string stage, string address, PolicyDecision decision) => decision.TraceRefusal(trace, stage, address);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
