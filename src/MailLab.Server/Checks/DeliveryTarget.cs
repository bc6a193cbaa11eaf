using MailLab.Protocols.Smtp;
using MailLab.Server.Delivery;
using MailLab.Server.Trace;
using MailLab.Server.Lab;

namespace MailLab.Server.Checks;

/// <summary>
/// Where an accepted message goes: local recipients to the MDA, remote ones (authenticated submission
/// only) into the queue. Two-phase: the queue entry is prepared first and committed after the MDA, both
/// before the reply, so 250 means durable (RFC 5321 §4.1.1.4, §6.1) and a failure is 451 with nothing half-written.
/// </summary>
internal sealed class DeliveryTarget
{
    /// <summary>The one target every profile uses today.</summary>
    public static DeliveryTarget Instance { get; } = new();

    /// <summary>Delivers the message with the header fields added on top; returns the reply to give.</summary>
    public async Task<SmtpReply> DeliverAsync(ReceiveContext c)
    {
        var site = c.Site;
        var id = c.QueueId;
        var added = c.Added.ToString();
        var spool = c.Message.Content;
        var local = c.Recipients.Where(r => site.IsLocalDomain(LabNames.DomainOf(r))).ToList();
        // The spoof-dns attacker's MTA (no AUTH: never a submission) puts the victims' mail in its own mailbox.
        var captured = site.Capture is { } capture && c.User is null
            ? c.Recipients.Where(r => !site.IsLocalDomain(LabNames.DomainOf(r)) && capture.Takes(LabNames.DomainOf(r))).ToList()
            : [];
        if (captured.Count > 0 && !local.Contains(site.Capture!.Mailbox, StringComparer.OrdinalIgnoreCase)) local.Add(site.Capture.Mailbox);
        var remoteRcpts = c.Recipients.Where(r => !site.IsLocalDomain(LabNames.DomainOf(r)) && !captured.Contains(r)).ToList();
        Relay.PendingQueueEntry? queued = null;
        var stage = "queue";
        try
        {
            if (remoteRcpts.Count > 0)
            {
                queued = await c.Queue!.PrepareAsync(id, c.MailFrom, site.Name, c.Utf8, remoteRcpts, added, spool, c.Token, c.RequireTls);
            }
            if (local.Count > 0)
            {
                stage = "mda";
                await site.Mda.DeliverAsync(new AcceptedMessage(id, c.MailFrom, added, spool), local, c.Folder, c.Trace, c.Token);
                if (captured.Count > 0) TraceCapture(c, captured);
            }
            if (queued is not null)
            {
                stage = "queue";
                queued.Commit();
                c.Trace.As(TraceRole.QUEUE).Emit(TraceKind.QueueEntryAdded,
                    $"queued {id} for relay to {string.Join(", ", remoteRcpts.Select(r => $"<{r}>"))} ({queued.Entry.Size} octets)",
                    ("MailFrom", c.MailFrom), ("Recipients", remoteRcpts.ToArray()), ("Size", queued.Entry.Size),
                    ("Path", Path.Combine(c.Queue!.Directory, id)));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Store.StoreException)
        {
            queued?.Abort();
            if (stage == "queue")
            {
                c.Trace.As(TraceRole.QUEUE).Emit(TraceKind.DeliveryFailed, $"could not queue the message: {ex.Message}",
                    ("Recipients", remoteRcpts.ToArray()), ("Reason", ex.Message));
            }
            return new SmtpReply(451, "4.3.0", ["Local delivery failed, please try again later"]);
        }
        return new SmtpReply(250, "2.0.0", [$"Ok: queued as {id}"]);
    }

    private static void TraceCapture(ReceiveContext c, List<string> captured) =>
        c.Trace.AsLab(LabOrigin.Attack).As(TraceRole.ATTACKER).Emit(TraceKind.MailCaptured,
            $"{c.Site.Name} took mail for {string.Join(", ", captured.Select(r => $"<{r}>"))} that a forged MX sent here, into {c.Site.Capture!.Mailbox}",
            ("Recipients", captured.ToArray()), ("Mailbox", c.Site.Capture.Mailbox), ("MailFrom", c.MailFrom));
}
