using MailKit.Net.Smtp;
using MailLab.Server.Trace;

namespace MailLab.Server.Relay;

/// <summary>
/// REQUIRETLS on the relay (RFC 8689 §4.2.1): a message received with REQUIRETLS goes on only over TLS,
/// with a certificate that verifies (here: chains to the lab CA and names the host), to a next hop that
/// offers REQUIRETLS itself; then MAIL carries REQUIRETLS on. Otherwise the message is not sent to this
/// hop; when no hop qualifies the recipients fail with 5.7.30 and the sender gets a bounce (RFC 8689 §5),
/// never a deferral. The <c>TLS-Required: No</c> header field (RFC 8689 §5) is not honoured: the lab relay
/// always applies its normal TLS choice to mail without REQUIRETLS, and mail with it never relaxes.
/// </summary>
internal static class RequireTlsPolicy
{
    /// <summary>
    /// Null when <paramref name="entry"/> may go to this hop (and then <paramref name="client"/> sends
    /// REQUIRETLS on), else the per-recipient 5.7.30 results, with a RelayAttempt event saying why.
    /// </summary>
    public static IReadOnlyList<AttemptResult>? Check(QueueEntry entry, SmtpClient client, bool verified, string host,
        IReadOnlyList<string> recipients, TraceContext trace)
    {
        if (!entry.RequireTls) return null;
        string? why = !client.IsSecure ? "the connection is not encrypted (no STARTTLS offered or it failed)"
            : !verified ? "its certificate does not verify"
            : !client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS) ? "it does not offer REQUIRETLS"
            : null;
        if (why is null)
        {
            client.RequireTLS = true; // MAIL FROM:<...> REQUIRETLS to the next hop (RFC 8689 §4.2.1)
            return null;
        }
        var reason = $"REQUIRETLS: not sent to {host}: {why} (RFC 8689 §4.2.1)";
        trace.Emit(TraceKind.RelayAttempt, reason, ("Step", "requiretls"), ("Host", host), ("Reason", reason));
        // RFC 8689 §5: 5.7.30, "REQUIRETLS support required".
        return recipients.Select(r => new AttemptResult(r, AttemptKind.Permanent, "550 5.7.30 REQUIRETLS support required", "5.7.30", reason, host)).ToList();
    }
}
