using System.Text;
using MailLab.Protocols.Sasl;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

// AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms, on the submission profile only.
internal sealed partial class SmtpSession
{
    private async Task AuthAsync(SmtpCommand command)
    {
        if (!profile.Submission)
        {
            Error(502, "5.5.1", "AUTH is not available on the MTA; submit mail through the MSA");
            return;
        }
        if (user is not null)
        {
            Error(503, "5.5.1", "Already authenticated"); // RFC 4954 §4
            return;
        }
        if (tls is null && !site.Lab.Switches.AllowPlaintextAuth)
        {
            // RFC 3207 §4: the reply for a command that needs TLS first.
            Error(530, "5.7.0", "Must issue a STARTTLS command first");
            return;
        }
        var mechanism = (command.Mechanism ?? "").ToUpperInvariant();
        if (mechanism is not ("PLAIN" or "LOGIN"))
        {
            Error(504, "5.5.4", "Unrecognized authentication type; use PLAIN or LOGIN");
            return;
        }
        var credentials = mechanism == "PLAIN"
            ? await PlainAsync(command.InitialResponse)
            : await LoginAsync(command.InitialResponse);
        if (closing || credentials is null)
        {
            return; // cancelled or malformed: the reply is already queued
        }
        var (login, password) = credentials.Value;
        var found = site.Authenticate(login!, password!);
        if (found is null)
        {
            authFailures++;
            trace.Emit(TraceKind.AuthFailed, $"AUTH {mechanism} failed for {login} (password {trace.Secret(password!)})",
                ("Mechanism", mechanism), ("Login", login), ("Password", trace.Secret(password!)), ("Failures", authFailures));
            if (authFailures >= limits.MaxAuthFailures)
            {
                Close(421, "4.7.0", $"{Host} Too many failed authentications, closing connection", "too many failed AUTH attempts");
                return;
            }
            Error(535, "5.7.8", "Authentication credentials invalid"); // RFC 4954 §6
            return;
        }
        user = found;
        trace.Emit(TraceKind.AuthSucceeded, $"AUTH {mechanism} succeeded: {found.Address}{(tls is null ? " (over plaintext!)" : "")}",
            ("Mechanism", mechanism), ("User", found.Address), ("Tls", tls is not null));
        Reply(235, "2.7.0", "Authentication successful");
    }

    private async Task<(string?, string?)?> PlainAsync(string? initial)
    {
        var response = initial ?? await ChallengeAsync("");
        if (response is null) return null;
        if (!SaslPlain.TryParse(response == "=" ? "" : response, out var authzid, out var authcid, out var password))
        {
            Error(501, "5.5.2", "Cannot decode AUTH PLAIN response");
            return null;
        }
        if (authzid.Length > 0 && !authzid.Equals(authcid, StringComparison.OrdinalIgnoreCase))
        {
            // RFC 4616 §2: acting as another identity is an authorization decision; the lab allows none.
            Error(535, "5.7.8", "Authorization identity not permitted");
            return null;
        }
        return (authcid, password);
    }

    private async Task<(string?, string?)?> LoginAsync(string? initial)
    {
        var loginB64 = initial ?? await ChallengeAsync(SaslLogin.UsernameChallenge);
        if (loginB64 is null) return null;
        var passwordB64 = await ChallengeAsync(SaslLogin.PasswordChallenge);
        if (passwordB64 is null) return null;
        if (!TryBase64(loginB64, out var login) || !TryBase64(passwordB64, out var password))
        {
            Error(501, "5.5.2", "Cannot decode AUTH LOGIN response");
            return null;
        }
        return (login, password);
    }

    /// <summary>Sends a 334 challenge and reads the client's line; null if cancelled or gone.</summary>
    private async Task<string?> ChallengeAsync(string challenge)
    {
        Reply(334, null, challenge);
        // RFC 4954 §4: response lines may be up to 12288 octets, longer than a command line.
        var (status, line) = await connection.ReadLineAsync(protocolLimits.MaxAuthLine);
        if (status is null)
        {
            closing = true;
            return null;
        }
        if (status == FrameStatus.LineTooLong)
        {
            Error(500, "5.5.6", "Line too long");
            return null;
        }
        TraceSecretLine(line);
        if (SaslCancel.IsCancel(line))
        {
            Error(SmtpAuthReplies.Cancelled); // RFC 4954 §4
            return null;
        }
        return line;
    }

    private static bool TryBase64(string text, out string value)
    {
        value = "";
        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var n)) return false;
        value = Encoding.UTF8.GetString(bytes, 0, n);
        return true;
    }
}
