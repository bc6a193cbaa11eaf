using System.Text;
using MailLab.Protocols.Smtp;
using MailLab.Server.Delivery;
using MailLab.Server.Trace;
using MimeKit.Utils;

namespace MailLab.Server.Smtp;

// DATA (RFC 5321 §4.1.1.4): receive, check, add headers, deliver, and reply 250 only when durable.
public sealed partial class SmtpSession
{
    private async Task DataAsync()
    {
        var env = envelope!;
        Reply(354, null, "End data with <CR><LF>.<CR><LF>");
        await FlushAsync();

        var data = new SmtpDataReader(protocolLimits.MaxMessageSize, protocolLimits.MaxTextLine);
        await using var spool = new MessageSpool(site.Mda.SpoolDirectory);
        // Each text line must be complete within command-timeout (the timer is set again only when a line
        // ended since it was last set), and the session deadline holds inside DATA too (issue 20).
        long linesAtArm = -1;
        while (true)
        {
            if (!reader.TryRead(out var result))
            {
                if (data.Lines != linesAtArm)
                {
                    ArmClientWait();
                    linesAtArm = data.Lines;
                }
                // A message in transit is finished even while the lab shuts down; only the timers end it.
                result = await reader.ReadAsync(idle.Token);
            }
            var buffer = result.Buffer;
            var status = data.Read(ref buffer, spool);
            await spool.FlushAsync(idle.Token);
            if (status == DataStatus.Complete)
            {
                reader.AdvanceTo(buffer.Start);
                break;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                closing = true;
                closeReason = "connection lost during DATA; message discarded";
                trace.Emit(TraceKind.MessageRejected, "connection lost during DATA: nothing was delivered",
                    ("Reason", "connection lost"), ("Size", data.Size));
                return;
            }
        }

        envelope = null;
        state = SmtpState.Greeted;
        // Checking and delivering the message is the server's work, not a wait on the client: it gets a
        // command timeout of its own, even past the session deadline (the 250 must not be lost).
        deadlineArmed = false;
        idle.CancelAfter(limits.CommandTimeout);
        var refusal = ContentRefusal(data);
        if (refusal is not null)
        {
            trace.Emit(TraceKind.MessageRejected, $"message refused: {refusal.Value.Reason}",
                ("Reason", refusal.Value.Reason), ("Size", data.Size), ("Code", refusal.Value.Reply.Code));
            Reply(refusal.Value.Reply);
            return;
        }
        await AcceptAsync(env, spool);
    }

    private (SmtpReply Reply, string Reason)? ContentRefusal(SmtpDataReader data)
    {
        if (data.TooLarge)
        {
            trace.Emit(TraceKind.LimitExceeded, $"message over {protocolLimits.MaxMessageSize} octets",
                ("Limit", "message-size"), ("Max", protocolLimits.MaxMessageSize));
            return (new SmtpReply(552, "5.3.4", ["Message size exceeds fixed maximum message size"]), "too large"); // RFC 1870 §6.3
        }
        if (data.BareLineEnding)
        {
            // RFC 5321 §2.3.8: CR and LF only as CRLF. Refusing (not repairing) closes the door on
            // SMTP smuggling, where another server sees a different end of data than we do.
            return (SmtpReply.BareLineEndingRejected, "bare CR or LF");
        }
        if (data.LineTooLong)
        {
            trace.Emit(TraceKind.LimitExceeded, $"text line over {protocolLimits.MaxTextLine} octets",
                ("Limit", "text-line"), ("Max", protocolLimits.MaxTextLine));
            return (new SmtpReply(550, "5.6.0", [$"Message has a line longer than {protocolLimits.MaxTextLine} octets (RFC 5321 4.5.3.1.6)"]), "text line too long");
        }
        return null;
    }

    private async Task AcceptAsync(Envelope env, MessageSpool spool)
    {
        var id = QueueId.New();
        var mtrace = trace.WithMessage(id);
        var headers = HeaderSummary.Read(spool);
        var envelopeDomain = DomainOf(env.MailFrom);
        var mismatch = headers.FromDomain is not null && !string.Equals(headers.FromDomain, envelopeDomain, StringComparison.OrdinalIgnoreCase);
        // RFC 6409 §8: at the MSA the author is read as the receiver's DMARC reads it, once, for the trace and the rule.
        var author = profile.Submission ? MailAuth.Dmarc.FromExtractor.Extract(spool.Head(MailAuth.Dmarc.FromExtractor.MaxHeaderBytes).Span) : null;
        bool? fromIsUser = author is null || user is null || author.Problem == MailAuth.Dmarc.FromProblem.Missing ? null
            : author.Problem is null && string.Equals(author.Address, user.Address, StringComparison.OrdinalIgnoreCase);
        // Envelope and header From side by side: the lecture's point that the client shows only the latter.
        mtrace.Emit(TraceKind.MessageReceived,
            $"message {id}: envelope MAIL FROM <{env.MailFrom}>, header From: {headers.From ?? "(none)"}{(mismatch ? "  <-- differ" : "")}; {spool.Length} octets for {string.Join(", ", env.Recipients)}",
            ("MailFrom", env.MailFrom), ("HeaderFrom", headers.From), ("HeaderFromDomain", headers.FromDomain),
            ("EnvelopeDomain", envelopeDomain), ("FromMismatch", mismatch), ("Recipients", env.Recipients.ToArray()),
            ("Size", spool.Length), ("Subject", headers.Subject), ("MessageId", headers.MessageId),
            ("Helo", helo), ("Client", remote.Address.ToString()), ("AuthenticatedUser", user?.Address), ("Tls", tls is not null),
            ("FromIsAuthenticatedUser", fromIsUser));

        if (author is not null)
        {
            // RFC 6409 §8: the envelope check alone would let alice have carol's From signed for uc.test.
            var fromDecision = SmtpPolicy.CheckHeaderFrom(new HeaderFromContext(site, profile, user, author));
            if (!fromDecision.Accepted)
            {
                TraceRefusal("DATA", author.Address ?? author.FieldValue ?? "", fromDecision, mtrace);
                Reply(fromDecision.Reply);
                return;
            }
        }

        env.Dkim = await CheckDkimAsync(spool, mtrace);
        // DMARC takes the DKIM results as plain values: d=, verdict, s= per signature.
        var dkim = DkimInputs(env.Dkim);
        var dmarc = await CheckDmarcAsync(env, spool, dkim, mtrace);
        if (dmarc?.Refusal is { } refusal)
        {
            mtrace.Emit(TraceKind.MessageRejected, $"message refused: {refusal.Reply.Lines[0]}",
                ("Reason", refusal.Reason), ("Size", spool.Length), ("Code", refusal.Reply.Code));
            Reply(refusal.Reply);
            return;
        }

        var added = new StringBuilder();
        var original = spool;
        spool = await AuthenticationHeadersAsync(env, spool, dmarc, dkim, added, mtrace);
        try
        {
            await DeliverAsync(env, spool, id, mtrace, added, headers, dmarc?.Folder ?? "INBOX");
        }
        finally
        {
            if (!ReferenceEquals(spool, original)) await spool.DisposeAsync();
        }
    }

