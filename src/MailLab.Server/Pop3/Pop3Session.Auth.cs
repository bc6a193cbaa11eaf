using MailLab.Protocols.Pop3;
using MailLab.Protocols.Sasl;
using MailLab.Protocols.Text;
using MailLab.Server.Lab;
using MailLab.Server.Trace;

namespace MailLab.Server.Pop3;

// Logging in: USER/PASS and APOP (RFC 1939 §7), AUTH PLAIN (RFC 5034, RFC 4616); then the maildrop
// is locked (RFC 1939 §8) and its snapshot taken.
internal sealed partial class Pop3Session
{
    private const string PlaintextRefused = "Plaintext login is disabled: send STLS first (lab switch allow-plaintext-auth)";

    private bool UserCommand(Pop3Command command)
    {
        if (!PlainLoginAllowed)
        {
            return Error(Pop3Reply.Negative(PlaintextRefused, Pop3RespCode.Auth));
        }
        // RFC 1939 §7 allows -ERR for an unknown name, but that tells an attacker which names exist.
        userName = command.Argument!;
        return Ok("send PASS");
    }

    private async Task<bool> PassAsync(Pop3Command command)
    {
        var login = userName!;
        var password = command.Argument!;
        return await LoginAsync("USER", login, site.Authenticate(login, password), password);
    }

    private async Task<bool> ApopAsync(Pop3Command command)
    {
        if (connection.Tls is null && !site.Lab.Switches.EnableApop)
        {
            return Error(Pop3Reply.Negative("APOP is disabled before STLS (lab switch enable-apop)", Pop3RespCode.Auth));
        }
        var (login, digest) = (command.Arguments[0], command.Arguments[1]);
        var found = site.FindUser(login);
        // The same work whether or not the user exists, so timing does not tell.
        var ok = Pop3Apop.Verify(timestamp, found?.Password ?? "\0no-such-user", digest);
        return await LoginAsync("APOP", login, ok ? found : null, digest);
    }

    private async Task<bool> AuthAsync(Pop3Command command)
    {
        if (!PlainLoginAllowed)
        {
            return Error(Pop3Reply.Negative(PlaintextRefused, Pop3RespCode.Auth));
        }
        if (!command.Arguments[0].Equals(SaslPlain.Name, StringComparison.OrdinalIgnoreCase))
        {
            return Error(Pop3Reply.Negative("Unrecognized authentication mechanism; use PLAIN")); // RFC 5034 §4
        }
        var response = command.Arguments.Count > 1 ? command.Arguments[1] : await ChallengeAsync();
        if (response is null)
        {
            return false; // cancelled, too long or gone: the reply is queued
        }
        // RFC 5034 §4: "=" is an empty initial response.
        if (!SaslPlain.TryParse(response == "=" ? "" : response, out var authzid, out var authcid, out var password))
        {
            return Error(Pop3Reply.Negative("Cannot decode AUTH PLAIN response"));
        }
        if (authzid.Length > 0 && !authzid.Equals(authcid, StringComparison.OrdinalIgnoreCase))
        {
            // RFC 4616 §2: acting as another identity is an authorization decision; the lab allows none.
            return Error(Pop3Reply.Negative("Authorization identity not permitted", Pop3RespCode.Auth));
        }
        return await LoginAsync("PLAIN", authcid, site.Authenticate(authcid, password), password);
    }

    /// <summary>Sends the empty "+ " continuation (RFC 5034 §4) and reads the client's line; null if cancelled or gone.</summary>
    private async Task<string?> ChallengeAsync()
    {
        System.Buffers.BuffersExtensions.Write(connection.Output, "+ \r\n"u8);
        trace.Emit(TraceKind.ReplySent, "S: + ", ("Status", "+"), ("RespCode", null), ("ReplyText", ""));
        var (status, line) = await connection.ReadLineAsync(Pop3Limits.MaxAuthLine);
        if (status is null)
        {
            connection.Closing = true;
            return null;
        }
        if (status == FrameStatus.LineTooLong)
        {
            Error(Pop3Reply.Negative("Line too long"));
            return null;
        }
        TraceSecretLine(line);
        if (SaslCancel.IsCancel(line))
        {
            Error(Pop3Reply.Negative("Authentication cancelled")); // RFC 5034 §4
            return null;
        }
        return line;
    }

