using MailLab.Server.Exercises;
using MailLab.Server.Trace;

namespace MailLab.Tests.Exercises;

/// <summary>The checker over recorded events: conditions, links between patterns, runs, evidence.</summary>
public sealed class ObjectiveCheckerTests
{
    private static ObjectiveResult Check(string yaml, IReadOnlyList<RecordedEvent> events) =>
        ObjectiveChecker.Check(Recorded.Parse(yaml), events).Single();

    private static string One(string events) => $"""
        exercise: 1
        title: t
        objectives:
          - id: o
            description: d
            events:
        {events}
        """;

    [Fact]
    public void Worked_example_is_met_with_the_three_events_as_evidence()
    {
        var r = Check(Recorded.WorkedExample, Recorded.ForgedRejected().Numbered);
        Assert.True(r.Met);
        Assert.Equal([TraceKind.EnvelopeMailFrom, TraceKind.DmarcEvaluated, TraceKind.ReplySent], r.Evidence.Select(e => e.Event.Kind));
    }

    [Fact]
    public void Worked_example_not_met_when_the_verdict_is_in_another_session()
    {
        var trace = new Recorded()
            .Add("bank", TraceRole.MTA, "C1", TraceKind.EnvelopeMailFrom, ("Domain", "bank.test"))
            .Add("bank", TraceRole.MTA, "C2", TraceKind.DmarcEvaluated, ("Disposition", "reject"))
            .Add("bank", TraceRole.MTA, "C2", TraceKind.ReplySent, ("Code", 550L));
        var r = Check(Recorded.WorkedExample, trace.Numbered);
        Assert.False(r.Met);
        Assert.Equal(1, r.Matched); // got as far as the MAIL FROM
    }

    [Fact]
    public void Same_session_ids_of_different_runs_are_different_sessions()
    {
        var trace = new Recorded()
            .Add("bank", TraceRole.MTA, "C1", TraceKind.EnvelopeMailFrom, ("Domain", "bank.test"))
            .Restart()
            .Add("bank", TraceRole.MTA, "C1", TraceKind.DmarcEvaluated, ("Disposition", "reject"))
            .Add("bank", TraceRole.MTA, "C1", TraceKind.ReplySent, ("Code", 550L));
        Assert.False(Check(Recorded.WorkedExample, trace.Numbered).Met);
    }

    [Fact]
    public void After_requires_trace_order()
    {
        var trace = new Recorded()
            .Add("bank", TraceRole.MTA, "C1", TraceKind.ReplySent, ("Code", 550L))
            .Add("bank", TraceRole.MTA, "C1", TraceKind.EnvelopeMailFrom, ("Domain", "bank.test"))
            .Add("bank", TraceRole.MTA, "C1", TraceKind.DmarcEvaluated, ("Disposition", "reject"));
        Assert.False(Check(Recorded.WorkedExample, trace.Numbered).Met);
    }

    [Fact]
    public void Backtracks_past_an_earlier_candidate_that_leads_nowhere()
    {
        // Two MAIL FROMs in bank.test; only the second session goes on to a reject.
        var trace = new Recorded()
            .Add("bank", TraceRole.MTA, "C1", TraceKind.EnvelopeMailFrom, ("Domain", "bank.test"))
            .Add("bank", TraceRole.MTA, "C1", TraceKind.DmarcEvaluated, ("Disposition", "none"))
            .Add("bank", TraceRole.MTA, "C2", TraceKind.EnvelopeMailFrom, ("Domain", "bank.test"))
            .Add("bank", TraceRole.MTA, "C2", TraceKind.DmarcEvaluated, ("Disposition", "reject"))
            .Add("bank", TraceRole.MTA, "C2", TraceKind.ReplySent, ("Code", 550L));
        var r = Check(Recorded.WorkedExample, trace.Numbered);
        Assert.True(r.Met);
        Assert.All(r.Evidence, e => Assert.Equal("C2", e.Event.Session));
    }

    // Every field named is one MessageReceived declares (TraceContract): the reader refuses any other.
    [Theory]
    [InlineData("Subject: FAIL", true)]                          // equals ignores case
    [InlineData("Subject: pass", false)]
    [InlineData("Subject: { not: pass }", true)]
    [InlineData("MessageId: { not: pass }", true)]              // a field the event lacks is "not equal"
    [InlineData("Subject: { in: [softfail, fail] }", true)]
    [InlineData("HeaderFromDomain: { contains: BANK }", true)]
    [InlineData("HeaderFromDomain: { regex: \"^bank\\\\.test$\" }", true)]
    [InlineData("HeaderFromDomain: { regex: \"^uc\\\\.\" }", false)]
    [InlineData("HeaderFrom: { exists: true }", false)]          // present but null
    [InlineData("HeaderFrom: { exists: false }", true)]
    [InlineData("MessageId: { exists: false }", true)]
    [InlineData("Size: 2", true)]                                // numbers compare as written
    [InlineData("Tls: true", true)]                              // booleans as true / false
    [InlineData("Recipients: { contains: \"carol\" }", true)]    // any element of an array
    [InlineData("Recipients: other", false)]
    [InlineData("Recipients: { not: \"bob@bank.test\" }", false)]
    [InlineData("Subject: { in: [fail], not: fail }", false)]    // several keys: all must hold
    [InlineData("Site: BANK", true)]                             // the common properties by name
    public void Field_conditions(string condition, bool met)
    {
        var trace = new Recorded().Add("bank", TraceRole.MTA, "C1", TraceKind.MessageReceived,
            ("Subject", "fail"), ("HeaderFromDomain", "bank.test"), ("HeaderFrom", null), ("Size", 2L), ("Tls", true),
            ("Recipients", new[] { "bob@bank.test", "carol@bank.test" }));
        var yaml = One($"""
              - kind: MessageReceived
                fields:
                  {condition}
        """);
        Assert.Equal(met, Check(yaml, trace.Numbered).Met);
    }

