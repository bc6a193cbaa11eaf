namespace MailLab.Server.Trace;

/// <summary>
/// One structured trace event: who (site, role, session, message), what (kind and its fields)
/// and a one-line readable text for the console.
/// </summary>
public sealed record TraceEvent(
    long Sequence,
    DateTimeOffset Time,
    string Site,
    TraceRole Role,
    string? Session,
    string? Message,
    TraceKind Kind,
    string Text,
    IReadOnlyDictionary<string, object?> Fields)
{
    /// <summary>
    /// What in the lab itself caused the event (<see cref="LabOrigin"/>: its resolver, queue and relay,
    /// report or bounce mail, start-up), or null when a connection from outside the lab did: a student's
    /// act or what it directly caused in that connection. Exercises never credit a student with a lab event.
    /// </summary>
    public string? Origin { get; init; }

    /// <summary>A field's value as a string, or null when the event has no such field.</summary>
    public string? Field(string name) => Fields.TryGetValue(name, out var v) ? v?.ToString() : null;
}
