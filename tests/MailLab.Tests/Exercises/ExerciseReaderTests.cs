using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Exercises;

/// <summary>Objectives files: what they mean, and every mistake reported with its place.</summary>
public sealed class ExerciseReaderTests
{
    [Fact]
    public void Worked_example_reads_into_patterns_with_links()
    {
        var e = Recorded.Parse(Recorded.WorkedExample);
        Assert.Equal(9, e.Number);
        var o = Assert.Single(e.Objectives);
        Assert.Equal("forged-dmarc-reject", o.Id);
        Assert.Equal([TraceKind.EnvelopeMailFrom, TraceKind.DmarcEvaluated, TraceKind.ReplySent], o.Events.Select(p => p.Kind));
        Assert.Equal(TraceRole.MTA, o.Events[0].Role);
        Assert.Equal(0, o.Events[1].SameSessionAs);
        Assert.Equal(1, o.Events[2].After);
        Assert.Equal(ConditionOperator.Regex, o.Events[2].Fields.Single().Operator);
    }

    private static IReadOnlyList<string> Errors(string yaml) =>
        Assert.Throws<ExerciseDefinitionException>(() => Recorded.Parse(yaml)).Errors.Select(e => e.ToString()).ToList();

    [Fact]
    public void Unknown_kind_suggests_the_right_spelling_with_line_and_column()
    {
        var errors = Errors(Recorded.WorkedExample.Replace("kind: DmarcEvaluated", "kind: dmarcevaluated"));
        Assert.Equal(["test.yml:14:15: objectives[0].events[1].kind: 'dmarcevaluated' is not a TraceKind (did you mean 'DmarcEvaluated'?)"], errors);
    }

