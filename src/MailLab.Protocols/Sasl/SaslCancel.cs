using MailLab.Protocols.Smtp;

namespace MailLab.Protocols.Sasl;

/// <summary>RFC 4954 §4: a client cancels an AUTH exchange by sending a line with a single "*".</summary>
public static class SaslCancel
{
    /// <summary>True when the response line is the cancel marker "*".</summary>
    public static bool IsCancel(string line) => line == "*";

    /// <summary>501 5.0.0 the server's reply to a cancelled exchange (RFC 4954 §4).</summary>
    public static SmtpReply Reply { get; } = new(501, "5.0.0", "Authentication cancelled");
}