    [Fact]
    public void Role_site_and_kind_must_match()
    {
        var trace = new Recorded().Add("uc", TraceRole.MSA, "C1", TraceKind.AuthSucceeded, ("Tls", true));
        Assert.True(Check(One("      - { kind: AuthSucceeded, role: MSA, site: UC }"), trace.Numbered).Met);
        Assert.False(Check(One("      - { kind: AuthSucceeded, role: POP3 }"), trace.Numbered).Met);
        Assert.False(Check(One("      - { kind: AuthSucceeded, site: bank }"), trace.Numbered).Met);
        Assert.False(Check(One("      - { kind: AuthFailed }"), trace.Numbered).Met);
    }

    [Fact]
    public void Same_as_and_same_message_link_hops_of_one_message()
    {
        var trace = new Recorded()
            .AddMessage("uc", TraceRole.MSA, "C1", "Q1", TraceKind.MessageReceived, ("MessageId", "<a@x>"))
            .AddMessage("uc", TraceRole.QUEUE, null, "Q1", TraceKind.RelayOutcome, ("State", "delivered"))
            .AddMessage("bank", TraceRole.MTA, "C2", "Q2", TraceKind.MessageReceived, ("MessageId", "<b@x>"))
            .AddMessage("bank", TraceRole.MTA, "C3", "Q3", TraceKind.MessageReceived, ("MessageId", "<a@x>"));
        var yaml = One("""
              - { name: sub, kind: MessageReceived, role: MSA }
              - { kind: RelayOutcome, same-message-as: sub, fields: { State: delivered } }
              - { kind: MessageReceived, role: MTA, after: sub, fields: { MessageId: { same-as: sub.MessageId } } }
        """);
        var r = Check(yaml, trace.Numbered);
        Assert.True(r.Met);
        Assert.Equal("Q3", r.Evidence[2].Event.Message);
    }

    [Fact]
    public void One_event_never_proves_two_patterns()
    {
        var trace = new Recorded().Add("bank", TraceRole.MTA, "C1", TraceKind.ReplySent, ("Code", 503L));
        var two = One("""
              - { kind: ReplySent, fields: { Code: 503 } }
              - { kind: ReplySent, fields: { Code: 503 } }
        """);
        Assert.False(Check(two, trace.Numbered).Met);
        trace.Add("bank", TraceRole.MTA, "C1", TraceKind.ReplySent, ("Code", 503L));
        Assert.True(Check(two, trace.Numbered).Met);
    }

    [Fact]
    public void Student_scope_follows_a_submitted_message_across_sites_but_not_other_sessions()
    {
        var trace = new Recorded()
            .Add("uc", TraceRole.MSA, "C1", TraceKind.SessionOpened, ("Client", "127.0.0.5"))
            .AddMessage("uc", TraceRole.MSA, "C1", "Q1", TraceKind.MessageReceived, ("MessageId", "<a@x>"), ("Client", "127.0.0.5"))
            .AddMessage("uc", TraceRole.QUEUE, null, "Q1", TraceKind.RelayOutcome, ("State", "delivered"))
            .AddMessage("uc", TraceRole.MTA, "R1", "Q1", TraceKind.RelayCommandSent, ("Line", "MAIL FROM:<alice@uc.test>"))
            .Add("bank", TraceRole.MTA, "C2", TraceKind.SessionOpened, ("Client", "127.0.1.1"))
            .AddMessage("bank", TraceRole.MTA, "C2", "Q2", TraceKind.MessageReceived, ("MessageId", "<a@x>"), ("Client", "127.0.1.1"))
            .AddMessage("bank", TraceRole.MDA, "C2", "Q2", TraceKind.LocalDelivery, ("Recipient", "bob@bank.test"))
            .Add("bank", TraceRole.MTA, "C3", TraceKind.SessionOpened, ("Client", "127.0.0.6"))
            .Add("lab", TraceRole.HOST, null, TraceKind.LabStopping);
        var mine = StudentScope.Filter(trace.Numbered, "127.0.0.5");
        Assert.Equal(7, mine.Count);
        Assert.DoesNotContain(mine, e => e.Event.Session == "C3" || e.Event.Kind == TraceKind.LabStopping);
        Assert.Contains(mine, e => e.Event.Kind == TraceKind.LocalDelivery);

        var other = StudentScope.Filter(trace.Numbered, "127.0.0.6");
        Assert.Single(other);
    }

