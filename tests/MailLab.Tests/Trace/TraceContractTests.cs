using System.Text.RegularExpressions;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Trace;

/// <summary>
/// Issue 14 §4 / issue 18 item 5: the event contract is code (<see cref="TraceContract"/>), the trace
/// writer holds every emitter to it, and docs/events.md documents exactly the declared fields.
/// </summary>
public sealed partial class TraceContractTests
{
    [Fact]
    public void Every_kind_is_declared_and_no_kind_declares_a_common_property()
    {
        Assert.Empty(TraceContract.Undeclared);
        foreach (var kind in Enum.GetValues<TraceKind>())
        {
            // Role, Kind and Seq are top-level properties of each line of trace.jsonl too: a field of that name
            // would overwrite them there, and the file's reader (maillab exercise check) would lose the event.
            var clash = TraceContract.FieldsOf(kind).Select(f => f.Name).Intersect([.. TraceContract.CommonNames, "Role", "Kind", "Seq"]).ToList();
            Assert.True(clash.Count == 0, $"{kind} declares {string.Join(", ", clash)}, which objectives read as the common propert(y/ies)");
        }
    }

    [Fact]
    public void In_strict_mode_an_undeclared_field_or_a_wrong_type_throws_and_a_declared_one_passes()
    {
        Assert.True(TraceContract.Strict, "the test assembly turns the check on for every test (Support/StrictTraceContract.cs)");
        var trace = new Tracer(new TraceStream(16), null, revealSecrets: false).For("bank", TraceRole.MTA, "C1");

        var e = trace.Emit(TraceKind.MessageReceived, "m", ("MailFrom", "ceo@bank.test"), ("Size", 254), ("Tls", false), ("Recipients", new[] { "bob@bank.test" }), ("Subject", null));
        Assert.Equal("ceo@bank.test", e.Field("MailFrom"));

        var misspelled = Assert.Throws<TraceContractException>(() => trace.Emit(TraceKind.MessageReceived, "m", ("MailFom", "ceo@bank.test")));
        Assert.Contains("'MailFom', which MessageReceived does not declare", misspelled.Message);
        var wrongType = Assert.Throws<TraceContractException>(() => trace.Emit(TraceKind.MessageReceived, "m", ("Size", "254")));
        Assert.Contains("'Size' of .NET type String, but TraceContract.cs declares it Integer", wrongType.Message);
        Assert.Throws<TraceContractException>(() => trace.Emit(TraceKind.LabStopping, "stop", ("Reason", "x")));
    }

    [Fact]
    public void Outside_strict_mode_an_undeclared_field_is_kept_and_nothing_throws()
    {
        // A running lab: a documentation slip must not end a student's session (TraceContract.Strict).
        var tracer = new Tracer(new TraceStream(16), null, revealSecrets: false) { CheckContract = false };
        var e = tracer.For("bank", TraceRole.MTA, "C1").Emit(TraceKind.MessageReceived, "m", ("MailFom", "ceo@bank.test"), ("Size", "254"));
        Assert.Equal("ceo@bank.test", e.Field("MailFom"));
        Assert.Equal("254", e.Field("Size"));
        Assert.True(new Tracer(new TraceStream(16), null, false).CheckContract, "a tracer made in the tests checks");
    }

    [Fact]
    public void Suggestions_come_from_the_kind_s_own_fields_and_the_common_properties()
    {
        Assert.Equal("Disposition", TraceContract.Suggest(TraceKind.DmarcEvaluated, "Dispositon"));
        Assert.Equal("HeaderFrom", TraceContract.Suggest(TraceKind.MessageReceived, "headerfrom"));
        Assert.Equal("Session", TraceContract.Suggest(TraceKind.ReplySent, "Sesion"));
        Assert.Null(TraceContract.Suggest(TraceKind.ReplySent, "HeaderFromDomain"));
        Assert.True(TraceContract.IsKnown(TraceKind.LabStopping, "Text"));
        Assert.False(TraceContract.IsKnown(TraceKind.ReplySent, "code")); // names are case-sensitive, as in the JSON file
    }