    /// <summary>Ends a login attempt: a counted, delayed failure, or the lock and the snapshot.</summary>
    private async Task<bool> LoginAsync(string mechanism, string login, UserDefinition? found, string secret)
    {
        if (found is null)
        {
            authFailures++;
            trace.Emit(TraceKind.AuthFailed, $"{mechanism} login failed for {login} (secret {trace.Secret(secret)})",
                ("Mechanism", mechanism), ("Login", login), ("User", login), ("Password", trace.Secret(secret)), ("Failures", authFailures));
            // A delay per failure slows password guessing; the limit ends the session, [AUTH] per RFC 3206 §5.
            await FlushAsync();
            await Task.Delay(limits.AuthFailureDelay, connection.CommandToken);
            if (authFailures >= limits.MaxAuthFailures)
            {
                trace.Emit(TraceKind.LimitExceeded, $"{authFailures} failed logins: closing",
                    ("Limit", "max-auth-failures"), ("Max", limits.MaxAuthFailures));
                Close(Pop3Reply.Negative("Too many failed logins, closing connection", Pop3RespCode.Auth), "too many failed logins");
                return false;
            }
            return Error(Pop3Reply.Negative("Authentication failed", Pop3RespCode.Auth)); // RFC 3206 §5
        }
        trace.Emit(TraceKind.AuthSucceeded, $"{mechanism} login succeeded: {found.Address}{(connection.Tls is null ? " (over plaintext!)" : "")}",
            ("Mechanism", mechanism), ("User", found.Address), ("Tls", connection.Tls is not null));

        var maildropPath = Store.MailboxPath(found.Address, "INBOX");
        if (MaildropLocks.TryAcquire(maildropPath, lockOwner) is { } holder)
        {
            trace.Emit(TraceKind.MailboxAccess, $"maildrop of {found.Address} is locked by session {holder.Split('/')[0]}",
                ("User", found.Address), ("Folder", "INBOX"), ("Action", "login-refused"), ("Reason", "maildrop in use"));
            // RFC 2449 §8.1.2 and RFC 1939 §8: the second session is refused, back to AUTHORIZATION.
            return Error(Pop3Reply.Negative("Maildrop already locked by another session", Pop3RespCode.InUse));
        }
        lockedMaildrop = maildropPath;
        try
        {
            if (await MaildropUpdate.RecoverAsync(Store, maildropPath, found.Address, connection.CommandToken) is > 0 and var finished)
            {
                trace.Emit(TraceKind.MailboxAccess, $"finished an interrupted UPDATE of {found.Address}: {finished} messages removed",
                    ("User", found.Address), ("Folder", "INBOX"), ("Action", "delete"), ("Messages", finished));
            }
            maildrop = new Maildrop(await Store.ListAsync(found.Address, "INBOX", connection.CommandToken));
        }
        catch (IOException ex)
        {
            ReleaseLock();
            trace.Emit(TraceKind.InternalError, $"cannot read the maildrop of {found.Address}: {ex.Message}", ("Error", ex.Message));
            return Error(Pop3Reply.Negative("Cannot open the maildrop, try again later", Pop3RespCode.SysTemp));
        }
        user = found;
        var (count, octets) = maildrop.Stat();
        trace.Emit(TraceKind.MailboxAccess, $"{found.Address} logged in: INBOX locked, {count} messages ({octets} octets)",
            ("User", found.Address), ("Folder", "INBOX"), ("Action", "login"), ("Messages", count), ("Octets", octets));
        return Ok($"{found.Address} has {count} messages ({octets} octets), maildrop locked and ready");
    }
}
