using System.Globalization;
using MailLab.Server.Trace;

namespace MailLab.Server.Exercises;

/// <summary>The verdict on one objective: met with the events that prove it, or not yet with how far it got.</summary>
public sealed record ObjectiveResult(Objective Objective, bool Met, IReadOnlyList<RecordedEvent> Evidence)
{
    /// <summary>How many of the objective's event patterns the evidence matched (all of them when met).</summary>
    public int Matched => Evidence.Count;
}

/// <summary>
/// Judges objectives over a trace: finds, for each objective, the earliest events that match its
/// patterns one by one, honouring the links between them (same session, same message, after,
/// same-as). Pure: events in, verdicts out.
/// </summary>
internal static class ObjectiveChecker
{
    /// <summary>Upper bound on candidate tries per objective, so a pathological file cannot hang the checker.</summary>
    private const int MaxSteps = 2_000_000;

    /// <summary>Checks every objective of <paramref name="exercise"/>.</summary>
    public static IReadOnlyList<ObjectiveResult> Check(Exercise exercise, IReadOnlyList<RecordedEvent> events) =>
        exercise.Objectives.Select(o => Check(o, events)).ToList();

    /// <summary>Checks one objective.</summary>
    public static ObjectiveResult Check(Objective objective, IReadOnlyList<RecordedEvent> events)
    {
        var patterns = objective.Events;
        var candidates = patterns.Select(p => events.Where(e => OwnMatch(p, e.Event)).ToList()).ToList();
        var chosen = new RecordedEvent[patterns.Count];
        RecordedEvent[] best = [];
        int steps = 0;

        bool Search(int i)
        {
            if (i == patterns.Count) return true;
            foreach (var c in candidates[i])
            {
                if (++steps > MaxSteps) return false;
                if (!Linked(patterns[i], c, chosen, i)) continue;
                chosen[i] = c;
                if (i + 1 > best.Length) best = chosen[..(i + 1)];
                if (Search(i + 1)) return true;
            }
            return false;
        }

        bool met = Search(0);
        return new ObjectiveResult(objective, met, met ? chosen : best);
    }

    /// <summary>
    /// The pattern's own conditions: kind, role, site and fields that need no other event. An event the
    /// lab caused (<see cref="TraceEvent.Origin"/>) matches only a pattern that allows it (<c>lab: true</c>).
    /// </summary>
    public static bool OwnMatch(EventPattern p, TraceEvent e) =>
        e.Kind == p.Kind
        && (e.Origin is null || p.Lab)
        && (p.Role is null || e.Role == p.Role)
        && (p.Site is null || string.Equals(e.Site, p.Site, StringComparison.OrdinalIgnoreCase))
        && p.Fields.All(c => c.Operator == ConditionOperator.SameAs || Holds(c, Values(e, c.Field), null));

    private static bool Linked(EventPattern p, RecordedEvent c, RecordedEvent[] chosen, int i)
    {
        for (int j = 0; j < i; j++)
        {
            if (ReferenceEquals(chosen[j], c)) return false; // one event proves one pattern
        }
        if (p.SameSessionAs is int s && (c.SessionKey is null || c.SessionKey != chosen[s].SessionKey)) return false;
        if (p.SameMessageAs is int m && (c.Event.Message is null || c.Event.Message != chosen[m].Event.Message)) return false;
        if (p.After is int a && c.Index <= chosen[a].Index) return false;
        foreach (var cond in p.Fields)
        {
            if (cond.Operator == ConditionOperator.SameAs && !Holds(cond, Values(c.Event, cond.Field), Values(chosen[cond.RefEvent!.Value].Event, cond.RefField!)))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Holds(FieldCondition c, IReadOnlyList<string>? values, IReadOnlyList<string>? reference)
    {
        bool Any(Func<string, bool> test) => values is not null && values.Any(test);
        bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
        return c.Operator switch
        {
            ConditionOperator.Equal => Any(v => Same(v, c.Values[0])),
            ConditionOperator.NotEqual => !Any(v => Same(v, c.Values[0])),
            ConditionOperator.In => Any(v => c.Values.Any(x => Same(v, x))),
            ConditionOperator.Contains => Any(v => v.Contains(c.Values[0], StringComparison.OrdinalIgnoreCase)),
            ConditionOperator.Regex => Any(v => c.Pattern!.IsMatch(v)),
            ConditionOperator.Exists => (values is not null) == (c.Values[0] == "true"),
            ConditionOperator.SameAs => reference is not null && Any(v => reference.Any(r => Same(v, r))),
            _ => false,
        };
    }

    /// <summary>
    /// A field's values as text (one for a scalar, each element for an array), or null when the
    /// event has no such field or it is null. Booleans are <c>true</c>/<c>false</c> as in the JSON
    /// file; Session, Message, Site, Text and Origin name the common properties.
    /// </summary>
    public static IReadOnlyList<string>? Values(TraceEvent e, string field)
    {
        if (!e.Fields.TryGetValue(field, out var value))
        {
            value = field switch
            {
                "Session" => e.Session,
                "Message" => e.Message,
                "Site" => e.Site,
                "Text" => e.Text,
                "Origin" => e.Origin,
                _ => null,
            };
        }
        return value switch
        {
            null => null,
            string s => [s],
            bool b => [b ? "true" : "false"],
            IEnumerable<string> list => list.ToList(),
            IFormattable f => [f.ToString(null, CultureInfo.InvariantCulture)],
            _ => [value.ToString() ?? ""],
        };
    }
}
