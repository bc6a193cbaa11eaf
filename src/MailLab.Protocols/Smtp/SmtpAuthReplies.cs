using MailLab.Protocols.Sasl;

namespace MailLab.Protocols.Smtp;

/// <summary>
/// The SMTP replies of an AUTH exchange (RFC 4954 §4) around the SASL mechanisms of
/// <see cref="MailLab.Protocols.Sasl"/>, which know nothing of SMTP: POP3 and IMAP use them too.
/// </summary>
public static class SmtpAuthReplies
{
    /// <summary>334 VXNlcm5hbWU6: LOGIN's first challenge (RFC 4954 §4: continuation replies have no enhanced code).</summary>
    public static SmtpReply Username { get; } = new(334, null, SaslLogin.UsernameChallenge);

    /// <summary>334 UGFzc3dvcmQ6: LOGIN's second challenge.</summary>
    public static SmtpReply Password { get; } = new(334, null, SaslLogin.PasswordChallenge);

    /// <summary>501 5.0.0: the reply to an exchange the client cancelled with "*" (RFC 4954 §4).</summary>
    public static SmtpReply Cancelled { get; } = new(501, "5.0.0", "Authentication cancelled");
}
