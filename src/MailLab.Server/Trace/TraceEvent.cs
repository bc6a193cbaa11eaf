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
    /// <summary>A field's value as a string, or null when the event has no such field.</summary>
    public string? Field(string name) => Fields.TryGetValue(name, out var v) ? v?.ToString() : null;
}