    private async Task DeliverAsync(Envelope env, MessageSpool spool, string id, TraceContext mtrace, StringBuilder added,
        HeaderSummary headers, string folder)
    {
        if (env.Spf is { Ran: true } spf)
        {
            // RFC 7208 §9.1: Received-SPF is a trace field, prepended above the Received field this receiver adds.
            var value = spf.MailFrom.ToReceivedSpfValue();
            added.Append("Received-SPF: ").Append(value).Append("\r\n");
            mtrace.Emit(TraceKind.HeaderAdded, $"Received-SPF: {value}", ("Header", "Received-SPF"), ("Value", value));
        }
        var received = ReceivedHeader.Format(new ReceivedInfo(
            helo ?? "", remote.Address, Host, $"MailLab {profile.Name}", esmtp, user is not null, env.Utf8,
            tlsDetails, id, env.Recipients.Count == 1 ? env.Recipients[0] : null, DateTimeOffset.Now));
        added.Append(received);
        mtrace.Emit(TraceKind.HeaderAdded, received.TrimEnd().Replace("\r\n\t", " "), ("Header", "Received"), ("Value", received[10..].TrimEnd()));
        if (profile.Submission)
        {
            // RFC 6409 §8.3 and §8.2: the MSA may add a missing Message-ID and Date.
            if (headers.MessageId is null) AddHeader(added, mtrace, "Message-ID", $"<{id}.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}@{Host}>");
            if (headers.Date is null) AddHeader(added, mtrace, "Date", DateUtils.FormatDate(DateTimeOffset.Now));
            // DKIM signing is the last header change (RFC 6376 §5): the signatures go on top.
            added.Insert(0, await SignDkimAsync(env, headers, added.ToString(), spool, mtrace));
        }

        // Local recipients go to the MDA, remote ones (authenticated submission only) into the queue;
        // the queue entry is prepared first and committed after the MDA, both before the 250.
        var local = env.Recipients.Where(r => site.IsLocalDomain(DomainOf(r))).ToList();
        var remoteRcpts = env.Recipients.Where(r => !site.IsLocalDomain(DomainOf(r))).ToList();
        Relay.PendingQueueEntry? queued = null;
        var stage = "queue";
        try
        {
            if (remoteRcpts.Count > 0)
            {
                queued = await queue!.PrepareAsync(id, env.MailFrom, site.Name, env.Utf8, remoteRcpts, added.ToString(), spool, idle.Token);
            }
            if (local.Count > 0)
            {
                stage = "mda";
                await site.Mda.DeliverAsync(new AcceptedMessage(id, env.MailFrom, added.ToString(), spool),
                    local, folder, mtrace, idle.Token);
            }
            if (queued is not null)
            {
                stage = "queue";
                queued.Commit();
                mtrace.As(TraceRole.QUEUE).Emit(TraceKind.QueueEntryAdded,
                    $"queued {id} for relay to {string.Join(", ", remoteRcpts.Select(r => $"<{r}>"))} ({queued.Entry.Size} octets)",
                    ("MailFrom", env.MailFrom), ("Recipients", remoteRcpts.ToArray()), ("Size", queued.Entry.Size),
                    ("Path", Path.Combine(queue!.Directory, id)));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Store.StoreException)
        {
            queued?.Abort();
            if (stage == "queue")
            {
                mtrace.As(TraceRole.QUEUE).Emit(TraceKind.DeliveryFailed, $"could not queue the message: {ex.Message}",
                    ("Recipients", remoteRcpts.ToArray()), ("Reason", ex.Message));
            }
            Reply(451, "4.3.0", "Local delivery failed, please try again later");
            return;
        }
        Reply(250, "2.0.0", $"Ok: queued as {id}");
    }

    private static void AddHeader(StringBuilder added, TraceContext trace, string name, string value)
    {
        added.Append(name).Append(": ").Append(value).Append("\r\n");
        trace.Emit(TraceKind.HeaderAdded, $"{name}: {value} (was missing)", ("Header", name), ("Value", value));
    }
}
