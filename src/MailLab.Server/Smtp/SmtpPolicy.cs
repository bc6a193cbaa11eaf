using MailLab.Protocols.Smtp;
using MailLab.Server.Checks;
using MailLab.Server.Lab;
using MailLab.Server.Sites;

namespace MailLab.Server.Smtp;

/// <summary>What the MAIL check sees.</summary>
internal sealed record SenderContext(LabSite Site, SmtpProfile Profile, UserDefinition? User, bool Tls, SmtpCommand Command, SmtpLimits Limits);

/// <summary>What the RCPT check sees; <paramref name="Queue"/>: the outbound queue, null when relaying to other domains is not available.</summary>
internal sealed record RecipientContext(LabSite Site, SmtpProfile Profile, UserDefinition? User, Envelope Envelope, string Path, SmtpCommand Command, SmtpLimits Limits,
    Relay.RelayQueue? Queue);

/// <summary>
/// The relay and submission rules as functions returning values: they never touch the socket.
/// Later checks (SPF at MAIL time) hook in here.
/// </summary>
internal static class SmtpPolicy
{
    /// <summary>Checks a MAIL command against the profile's rules.</summary>
    public static PolicyDecision CheckSender(SenderContext c)
    {
        var path = c.Command.Path ?? "";
        if (c.Profile.Submission && c.User is null)
        {
            return PolicyDecision.Refuse(530, "5.7.0", "Authentication required", "submission without AUTH"); // RFC 4954 §6
        }
        if (c.Command.DeclaredSize is { } size && size > c.Limits.MaxMessageSize)
        {
            // RFC 1870 §6.1: declared size over the fixed maximum (saturated by the parser, so 2^63 and up count too).
            return PolicyDecision.Refuse(552, "5.3.4", $"Message size exceeds fixed maximum message size ({c.Limits.MaxMessageSize})", "declared SIZE too large");
        }
        if (c.Command.PathIsUtf8 && !c.Command.Parameters.ContainsKey("SMTPUTF8"))
        {
            // RFC 6531 §3.5: a non-ASCII address needs the SMTPUTF8 parameter.
            return PolicyDecision.Refuse(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter", "UTF-8 path without SMTPUTF8");
        }
        if (c.Profile.Submission && !c.Site.Lab.Switches.AllowSenderForgery
            && path.Length > 0 && !path.Equals(c.User!.Address, StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6409 §8.1 lets the MSA check that the sender is the authenticated user's.
            return PolicyDecision.Refuse(553, "5.7.1", $"Sender address <{path}> not owned by user {c.User.Address}", "sender/login mismatch");
        }
        return PolicyDecision.Accept(new SmtpReply(250, "2.1.0", [$"Sender <{path}> OK"]));
    }

    /// <summary>Checks a RCPT command: no open relay, known local users only, recipient limit.</summary>
    public static PolicyDecision CheckRecipient(RecipientContext c)
    {
        if (c.Envelope.Recipients.Count >= c.Limits.MaxRecipients)
        {
            // RFC 5321 §4.5.3.1.10: 452 for too many recipients; the client sends the rest later.
            return PolicyDecision.Refuse(452, "4.5.3", "Too many recipients", "recipient limit");
        }
        if (c.Command.PathIsUtf8 && !c.Envelope.Utf8)
        {
            return PolicyDecision.Refuse(553, "5.6.7", "Non-ASCII address requires SMTPUTF8 in MAIL", "UTF-8 path without SMTPUTF8");
        }
        var domain = LabNames.DomainOf(c.Path);
        if (!c.Site.IsLocalDomain(domain))
        {
            if (c.Profile.Submission && c.User is not null)
            {
                if (c.Queue is null)
                {
                    return PolicyDecision.Refuse(451, "4.4.0", $"<{c.Path}>: relay to other domains is not available in this lab", "no outbound queue");
                }
                // RFC 6409 §3.3: an authenticated submission may go anywhere; the queue relays it.
                return PolicyDecision.Accept(new SmtpReply(250, "2.1.5", [$"Recipient <{c.Path}> OK (remote: will be relayed)"]));
            }
            if (!c.Profile.Submission && c.Site.Capture?.Takes(domain) == true)
            {
                // The spoof-dns attack: a forged MX brought this domain's mail here, and the attacker's MTA takes it.
                return PolicyDecision.Accept(new SmtpReply(250, "2.1.5", [$"Recipient <{c.Path}> OK"]));
            }
            // Never an open relay: mail for other domains needs an authenticated submission.
            return PolicyDecision.Refuse(554, "5.7.1", $"<{c.Path}>: Relay access denied", "relay denied");
        }
        if (!c.Site.HasMailbox(c.Path))
        {
            return PolicyDecision.Refuse(550, "5.1.1", $"<{c.Path}>: Recipient address rejected: user unknown", "unknown user");
        }
        return PolicyDecision.Accept(new SmtpReply(250, "2.1.5", [$"Recipient <{c.Path}> OK"]));
    }
}
