using MailLab.Server.Lab;

namespace MailLab.Server.Relay;

/// <summary>The result of one attempt for one recipient.</summary>
/// <param name="Address">The recipient.</param>
/// <param name="Kind">Delivered, temporary or permanent.</param>
/// <param name="Reply">The reply that decided it ("250 2.0.0 Ok", "550 5.1.1 ...", or ours for DNS/connection failures).</param>
/// <param name="Status">The enhanced status code (RFC 3463).</param>
/// <param name="Reason">Readable reason for the trace and the queue listing.</param>
/// <param name="RemoteMta">The host that answered, if one did.</param>
internal sealed record AttemptResult(string Address, AttemptKind Kind, string Reply, string Status, string Reason, string? RemoteMta);

/// <summary>What one attempt found for a recipient.</summary>
public enum AttemptKind
{
    /// <summary>2xx: delivered to the next hop.</summary>
    Delivered,

    /// <summary>4xx, no connection, DNS temporary error: defer.</summary>
    Temporary,

    /// <summary>5xx, NXDOMAIN, null MX: fail and bounce.</summary>
    Permanent,
}

/// <summary>
/// Backoff and expiry (RFC 5321 §4.5.4.1: retry after a delay, give up after a lifetime), with the
/// lab's short intervals so students see a retry within a lesson.
/// </summary>
internal static class RetrySchedule
{
    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt (1-based); the last interval repeats.</summary>
    public static TimeSpan Delay(RelaySettings settings, int attempts) =>
        settings.RetryIntervals[Math.Clamp(attempts - 1, 0, settings.RetryIntervals.Count - 1)];

    /// <summary>Records an attempt's result on the recipient: delivered, failed, deferred, or failed by expiry.</summary>
    public static void Apply(QueueRecipient r, AttemptResult result, QueueEntry entry, RelaySettings settings, DateTimeOffset now)
    {
        r.Attempts++;
        r.LastAttempt = now;
        r.Reply = result.Reply;
        r.Status = result.Status;
        r.Reason = result.Reason;
        r.RemoteMta = result.RemoteMta;
        r.NextAttempt = null;
        switch (result.Kind)
        {
            case AttemptKind.Delivered:
                r.State = RecipientState.Delivered;
                break;
            case AttemptKind.Permanent:
                r.State = RecipientState.Failed;
                break;
            default:
                var expires = entry.Created + settings.QueueLifetime;
                if (now >= expires)
                {
                    // RFC 3463 4.4.7: delivery time expired; the DSN keeps the last reply as diagnostic.
                    r.State = RecipientState.Failed;
                    r.Status = "4.4.7";
                    r.Reason = $"queue lifetime ({settings.QueueLifetime}) expired; last error: {result.Reason}";
                    break;
                }
                r.State = RecipientState.Deferred;
                var next = now + Delay(settings, r.Attempts);
                // One last try when the lifetime runs out, rather than never.
                r.NextAttempt = next < expires ? next : expires;
                break;
        }
    }
}
