using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

/// <summary>
/// How one SMTP listener behaves. There is one SMTP session type; the MTA (relay) and the MSA
/// (submission) differ only in these options, like Postfix's one smtpd with per-port settings.
/// </summary>
internal sealed record SmtpProfile
{
    /// <summary>Short name shown in greetings and the listener table.</summary>
    public required string Name { get; init; }

    /// <summary>The role stamped on trace events.</summary>
    public required TraceRole Role { get; init; }

    /// <summary>
    /// Submission rules (RFC 6409): AUTH is offered and required before MAIL, the envelope sender
    /// must belong to the user, and missing Message-ID and Date are added (§8.2, §8.3).
    /// </summary>
    public bool Submission { get; init; }

    /// <summary>
    /// What this listener does with a message: its checks, header modifiers and delivery target, in order.
    /// The defaults have no DNS-backed stages; <see cref="LabRuntime"/> gives each site's profiles theirs.
    /// </summary>
    public Checks.ReceivePipeline Receive { get; init; } = Checks.ReceivePipeline.Mta(null);

    /// <summary>TLS from the first byte (RFC 8314 §3.3, port 465) instead of STARTTLS.</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>The inbound MTA profile (port 25): accepts mail for the site's own domains from anyone, no AUTH. ("Relay" names only the outbound queue, Relay/.)</summary>
    public static SmtpProfile Mta { get; } = new() { Name = "MTA", Role = TraceRole.MTA };

    /// <summary>The submission profile on 587 (STARTTLS) or 465 (implicit TLS).</summary>
    public static SmtpProfile SubmissionProfile(bool implicitTls) =>
        new() { Name = "MSA", Role = TraceRole.MSA, Submission = true, ImplicitTls = implicitTls, Receive = Checks.ReceivePipeline.Msa(null) };
}