    [Fact]
    public void A_link_must_name_an_earlier_event()
    {
        var errors = Errors(Recorded.WorkedExample.Replace("same-session-as: verdict", "same-session-as: verdikt"));
        Assert.Single(errors);
        Assert.Contains("'verdikt' is not the name of an earlier event of this objective (mail, verdict)", errors[0]);
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once()
    {
        var yaml = """
            exercise: 0
            titel: x
            lab-switches: { reject-spf-fail: yes }
            objectives:
              - id: Bad_Id
                description: d
                events:
                  - kind: ReplySent
                    role: SMTP
                    fields:
                      code: 550
                      Lines: { regex: "(" , starts-with: x }
            """;
        var errors = string.Join("\n", Errors(yaml));
        Assert.Contains("test.yml:1:11: exercise: must be a number from 1 to 999", errors);
        Assert.Contains("unknown key 'titel' (did you mean 'title'?", errors);
        Assert.Contains("title: required field is missing", errors);
        Assert.Contains("'yes' is not a boolean", errors);
        Assert.Contains("'Bad_Id' must be lower-case letters", errors);
        Assert.Contains("'SMTP' is not a TraceRole", errors);
        Assert.Contains("'code' is not a trace field name", errors);
        Assert.Contains("not a valid regular expression", errors);
        Assert.Contains("unknown key 'starts-with'", errors);
    }

    [Fact]
    public void Yaml_syntax_errors_and_empty_lists_are_reported()
    {
        Assert.Contains("YAML error", Errors("exercise: [1\ntitle: x")[0]);
        Assert.Contains("objectives: must list at least one objective", Errors("exercise: 1\ntitle: x\nobjectives: []")[0]);
        Assert.Contains("ids", string.Join("", Errors(Recorded.WorkedExample.Replace("objectives:\n", "objectives:\n  - { id: forged-dmarc-reject, description: d, events: [ { kind: ReplySent } ] }\n")))
            .Replace("is used by an earlier objective", "ids"));
    }

    [Fact]
    public void A_misspelled_field_is_an_error_at_its_place_with_the_kind_s_spelling()
    {
        // Before TraceContract, 'Dispositon' was accepted and the objective could never be met.
        var errors = Errors(Recorded.WorkedExample.Replace("Disposition: reject", "Dispositon: reject"));
        Assert.Equal(["test.yml:18:11: objectives[0].events[1].fields.Dispositon: 'Dispositon' is not a field of DmarcEvaluated (did you mean 'Disposition'?)"], errors);
    }

    [Fact]
    public void A_field_of_another_kind_is_an_error_that_lists_the_kind_s_fields()
    {
        // MailFrom is a field of EnvelopeMailFrom and MessageReceived, not of ReplySent.
        var errors = Errors(Recorded.WorkedExample.Replace("Code: { regex: \"^5\" }", "MailFrom: ceo@bank.test"));
        var error = Assert.Single(errors);
        Assert.StartsWith("test.yml:23:11: objectives[0].events[2].fields.MailFrom: 'MailFrom' is not a field of ReplySent; its fields are: Code, Enhanced, Lines,", error);
        Assert.EndsWith("and the common Session, Message, Site, Text, Origin", error);
    }

    [Fact]
    public void Declared_fields_and_the_common_properties_are_accepted_in_patterns()
    {
        var e = Recorded.Parse(Recorded.WorkedExample
            .Replace("Domain: bank.test", "Domain: bank.test\n          MailFrom: ceo@bank.test\n          Session: { exists: true }\n          Message: { exists: false }\n          Site: bank\n          Text: { contains: sender }"));
        Assert.Equal(["Domain", "MailFrom", "Session", "Message", "Site", "Text"], e.Objectives[0].Events[0].Fields.Select(c => c.Field));
    }

    [Fact]
    public void Same_as_names_a_field_of_the_referenced_event_s_kind()
    {
        // 'mail' is an EnvelopeMailFrom: it has MailFrom, not HeaderFrom.
        var yaml = Recorded.WorkedExample.Replace("Disposition: reject", "Disposition: reject\n          FromDomain: { same-as: mail.HeaderFrom }");
        var error = Assert.Single(Errors(yaml));
        Assert.Equal("test.yml:19:34: objectives[0].events[1].fields.FromDomain.same-as: 'HeaderFrom' is not a field of EnvelopeMailFrom, the kind of 'mail'; its fields are: MailFrom, Domain, AuthenticatedUser, Parameters, and the common Session, Message, Site, Text, Origin", error);
        Assert.Contains("(did you mean 'Domain'?)", Assert.Single(Errors(yaml.Replace("mail.HeaderFrom", "mail.Domian"))));
        var ok = Recorded.Parse(yaml.Replace("mail.HeaderFrom", "mail.Domain"));
        Assert.Equal("Domain", ok.Objectives[0].Events[1].Fields.Single(c => c.Operator == ConditionOperator.SameAs).RefField);
    }

    [Fact]
    public void Every_shipped_objectives_file_loads_without_an_error()
    {
        var catalog = ExerciseCatalog.Load(Path.Combine(AppContext.BaseDirectory, ExerciseCatalog.DirectoryName));
        Assert.Empty(catalog.Errors);
        Assert.True(catalog.Exercises.Count >= 8, $"only {catalog.Exercises.Count} exercises found");
        foreach (var p in catalog.Exercises.SelectMany(e => e.Objectives).SelectMany(o => o.Events))
        {
            Assert.All(p.Fields, c => Assert.True(TraceContract.IsKnown(p.Kind, c.Field), $"{p.Kind}.{c.Field}"));
        }
    }

    [Fact]
    public void Catalog_skips_a_broken_exercise_and_names_it()
    {
        string dir = TempDir.New("exercises");
        Directory.CreateDirectory(Path.Combine(dir, "01-good"));
        File.WriteAllText(Path.Combine(dir, "01-good", ExerciseReader.FileName), Recorded.WorkedExample);
        Directory.CreateDirectory(Path.Combine(dir, "02-bad"));
        File.WriteAllText(Path.Combine(dir, "02-bad", ExerciseReader.FileName), "exercise: 2\ntitle: x\nobjectives: 3");
        Directory.CreateDirectory(Path.Combine(dir, "notes")); // no objectives.yml: not an exercise
        var catalog = ExerciseCatalog.Load(dir);
        Assert.Equal([9], catalog.Exercises.Select(e => e.Number));
        Assert.Contains(catalog.Errors, e => e.Contains("02-bad") && e.Contains("objectives: expected a list"));
    }
}
