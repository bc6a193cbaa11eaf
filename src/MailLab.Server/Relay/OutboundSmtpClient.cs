using MailKit.Net.Smtp;
using MimeKit;

namespace MailLab.Server.Relay;

/// <summary>
/// MailKit's SMTP client, changed to record each RCPT answer instead of throwing at the first
/// refusal, because an MTA reports per recipient (RFC 5321 §3.3: some may be accepted, others not).
/// </summary>
internal sealed class OutboundSmtpClient : SmtpClient
{
    public OutboundSmtpClient(MailKit.IProtocolLogger logger) : base(logger)
    {
    }

    /// <summary>RCPT replies by recipient address.</summary>
    public Dictionary<string, SmtpResponse> RecipientReplies { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[mailbox.Address] = response;

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[mailbox.Address] = response;

    protected override void OnNoRecipientsAccepted(MimeMessage message) => throw new NoRecipientsAcceptedException();
}

/// <summary>Every RCPT was refused; the per-recipient replies say why.</summary>
internal sealed class NoRecipientsAcceptedException : Exception
{
    public NoRecipientsAcceptedException() : base("no recipient was accepted")
    {
    }
}
