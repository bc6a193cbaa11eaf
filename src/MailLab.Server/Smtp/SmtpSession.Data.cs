using MailLab.Protocols.Smtp;
using MailLab.Server.Checks;
using MailLab.Server.Delivery;
using MailLab.Server.Trace;
using MailLab.Server.Lab;

namespace MailLab.Server.Smtp;

// DATA (RFC 5321 §4.1.1.4): receive, check, add headers, deliver, and reply 250 only when durable.
internal sealed partial class SmtpSession
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

    // The receive path of one message, top to bottom: the view parsed once, the profile's checks (which
    // return values and may refuse), its header modifiers, its delivery target, the reply.
    private async Task AcceptAsync(Envelope env, MessageSpool spool)
    {
        var id = QueueId.New();
        var mtrace = trace.WithMessage(id);
        await using var message = new MessageView(spool);
        var headers = message.Headers;
        var envelopeDomain = LabNames.DomainOf(env.MailFrom);
        var mismatch = headers.FromDomain is not null && !string.Equals(headers.FromDomain, envelopeDomain, StringComparison.OrdinalIgnoreCase);
        // RFC 6409 §8: for an authenticated user the author is read as the receiver's DMARC reads it, once, for the trace and the rule.
        bool? fromIsUser = user is null || message.Author.Problem == MailAuth.Dmarc.FromProblem.Missing ? null
            : message.Author.Problem is null && string.Equals(message.Author.Address, user.Address, StringComparison.OrdinalIgnoreCase);
        // Envelope and header From side by side: the lecture's point that the client shows only the latter.
        mtrace.Emit(TraceKind.MessageReceived,
            $"message {id}: envelope MAIL FROM <{env.MailFrom}>, header From: {headers.From ?? "(none)"}{(mismatch ? "  <-- differ" : "")}; {message.Size} octets for {string.Join(", ", env.Recipients)}",
            ("MailFrom", env.MailFrom), ("HeaderFrom", headers.From), ("HeaderFromDomain", headers.FromDomain),
            ("EnvelopeDomain", envelopeDomain), ("FromMismatch", mismatch), ("Recipients", env.Recipients.ToArray()),
            ("Size", message.Size), ("Subject", headers.Subject), ("MessageId", headers.MessageId),
            ("Helo", helo), ("Client", remote.Address.ToString()), ("AuthenticatedUser", user?.Address), ("Tls", tls is not null),
            ("FromIsAuthenticatedUser", fromIsUser));

        var c = new ReceiveContext
        {
            Site = site, ProfileName = profile.Name, Client = remote.Address, Helo = helo ?? "", Esmtp = esmtp, User = user,
            Tls = tlsDetails, MailFrom = env.MailFrom, Recipients = env.Recipients, Utf8 = env.Utf8, RequireTls = env.RequireTls, QueueId = id, Queue = queue,
            Trace = mtrace, Token = idle.Token, Message = message, Results = env.Results,
        };
        var pipeline = profile.Receive;
        foreach (var check in pipeline.Checks)
        {
            if (await check.MessageAsync(c) is { } refusal)
            {
                Reply(refusal);
                return;
            }
        }
        foreach (var modifier in pipeline.Modifiers)
        {
            await modifier.ModifyAsync(c);
        }
        Reply(await pipeline.Target.DeliverAsync(c));
    }

    /// <summary>
    /// The profile's checks at MAIL time (SPF at the MTA): their results start the transaction's
    /// <see cref="CheckResults"/>; the first refusal ends it.
    /// </summary>
    private async Task<(CheckResults Results, PolicyDecision? Refusal)> CheckMailFromAsync(string mailFrom)
    {
        var results = new CheckResults();
        var c = new MailFromContext(site, remote.Address, helo ?? "", mailFrom, results, trace, commandWait?.Token ?? CancellationToken.None);
        foreach (var check in profile.Receive.Checks)
        {
            if (await check.MailFromAsync(c) is { } refusal) return (results, refusal);
        }
        return (results, null);
    }
}
