using MailLab.Protocols.Imap;
using MailLab.Protocols.Sasl;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap.Commands;

/// <summary>LOGIN and AUTHENTICATE PLAIN (RFC 3501 §6.2.2, §6.2.3; RFC 4616, SASL-IR RFC 4959) in the not-authenticated state.</summary>
internal sealed class AuthCommands(ImapSession session) : ImapCommandGroup(session)
{
    private int authFailures;

    public async Task LoginAsync(ImapCommand c)
    {
        if (Session.PlaintextRefused)
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

    public async Task AuthenticateAsync(ImapCommand c)
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
        if (Session.PlaintextRefused)
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
            var line = await Session.ReadLineAsync();
            if (line is null)
            {
                return;
            }
            Trace.Emit(TraceKind.CommandReceived, "C: " + Trace.Secret(line), ("Line", Trace.Secret(line)), ("Command", "AUTHENTICATE-DATA"), ("Tag", c.Tag));
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
        var site = Session.Site;
        var found = site.Authenticate(login, password);
        if (found is null)
        {
            authFailures++;
            Trace.Emit(TraceKind.AuthFailed, $"{mechanism} failed for {login} (password {Trace.Secret(password)})",
                ("Mechanism", mechanism), ("Login", login), ("Password", Trace.Secret(password)), ("Failures", authFailures));
            No(tag, "[AUTHENTICATIONFAILED] Invalid credentials"); // RFC 5530 §3
            if (authFailures >= Limits.MaxAuthFailures)
            {
                Bye("Too many failed logins", "too many failed logins");
            }
            return;
        }
        var slot = Session.Users.TryAcquire(found.Address, Limits.ImapConnectionsPerUser);
        if (slot is null)
        {
            Trace.Emit(TraceKind.LimitExceeded, $"{found.Address} already has {Limits.ImapConnectionsPerUser} IMAP sessions",
                ("Limit", "imap-connections-per-user"), ("Max", Limits.ImapConnectionsPerUser), ("User", found.Address));
            No(tag, $"[LIMIT] Too many IMAP connections for {found.Address} (limit {Limits.ImapConnectionsPerUser})");
            return;
        }
        Session.LogIn(found, slot);
        Trace.Emit(TraceKind.AuthSucceeded, $"{mechanism} succeeded: {found.Address}{(Session.TlsActive ? "" : " (over plaintext!)")}",
            ("Mechanism", mechanism), ("User", found.Address), ("Tls", Session.TlsActive));
        await ImapSubscriptions.EnsureDefaultsAsync(Store, found.Address, CancellationToken.None);
        Trace.Emit(TraceKind.MailboxAccess, $"{found.Address} logged in", ("User", found.Address), ("Folder", null), ("Action", "login"));
        // RFC 3501 §6.2.3: the OK may carry the new capabilities.
        Ok(tag, $"[CAPABILITY {Session.Capabilities()}] Logged in as {found.Address}");
    }
}