    [Fact]
    public void Docs_events_md_lists_exactly_the_Origin_values_in_LabOrigin()
    {
        var lines = File.ReadAllLines(Repository.File("docs/events.md"));
        int start = Array.FindIndex(lines, l => l.StartsWith("The values of `Origin`", StringComparison.Ordinal));
        Assert.True(start >= 0, "docs/events.md has no table of the values of Origin");
        var documented = lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2)
            .Select(l => l.Split('|')[1].Trim().Trim('`')).ToList();
        Assert.Equal(LabOrigin.All, documented);
    }

    [Fact]
    public void Docs_events_md_documents_every_kind_with_exactly_its_declared_fields()
    {
        var documented = DocumentedFields(File.ReadAllLines(Repository.File("docs/events.md")), out var unknownHeadings);
        Assert.True(unknownHeadings.Count == 0, $"docs/events.md has #### headings naming no TraceKind: {string.Join(", ", unknownHeadings)}");
        var problems = new List<string>();
        foreach (var kind in Enum.GetValues<TraceKind>())
        {
            if (!documented.TryGetValue(kind, out var docs))
            {
                problems.Add($"{kind}: no #### `{kind}` heading in section 4");
                continue;
            }
            var declared = TraceContract.FieldsOf(kind).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            var names = docs.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            var missing = declared.Except(names).ToList();
            var extra = names.Except(declared).ToList();
            if (missing.Count > 0) problems.Add($"{kind}: declared but not in a Field table: {string.Join(", ", missing)}");
            if (extra.Count > 0) problems.Add($"{kind}: in a Field table but not declared in TraceContract.cs: {string.Join(", ", extra)}");
        }
        Assert.True(problems.Count == 0, "docs/events.md and TraceContract.cs disagree:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Docs_events_md_gives_each_field_its_declared_type()
    {
        var documented = DocumentedFields(File.ReadAllLines(Repository.File("docs/events.md")), out _);
        var problems = new List<string>();
        foreach (var (kind, fields) in documented)
        {
            foreach (var (name, typeText) in fields)
            {
                // "string or null", "integer, only on ...", "list of strings": the words before any qualifier.
                var words = TypeQualifier().Split(typeText.Trim().ToLowerInvariant())[0].Trim();
                TraceFieldType? documentedType = words switch
                {
                    "string" => TraceFieldType.String,
                    "integer" => TraceFieldType.Integer,
                    "number" => TraceFieldType.Number,
                    "boolean" or "bool" => TraceFieldType.Boolean,
                    "array of strings" or "list of strings" or "string array" or "string[]" => TraceFieldType.StringList,
                    _ => null,
                };
                var declared = TraceContract.TypeOf(kind, name);
                if (declared is not null && documentedType != declared)
                    problems.Add($"{kind}.{name}: documented as '{typeText}', declared {declared}");
            }
        }
        Assert.True(problems.Count == 0, "docs/events.md gives types that TraceContract.cs does not:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_docs_parser_sees_a_field_removed_from_a_table_and_one_added()
    {
        // The parser must be able to fail: remove a row, then add a row, and look for the difference.
        var lines = File.ReadAllLines(Repository.File("docs/events.md"));
        var full = DocumentedFields(lines, out _);
        var withoutUid = DocumentedFields(lines.Where(l => !l.StartsWith("| `Uid` | integer | the message's UID", StringComparison.Ordinal)).ToArray(), out _);
        Assert.Contains(("Uid", "integer"), full[TraceKind.LocalDelivery]);
        Assert.DoesNotContain(withoutUid[TraceKind.LocalDelivery], f => f.Name == "Uid");
        var withExtra = DocumentedFields([.. lines.Select(l => l.StartsWith("| `Folder` | string | the folder (`INBOX` today)", StringComparison.Ordinal) ? l + "\n| `Flags` | string | x | x |" : l)
            .SelectMany(l => l.Split('\n'))], out _);
        Assert.Contains(("Flags", "string"), withExtra[TraceKind.LocalDelivery]);
    }

    /// <summary>
    /// Section 4's layout, kept regular on purpose: a kind is documented under a <c>#### </c> heading whose
    /// backquoted names before any "(" are kinds (<c>#### `AuthSucceeded` / `AuthFailed` (POP3)</c>); every
    /// table under it whose first header cell is <c>Field</c> lists fields, each row's first cell naming one
    /// or more in backquotes (<c>`Begin`, `End`</c>), its second cell their type (one for all, or one per
    /// name: <c>string, integer</c>). A kind documented under several headings (one per role) gets the union.
    /// </summary>
    private static Dictionary<TraceKind, List<(string Name, string Type)>> DocumentedFields(string[] lines, out List<string> unknownHeadings)
    {
        var result = new Dictionary<TraceKind, List<(string Name, string Type)>>();
        unknownHeadings = [];
        List<TraceKind> kinds = [];
        bool inFieldTable = false, inTable = false;
        foreach (var line in lines)
        {
            if (line.StartsWith('#'))
            {
                kinds = [];
                inTable = inFieldTable = false;
                if (!line.StartsWith("#### ", StringComparison.Ordinal)) continue;
                foreach (Match m in Quoted().Matches(line.Split('(')[0]))
                {
                    if (Enum.TryParse<TraceKind>(m.Groups[1].Value, ignoreCase: false, out var kind))
                    {
                        kinds.Add(kind);
                        if (!result.ContainsKey(kind)) result[kind] = [];
                    }
                    else
                    {
                        unknownHeadings.Add(line);
                    }
                }
                continue;
            }
            if (!line.StartsWith('|'))
            {
                inTable = inFieldTable = false;
                continue;
            }
            var cells = line.Trim('|').Split('|');
            var first = cells[0].Trim();
            if (!inTable)
            {
                inTable = true;
                inFieldTable = first == "Field";
                continue;
            }
            if (!inFieldTable || first.Trim('-', ':', ' ').Length == 0) continue;
            var names = Quoted().Matches(first).Select(m => m.Groups[1].Value).ToList();
            var types = cells.Length > 1 ? cells[1].Split(", ") : [""];
            foreach (var kind in kinds)
            {
                for (int i = 0; i < names.Count; i++)
                {
                    result[kind].Add((names[i], (types.Length == names.Count ? types[i] : cells.ElementAtOrDefault(1) ?? "").Trim()));
                }
            }
        }
        return result;
    }


    [GeneratedRegex("`([A-Za-z]+)`")]
    private static partial Regex Quoted();

    [GeneratedRegex(" or null|, only| \\(|,? absent| on ")]
    private static partial Regex TypeQualifier();
}
