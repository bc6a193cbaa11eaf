using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailLab.Server.Relay;

/// <summary>Where one recipient of a queued message stands (Postfix / Stalwart style status values).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RecipientState>))]
public enum RecipientState
{
    /// <summary>Waiting for its first attempt.</summary>
    Scheduled,

    /// <summary>The next hop answered 2xx: done.</summary>
    Delivered,

    /// <summary>A temporary failure (4xx, no connection, DNS temperror): retried later.</summary>
    Deferred,

    /// <summary>A permanent failure (5xx, NXDOMAIN, null MX, expiry): bounced to the sender.</summary>
    Failed,
}

/// <summary>One recipient's status in a queue entry.</summary>
public sealed class QueueRecipient
{
    /// <summary>The forward-path.</summary>
    public required string Address { get; init; }

    /// <summary>Where it stands.</summary>
    public RecipientState State { get; set; } = RecipientState.Scheduled;

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When the last attempt was made.</summary>
    public DateTimeOffset? LastAttempt { get; set; }

    /// <summary>When a deferred recipient is tried next.</summary>
    public DateTimeOffset? NextAttempt { get; set; }

    /// <summary>Why it was deferred or failed (readable).</summary>
    public string? Reason { get; set; }

    /// <summary>The remote reply ("550 5.1.1 ...") or our own equivalent for DNS and connection failures.</summary>
    public string? Reply { get; set; }

    /// <summary>The enhanced status code (RFC 3463) of the outcome, for the DSN's Status field.</summary>
    public string? Status { get; set; }

    /// <summary>The host that gave the reply, when one did.</summary>
    public string? RemoteMta { get; set; }

    /// <summary>Whether this recipient still needs an attempt.</summary>
    [JsonIgnore]
    public bool Pending => State is RecipientState.Scheduled or RecipientState.Deferred;
}

/// <summary>
/// The envelope and status of one queued message, stored as <c>envelope.json</c> beside the content
/// (<c>message.eml</c>) in <c>&lt;data&gt;/queue/&lt;id&gt;/</c>.
/// </summary>
public sealed class QueueEntry
{
    /// <summary>The queue id (the same as in the accepting hop's 250 reply and Received line).</summary>
    public required string Id { get; init; }

    /// <summary>The envelope sender; empty for the null sender.</summary>
    public required string MailFrom { get; init; }

    /// <summary>The site that accepted the message and sends it on.</summary>
    public required string Site { get; init; }

    /// <summary>When the message was accepted.</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>Whether the message was received with SMTPUTF8.</summary>
    public bool Utf8 { get; init; }

    /// <summary>Whether the message was received with REQUIRETLS (RFC 8689): relayed only over verified TLS to a hop that offers it.</summary>
    public bool RequireTls { get; init; }

    /// <summary>Whether the message is a TLS report (RFC 8460 §5.3): delivered despite TLS policy failures, and not counted in the next report.</summary>
    public bool TlsReport { get; init; }

    /// <summary>Content size in octets.</summary>
    public long Size { get; init; }

    /// <summary>Set once the bounce for the failed recipients was delivered, so a restart never sends it twice.</summary>
    public bool DsnSent { get; set; }

    /// <summary>Per-recipient status, in envelope order.</summary>
    public required List<QueueRecipient> Recipients { get; init; }

    /// <summary>Whether any recipient still needs an attempt.</summary>
    [JsonIgnore]
    public bool HasPending => Recipients.Any(r => r.Pending);

    /// <summary>The earliest time a pending recipient may be tried, or null when none is pending.</summary>
    [JsonIgnore]
    public DateTimeOffset? NextDue => Recipients.Where(r => r.Pending)
        .Select(r => r.State == RecipientState.Scheduled ? DateTimeOffset.MinValue : r.NextAttempt ?? DateTimeOffset.MinValue)
        .DefaultIfEmpty(DateTimeOffset.MaxValue).Min() is var due && due == DateTimeOffset.MaxValue ? null : due;

    /// <summary>The JSON form written to envelope.json.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, QueueEntryJson.Default.QueueEntry);

    /// <summary>Reads envelope.json text; null when it is not a valid entry.</summary>
    public static QueueEntry? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, QueueEntryJson.Default.QueueEntry);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
