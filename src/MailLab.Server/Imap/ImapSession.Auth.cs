using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Protocols.Sasl;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap;

// STARTTLS (RFC 3501 §6.2.1, RFC 2595), implicit TLS (RFC 8314), LOGIN and AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959).
public sealed partial class ImapSession
{
    private async Task StartTlsAsync(ImapCommand c)
    {
        if (tls is not null)
        {
            Bad(c.Tag, "TLS already active");
            return;
        }
        if (c.Arguments.Count > 0)
        {
            Bad(c.Tag, "STARTTLS takes no arguments");
            return;
        }
        Ok(c.Tag, "Begin TLS negotiation now");
        // STYLE.md 8 and RFC 2595 §3.1: pipelined plaintext after STARTTLS is never run after TLS.
        if (!await connection.StartTlsAsync("STARTTLS"))
        {
            return;
        }
        // RFC 3501 §6.2.1: capabilities learnt before TLS are forgotten; the client asks again.
        framer = NewFramer();
    }

    private bool PlaintextRefused => tls is null && !site.Lab.Switches.AllowPlaintextAuth;

    private async Task LoginAsync(ImapCommand c)
    {
        if (PlaintextRefused)
        {
            // RFC 3501 §6.2.3: LOGINDISABLED is advertised, so this is a client error.
            No(c.Tag, "[PRIVACYREQUIRED] LOGIN is disabled before STARTTLS");
            return;
        }
        if (c.Arguments.Count != 2 || !c.Arguments[0].IsAString || !c.Arguments[1].IsAString)
        {
            Bad(c.Tag, "Syntax: LOGIN user password");
            return;
        }
        await CompleteLoginAsync(c.Tag, "LOGIN", c.Arguments[0].Text, c.Arguments[1].Text);
    }

    private async Task AuthenticateAsync(ImapCommand c)
    {
        if (c.Arguments.Count is < 1 or > 2 || c.Arguments[0].Kind != ImapValueKind.Atom)
        {
            Bad(c.Tag, "Syntax: AUTHENTICATE mechanism [initial-response]");
            return;
        }
        if (!c.Arguments[0].Text.Equals(SaslPlain.Name, StringComparison.OrdinalIgnoreCase))
        {
            No(c.Tag, "Unsupported authentication mechanism; use PLAIN");
            return;
        }
        if (PlaintextRefused)
        {
            No(c.Tag, "[PRIVACYREQUIRED] Authentication is disabled before STARTTLS");
            return;
        }
        string response;
        if (c.Arguments.Count == 2)
        {
            response = c.Arguments[1].Text; // SASL-IR (RFC 4959); "=" is an empty response
        }
        else
        {
            // RFC 3501 §6.2.2: an empty challenge, then one line of base64 from the client.
            Continuation("");
            var line = await ReadLineAsync();
            if (line is null)
            {
                return;
            }
            trace.Emit(TraceKind.CommandReceived, "C: " + trace.Secret(line), ("Line", trace.Secret(line)), ("Command", "AUTHENTICATE-DATA"), ("Tag", c.Tag));
            if (line == "*")
            {
                Bad(c.Tag, "Authentication cancelled"); // RFC 3501 §6.2.2
                return;
            }
            response = line;
        }
        if (!SaslPlain.TryParse(response == "=" ? "" : response, out var authzid, out var authcid, out var password))
        {
            Bad(c.Tag, "Cannot decode the PLAIN response");
            return;
        }
        if (authzid.Length > 0 && !authzid.Equals(authcid, StringComparison.OrdinalIgnoreCase))
        {
            // RFC 4616 §2: acting as someone else is an authorization decision; the lab allows none.
            No(c.Tag, "[AUTHORIZATIONFAILED] Authorization identity not permitted");
            return;
        }
        await CompleteLoginAsync(c.Tag, "PLAIN", authcid, password);
    }

    private async Task CompleteLoginAsync(string tag, string mechanism, string login, string password)
    {
        var found = site.Authenticate(login, password);
        if (found is null)
        {
            authFailures++;
            trace.Emit(TraceKind.AuthFailed, $"{mechanism} failed for {login} (password {trace.Secret(password)})",
                ("Mechanism", mechanism), ("Login", login), ("Password", trace.Secret(password)), ("Failures", authFailures));
            No(tag, "[AUTHENTICATIONFAILED] Invalid credentials"); // RFC 5530 §3
            if (authFailures >= limits.MaxAuthFailures)
            {
                Bye("Too many failed logins", "too many failed logins");
            }
            return;
        }
        var slot = users.TryAcquire(found.Address, limits.ImapConnectionsPerUser);
        if (slot is null)
        {
            trace.Emit(TraceKind.LimitExceeded, $"{found.Address} already has {limits.ImapConnectionsPerUser} IMAP sessions",
                ("Limit", "imap-connections-per-user"), ("Max", limits.ImapConnectionsPerUser), ("User", found.Address));
            No(tag, $"[LIMIT] Too many IMAP connections for {found.Address} (limit {limits.ImapConnectionsPerUser})");
            return;
        }
        userSlot = slot;
        user = found;
        state = ImapState.Authenticated;
        // Literals may now be as large as a message (APPEND).
        framer.MaxLiteral = limits.MaxMessageSize;
        trace.Emit(TraceKind.AuthSucceeded, $"{mechanism} succeeded: {found.Address}{(tls is null ? " (over plaintext!)" : "")}",
            ("Mechanism", mechanism), ("User", found.Address), ("Tls", tls is not null));
        await ImapSubscriptions.EnsureDefaultsAsync(store, found.Address, CancellationToken.None);
        trace.Emit(TraceKind.MailboxAccess, $"{found.Address} logged in", ("User", found.Address), ("Folder", null), ("Action", "login"));
        // RFC 3501 §6.2.3: the OK may carry the new capabilities.
        Ok(tag, $"[CAPABILITY {Capabilities()}] Logged in as {found.Address}");
    }

    /// <summary>Reads one raw line (an AUTHENTICATE response or IDLE's DONE); null when the client left.</summary>
    private async Task<string?> ReadLineAsync()
    {
        var frame = await ReadCommandAsync(commandWait!.Token);
        if (frame is null)
        {
            closing = true;
            return null;
        }
        return Encoding.UTF8.GetString(frame.Value.Span).TrimEnd('\r', '\n');
    }
}
