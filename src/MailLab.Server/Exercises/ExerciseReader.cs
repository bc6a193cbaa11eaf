using System.Globalization;
using System.Text.RegularExpressions;
using MailLab.Server.Lab;
using MailLab.Server.Trace;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Exercises;

/// <summary>
/// Reads an exercise's objectives file (YAML, kebab-case keys, unknown keys are errors; the format is
/// documented in lab-exercises/README.md). Every problem is reported with file, line and column,
/// all at once, as an <see cref="ExerciseDefinitionException"/>.
/// </summary>
internal static partial class ExerciseReader
{
    /// <summary>The objectives file in each exercise folder.</summary>
    public const string FileName = "objectives.yml";

    private static readonly string[] RootKeys = ["exercise", "title", "lab-switches", "objectives"];
    private static readonly string[] ObjectiveKeys = ["id", "description", "events"];
    private static readonly string[] EventKeys = ["name", "kind", "role", "site", "fields", "same-session-as", "same-message-as", "after", "lab"];
    private static readonly string[] OperatorKeys = ["equals", "not", "in", "contains", "regex", "exists", "same-as"];

    /// <summary>Reads <c>objectives.yml</c> in <paramref name="directory"/>.</summary>
    public static Exercise Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ExerciseDefinitionException([new LabDefinitionError(path, 0, 0, "", $"cannot read the file: {e.Message}")]);
        }
        return Parse(text, path, directory);
    }

    /// <summary>Parses objectives text; <paramref name="directory"/> is where the handout lives.</summary>
    public static Exercise Parse(string yaml, string sourceName, string directory)
    {
        YamlNode root;
        try
        {
            root = LabDefinitionLoader.LoadSingleDocument(yaml, sourceName, "an objectives file");
        }
        catch (LabDefinitionException e)
        {
            throw new ExerciseDefinitionException(e.Errors);
        }
        var f = new YamlFields(sourceName);
        var exercise = Read(f, root, directory);
        if (f.Errors.Count > 0 || exercise is null)
        {
            if (f.Errors.Count == 0) f.Error(root, "", "the exercise is incomplete");
            throw new ExerciseDefinitionException([.. f.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
        }
        return exercise;
    }

    private static Exercise? Read(YamlFields f, YamlNode root, string directory)
    {
        if (f.Map(root, "", RootKeys) is not { } map) return null;
        long? number = map.Required("exercise") is { } n ? f.Integer(n, "exercise") : null;
        if (number is < 1 or > 999)
        {
            f.Error(map.Required("exercise")!, "exercise", "must be a number from 1 to 999");
        }
        string? title = map.Required("title") is { } t ? f.String(t, "title") : null;
        var switches = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (map.Optional("lab-switches") is { } sw && f.Map(sw, "lab-switches", [.. LabDefinitionReader.KnownSwitches]) is { } swMap)
        {
            foreach (var key in LabDefinitionReader.KnownSwitches)
            {
                if (swMap.Optional(key) is { } v && f.Bool(v, swMap.Path(key)) is { } b) switches[key] = b;
            }
        }
        var objectives = new List<Objective>();
        if (map.Required("objectives") is { } objNode && f.Sequence(objNode, "objectives") is { } items)
        {
            if (items.Count == 0) f.Error(objNode, "objectives", "must list at least one objective");
            var ids = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < items.Count; i++)
            {
                if (ReadObjective(f, items[i], $"objectives[{i}]") is { } o)
                {
                    if (!ids.Add(o.Id)) f.Error(items[i], $"objectives[{i}].id", $"'{o.Id}' is used by an earlier objective");
                    objectives.Add(o);
                }
            }
        }
        return number is null or < 1 or > 999 || title is null ? null
            : new Exercise((int)number, title, directory, switches, objectives);
    }

    private static Objective? ReadObjective(YamlFields f, YamlNode node, string path)
    {
        if (f.Map(node, path, ObjectiveKeys) is not { } map) return null;
        string? id = map.Required("id") is { } i ? f.String(i, map.Path("id")) : null;
        if (id is not null && !IdPattern().IsMatch(id))
        {
            f.Error(map.Required("id")!, map.Path("id"), $"'{id}' must be lower-case letters, digits and hyphens (like spf-fail-seen)");
        }
        string? description = map.Required("description") is { } d ? f.String(d, map.Path("description")) : null;
        var events = new List<EventPattern>();
        var names = new List<string?>();
        var kinds = new List<TraceKind?>();
        if (map.Required("events") is { } evNode && f.Sequence(evNode, map.Path("events")) is { } items)
        {
            if (items.Count == 0) f.Error(evNode, map.Path("events"), "must list at least one event");
            for (int k = 0; k < items.Count; k++)
            {
                // A pattern with an error keeps its name, so later links to it are not reported too.
                var e = ReadEvent(f, items[k], $"{map.Path("events")}[{k}]", names, kinds, out string? name, out TraceKind? kind);
                if (e is not null) events.Add(e);
                names.Add(name);
                kinds.Add(kind);
            }
        }
        if (events.Count > 0 && events.Count == names.Count && events.All(e => e.Lab))
        {
            // The lab's own work is never the student's: an objective needs an act of the student's to anchor it.
            f.Error(map.Required("events")!, map.Path("events"), "every event has 'lab: true'; at least one must be the student's own act (docs: lab-exercises/README.md)");
            return null;
        }
        return id is null || description is null || events.Count == 0 || events.Count < names.Count ? null : new Objective(id, description, events);
    }

    // earlierKinds[i] is the kind of the earlier event earlier[i] (null when it had none that parsed).
    private static EventPattern? ReadEvent(
        YamlFields f, YamlNode node, string path, List<string?> earlier, List<TraceKind?> earlierKinds, out string? name, out TraceKind? kind)
    {
        name = null;
        kind = null;
        if (f.Map(node, path, EventKeys) is not { } map) return null;
        name = map.Optional("name") is { } n ? f.String(n, map.Path("name")) : null;
        if (name is not null && earlier.Contains(name, StringComparer.Ordinal))
        {
            f.Error(map.Optional("name")!, map.Path("name"), $"'{name}' names an earlier event of this objective already");
        }
        kind = map.Required("kind") is { } k ? Enum<TraceKind>(f, k, map.Path("kind")) : null;
        TraceRole? role = map.Optional("role") is { } r ? Enum<TraceRole>(f, r, map.Path("role")) : null;
        string? site = map.Optional("site") is { } s ? f.String(s, map.Path("site")) : null;
        int? Ref(string key) => map.Optional(key) is { } v ? Reference(f, v, map.Path(key), earlier) : null;
        int? sameSession = Ref("same-session-as");
        int? sameMessage = Ref("same-message-as");
        int? after = Ref("after");
        bool lab = map.Optional("lab") is { } l && f.Bool(l, map.Path("lab")) == true;
        var conditions = new List<FieldCondition>();
        if (map.Optional("fields") is { } fieldsNode)
        {
            if (fieldsNode is not YamlMappingNode fm)
            {
                f.Error(fieldsNode, map.Path("fields"), "expected a mapping of field names (PascalCase, as in docs/events.md) to conditions");
            }
            else
            {
                foreach (var (keyNode, value) in fm.Children)
                {
                    string? field = (keyNode as YamlScalarNode)?.Value;
                    string fieldPath = map.Path("fields") + "." + field;
                    if (field is null || !FieldPattern().IsMatch(field))
                    {
                        f.Error(keyNode, fieldPath, $"'{field}' is not a trace field name (PascalCase, like MailFrom; see docs/events.md)");
                        continue;
                    }
                    // A field the kind does not have would make the objective impossible to meet (TraceContract).
                    if (kind is { } own && !TraceContract.IsKnown(own, field))
                    {
                        f.Error(keyNode, fieldPath, NotAField(own, field, null));
                        continue;
                    }
                    conditions.AddRange(ReadConditions(f, field, value, fieldPath, earlier, earlierKinds));
                }
            }
        }
        return kind is null ? null : new EventPattern(name, kind.Value, role, site, conditions, sameSession, sameMessage, after, lab);
    }

    // "'X' is not a field of K (did you mean 'Y'?)", or the kind's fields when nothing is close.
    private static string NotAField(TraceKind kind, string field, string? referenced)
    {
        string of = referenced is null ? $"{kind}" : $"{kind}, the kind of '{referenced}'";
        return TraceContract.Suggest(kind, field) is { } near
            ? $"'{field}' is not a field of {of} (did you mean '{near}'?)"
            : TraceContract.FieldsOf(kind).Count == 0
                ? $"'{field}' is not a field of {of}; it has no fields of its own, only the common {string.Join(", ", TraceContract.CommonNames)}"
                : $"'{field}' is not a field of {of}; its fields are: {string.Join(", ", TraceContract.FieldsOf(kind).Select(x => x.Name))}, and the common {string.Join(", ", TraceContract.CommonNames)}";
    }

    private static IEnumerable<FieldCondition> ReadConditions(
        YamlFields f, string field, YamlNode value, string path, List<string?> earlier, List<TraceKind?> earlierKinds)
    {
        if (value is YamlScalarNode scalar)
        {
            yield return new FieldCondition(field, ConditionOperator.Equal, [scalar.Value ?? ""]);
            yield break;
        }
        if (f.Map(value, path, OperatorKeys) is not { } ops) yield break;
        foreach (var key in OperatorKeys)
        {
            if (ops.Optional(key) is not { } v) continue;
            string p = ops.Path(key);
            switch (key)
            {
                case "in":
                    if (f.StringList(v, p, nonEmpty: true) is { } list)
                        yield return new FieldCondition(field, ConditionOperator.In, [.. list.Select(x => x.Value)]);
                    break;
                case "exists":
                    if (f.Bool(v, p) is { } b) yield return new FieldCondition(field, ConditionOperator.Exists, [b ? "true" : "false"]);
                    break;
                case "regex":
                    if (f.String(v, p) is { } rx && Compile(f, v, p, rx) is { } regex)
                        yield return new FieldCondition(field, ConditionOperator.Regex, [rx], regex);
                    break;
                case "same-as":
                    if (f.String(v, p) is { } target)
                    {
                        int dot = target.IndexOf('.');
                        int? refEvent = dot > 0 ? Reference(f, v, p, earlier, target[..dot]) : null;
                        if (dot <= 0) f.Error(v, p, $"'{target}' must be EVENT.Field, the name of an earlier event and one of its fields");
                        else if (refEvent is int r && earlierKinds[r] is { } refKind && !TraceContract.IsKnown(refKind, target[(dot + 1)..]))
                            f.Error(v, p, NotAField(refKind, target[(dot + 1)..], target[..dot]));
                        else if (refEvent is not null)
                            yield return new FieldCondition(field, ConditionOperator.SameAs, [target], RefEvent: refEvent, RefField: target[(dot + 1)..]);
                    }
                    break;
                default:
                    if (f.String(v, p) is { } text)
                        yield return new FieldCondition(field, key switch
                        {
                            "equals" => ConditionOperator.Equal,
                            "not" => ConditionOperator.NotEqual,
                            _ => ConditionOperator.Contains,
                        }, [text]);
                    break;
            }
        }
    }

    private static Regex? Compile(YamlFields f, YamlNode node, string path, string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            f.Error(node, path, $"not a valid regular expression: {e.Message}");
            return null;
        }
    }

    private static int? Reference(YamlFields f, YamlNode node, string path, List<string?> earlier, string? given = null)
    {
        string? name = given ?? f.String(node, path);
        if (name is null) return null;
        int at = earlier.IndexOf(name);
        if (at < 0)
        {
            f.Error(node, path, earlier.Any(n => n is not null)
                ? $"'{name}' is not the name of an earlier event of this objective ({string.Join(", ", earlier.Where(n => n is not null))})"
                : $"'{name}' is not the name of an earlier event of this objective (give the event a name: first)");
            return null;
        }
        return at;
    }

    private static T? Enum<T>(YamlFields f, YamlNode node, string path) where T : struct, System.Enum
    {
        string? text = f.String(node, path);
        if (text is null) return null;
        if (System.Enum.TryParse<T>(text, ignoreCase: false, out var value) && !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return value;
        }
        var near = System.Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase))
            ?? System.Enum.GetNames<T>().FirstOrDefault(n => YamlFields.EditDistance(n.ToLowerInvariant(), text.ToLowerInvariant()) <= 2);
        f.Error(node, path, near is not null
            ? $"'{text}' is not a {typeof(T).Name} (did you mean '{near}'?)"
            : $"'{text}' is not a {typeof(T).Name}; expected one of: {string.Join(", ", System.Enum.GetNames<T>())}");
        return null;
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Z][A-Za-z0-9]*$")]
    private static partial Regex FieldPattern();
}

/// <summary>An objectives file could not be read or is not valid; <see cref="Errors"/> lists every problem in file order.</summary>
internal sealed class ExerciseDefinitionException(IReadOnlyList<LabDefinitionError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    /// <summary>Every problem, with file, line, column and field.</summary>
    public IReadOnlyList<LabDefinitionError> Errors { get; } = errors;
}
