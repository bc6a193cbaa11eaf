using MailLab.Protocols.Smtp;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>What a policy check decided: accept or not, the reply to give, and why (for the trace).</summary>
public sealed record PolicyDecision(bool Accepted, SmtpReply Reply, string Reason)
{
    /// <summary>An acceptance with its positive reply.</summary>
    public static PolicyDecision Accept(SmtpReply reply) => new(true, reply, "accepted");

    /// <summary>A refusal with its reply and reason.</summary>
    public static PolicyDecision Refuse(int code, string enhanced, string text, string reason) =>
        new(false, new SmtpReply(code, enhanced, [text]), reason);

    /// <summary>Traces this refusal as a PolicyRejected event at <paramref name="stage"/> (MAIL, RCPT, DATA).</summary>
    internal void TraceRefusal(TraceContext trace, string stage, string address) =>
        trace.Emit(TraceKind.PolicyRejected, $"{stage} <{address}> refused: {Reason} ({Reply.Code} {Reply.Enhanced})",
            ("Stage", stage), ("Address", address), ("Reason", Reason),
            ("Code", Reply.Code), ("Enhanced", Reply.Enhanced));
}