    [Fact]
    public void Student_scope_takes_the_attackers_session_that_read_the_students_message_but_not_one_that_read_another()
    {
        var trace = new Recorded()
            .Add("uc", TraceRole.MSA, "C1", TraceKind.SessionOpened, ("Client", "127.0.0.5"))
            .AddMessage("uc", TraceRole.MSA, "C1", "Q1", TraceKind.MessageReceived, ("MessageId", "<mine@x>"), ("Client", "127.0.0.5"))
            .Add("lab", TraceRole.ATTACKER, "C9", TraceKind.AttackerSaw, ("Direction", "connect"), ("Client", "127.0.1.1:40112"))
            .Add("lab", TraceRole.ATTACKER, "C9", TraceKind.StarttlsStripped, ("Action", "ehlo"), ("Client", "127.0.1.1:40112"))
            .Add("lab", TraceRole.ATTACKER, "C9", TraceKind.AttackerSaw, ("Direction", "message"), ("MessageId", "<mine@x>"))
            .Add("lab", TraceRole.ATTACKER, "C10", TraceKind.StarttlsStripped, ("Action", "ehlo"), ("Client", "127.0.1.1:40113"))
            .Add("lab", TraceRole.ATTACKER, "C10", TraceKind.AttackerSaw, ("Direction", "message"), ("MessageId", "<theirs@x>"));
        var mine = StudentScope.Filter(trace.Numbered, "127.0.0.5");
        Assert.Equal(3, mine.Count(e => e.Event.Session == "C9"));
        Assert.DoesNotContain(mine, e => e.Event.Session == "C10");
        Assert.Empty(StudentScope.Filter(trace.Numbered, "127.0.0.6"));
    }

    [Fact]
    public void Student_scope_takes_the_web_services_requests_from_the_students_address_but_not_the_labs()
    {
        // The lab's HTTP service has no sessions: its events name the client, as a session's first event does.
        var trace = new Recorded()
            .Add("lab", TraceRole.WEB, null, TraceKind.KeyServerUpload, ("Source", "upload"), ("Client", "127.0.0.5"), ("Status", 200L))
            .Add("lab", TraceRole.WEB, null, TraceKind.KeyServerLookup, ("Op", "get"), ("Client", "127.0.0.6"), ("Found", 1L))
            .Add("lab", TraceRole.WEB, null, TraceKind.WebRequest, ("Method", "GET"), ("Client", "127.0.0.5"), ("Status", 200L));
        var lab = trace.Events.Select(e => e with { Origin = LabOrigin.Host }).ToList();

        var mine = StudentScope.Filter(trace.Numbered, "127.0.0.5");
        Assert.Equal([TraceKind.KeyServerUpload, TraceKind.WebRequest], mine.Select(e => e.Event.Kind));
        Assert.Equal([TraceKind.KeyServerLookup], StudentScope.Filter(trace.Numbered, "127.0.0.6").Select(e => e.Event.Kind));
        Assert.Empty(StudentScope.Filter(RecordedEvent.Number(lab), "127.0.0.5")); // the lab's own requests are nobody's
        Assert.Empty(StudentScope.Filter(trace.Numbered, "alice@uc.test"));
    }

    [Fact]
    public void Student_scope_by_mail_address_takes_the_sessions_where_that_user_logged_in()
    {
        var trace = new Recorded()
            .Add("uc", TraceRole.IMAP, "C1", TraceKind.AuthSucceeded, ("User", "Alice@uc.test"))
            .Add("uc", TraceRole.IMAP, "C1", TraceKind.MailboxAccess, ("User", "alice@uc.test"), ("Folder", "INBOX"), ("Action", "select"))
            .Add("uc", TraceRole.POP3, "C2", TraceKind.AuthSucceeded, ("User", "carol@uc.test"));
        var mine = StudentScope.Filter(trace.Numbered, "alice@uc.test");
        Assert.Equal(["C1", "C1"], mine.Select(e => e.Event.Session));
        Assert.False(StudentScope.IsValid("alice"));
        Assert.True(StudentScope.IsValid("::1"));
    }

    [Fact]
    public void Since_accepts_a_duration_a_time_of_day_and_a_timestamp()
    {
        var now = new DateTimeOffset(2026, 11, 28, 17, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddMinutes(-45), ExerciseCatalog.ParseSince("45m", now));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 16, 0, 0, TimeSpan.Zero), ExerciseCatalog.ParseSince("2026-11-28T16:00Z", now));
        var today = ExerciseCatalog.ParseSince("16:30", now)!.Value;
        Assert.Equal(new TimeSpan(16, 30, 0), today.ToLocalTime().TimeOfDay);
        Assert.Null(ExerciseCatalog.ParseSince("yesterday", now));
    }
}
