using MailLab.Server.Trace;

namespace MailLab.Server.Exercises;

/// <summary>
/// One lab exercise: its handout (README.md) and the objectives judged from the trace
/// (objectives.yml, format in lab-exercises/README.md).
/// </summary>
public sealed record Exercise(
    int Number,
    string Title,
    string Directory,
    IReadOnlyDictionary<string, bool> LabSwitches,
    IReadOnlyList<Objective> Objectives)
{
    /// <summary>The student handout.</summary>
    public string HandoutPath => Path.Combine(Directory, "README.md");
}

/// <summary>One objective: met when the trace holds events matching every pattern, in one consistent assignment.</summary>
public sealed record Objective(string Id, string Description, IReadOnlyList<EventPattern> Events);

/// <summary>
/// A pattern one trace event must match: its kind, optionally role and site, field conditions, and
/// links to events matched by earlier patterns of the same objective (same session, same message, after).
/// <paramref name="Lab"/>: the pattern may also match an event the lab itself caused (<see cref="TraceEvent.Origin"/>),
/// such as the relay of the student's message; without it only events of the student's own connections match.
/// </summary>
public sealed record EventPattern(
    string? Name,
    TraceKind Kind,
    TraceRole? Role,
    string? Site,
    IReadOnlyList<FieldCondition> Fields,
    int? SameSessionAs,
    int? SameMessageAs,
    int? After,
    bool Lab = false)
{
    /// <summary>A short description for "not yet" output: "SpfResult (MTA, bank)".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Role is not null) parts.Add(Role.Value.ToString());
        if (Site is not null) parts.Add(Site);
        if (Lab) parts.Add("by the lab");
        parts.AddRange(Fields.Select(f => f.ToString()));
        return parts.Count == 0 ? Kind.ToString() : $"{Kind} ({string.Join(", ", parts)})";
    }
}

/// <summary>How a field's value is compared.</summary>
public enum ConditionOperator
{
    /// <summary>Equal to one value, ignoring case.</summary>
    Equal,
    /// <summary>Not equal to the value (a missing field is "not equal").</summary>
    NotEqual,
    /// <summary>Equal to one of several values, ignoring case.</summary>
    In,
    /// <summary>Contains the text, ignoring case.</summary>
    Contains,
    /// <summary>Matches a .NET regular expression, ignoring case.</summary>
    Regex,
    /// <summary>Present and not null (or, with false, absent or null).</summary>
    Exists,
    /// <summary>Equal to a field of the event matched by an earlier pattern.</summary>
    SameAs,
}

/// <summary>
/// One condition on one field. For an array field (Recipients, Lines, Answers) the condition holds
/// when any element satisfies it (NotEqual: when no element equals the value).
/// </summary>
public sealed record FieldCondition(
    string Field,
    ConditionOperator Operator,
    IReadOnlyList<string> Values,
    System.Text.RegularExpressions.Regex? Pattern = null,
    int? RefEvent = null,
    string? RefField = null)
{
    /// <inheritdoc />
    public override string ToString() => Operator switch
    {
        ConditionOperator.Equal => $"{Field}={Values[0]}",
        ConditionOperator.NotEqual => $"{Field}!={Values[0]}",
        ConditionOperator.In => $"{Field} in [{string.Join(",", Values)}]",
        ConditionOperator.Contains => $"{Field} contains '{Values[0]}'",
        ConditionOperator.Regex => $"{Field} ~ /{Values[0]}/",
        ConditionOperator.Exists => Values[0] == "true" ? $"{Field} present" : $"{Field} absent",
        _ => $"{Field} same as event {RefEvent + 1}'s {RefField}",
    };
}
