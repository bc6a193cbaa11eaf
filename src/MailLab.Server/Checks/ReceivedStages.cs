using MailLab.Server.Delivery;
using MailLab.Server.Trace;
using MimeKit.Utils;

namespace MailLab.Server.Checks;

/// <summary>RFC 7208 §9.1: Received-SPF, a trace field prepended above the Received field this receiver adds.</summary>
internal sealed class ReceivedSpfStage : HeaderModifier
{
    /// <inheritdoc />
    public override Task ModifyAsync(ReceiveContext c)
    {
        if (c.Results.Spf is { Ran: true } spf) c.AddHeader("Received-SPF", spf.MailFrom.ToReceivedSpfValue());
        return Task.CompletedTask;
    }
}

/// <summary>RFC 5321 §4.4: the Received field of this hop (written by <see cref="ReceivedHeader"/>).</summary>
internal sealed class ReceivedStage : HeaderModifier
{
    /// <inheritdoc />
    public override Task ModifyAsync(ReceiveContext c)
    {
        var received = ReceivedHeader.Format(new ReceivedInfo(
            c.Helo, c.Client, c.Host, $"MailLab {c.ProfileName}", c.Esmtp, c.User is not null, c.Utf8,
            c.Tls, c.QueueId, c.Recipients.Count == 1 ? c.Recipients[0] : null, DateTimeOffset.Now));
        c.Added.Append(received);
        c.Trace.Emit(TraceKind.HeaderAdded, received.TrimEnd().Replace("\r\n\t", " "), ("Header", "Received"), ("Value", received[10..].TrimEnd()));
        return Task.CompletedTask;
    }
}

/// <summary>RFC 6409 §8.3 and §8.2: the MSA adds a missing Message-ID and Date.</summary>
internal sealed class SubmissionHeadersStage : HeaderModifier
{
    /// <inheritdoc />
    public override Task ModifyAsync(ReceiveContext c)
    {
        var headers = c.Message.Headers;
        if (headers.MessageId is null) c.AddHeader("Message-ID", $"<{c.QueueId}.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}@{c.Host}>", " (was missing)");
        if (headers.Date is null) c.AddHeader("Date", DateUtils.FormatDate(DateTimeOffset.Now), " (was missing)");
        return Task.CompletedTask;
    }
}
