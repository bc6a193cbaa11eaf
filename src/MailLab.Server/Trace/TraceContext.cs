namespace MailLab.Server.Trace;

/// <summary>
/// Stamps site, role, session and (once known) message id on every event, so that code in a
/// session says only what happened.
/// </summary>
public sealed record TraceContext(Tracer Tracer, string Site, TraceRole Role, string? Session, string? Message)
{
    /// <summary>The same context, for one message (queue id).</summary>
    public TraceContext WithMessage(string? message) => this with { Message = message };

    /// <summary>What in the lab causes this context's events (<see cref="LabOrigin"/>), or null for a connection from outside the lab.</summary>
    public string? Origin { get; init; }

    /// <summary>The same context, for work the lab itself does (<paramref name="lab"/>: a <see cref="LabOrigin"/> value).</summary>
    public TraceContext AsLab(string lab) => this with { Origin = lab };

    /// <summary>The same context under another role (for example the MDA behind an MTA session).</summary>
    public TraceContext As(TraceRole role) => this with { Role = role };

    /// <summary>Emits an event with fields given as name/value pairs.</summary>
    public TraceEvent Emit(TraceKind kind, string text, params (string Name, object? Value)[] fields) =>
        // params hands us a fresh array: the event can keep it without a copy.
        Tracer.Emit(Site, Role, Session, Message, kind, text, TraceFields.Own(fields), Origin);

    /// <summary>Masks a secret unless the lab reveals secrets.</summary>
    public string Secret(string value) => Tracer.RevealSecrets ? value : Tracer.Redacted;

    /// <summary>
    /// A client's line as the trace shows it: credentials masked by verb unless the lab reveals
    /// secrets (<see cref="SecretRedaction.Redact"/>; <paramref name="unknown"/>: the parser did not know the verb).
    /// </summary>
    internal string ClientLine(SecretProtocol protocol, string line, bool unknown = false) =>
        Tracer.RevealSecrets ? line : SecretRedaction.Redact(protocol, line, unknown);
}
