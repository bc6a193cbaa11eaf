using MailLab.Server.Exercises;
using MailLab.Server.Trace;

namespace MailLab.Tests.Exercises;

/// <summary>Builds recorded traces for checker tests: events as a lab would emit them, numbered per run.</summary>
internal sealed class Recorded
{
    private readonly List<TraceEvent> events = [];
    private long seq;
    private DateTimeOffset time = new(2026, 11, 28, 16, 0, 0, TimeSpan.Zero);

    /// <summary>Starts a new run of the lab: sequence numbers (and session ids) start again.</summary>
    public Recorded Restart()
    {
        seq = 0;
        return this;
    }

    public Recorded Add(string site, TraceRole role, string? session, TraceKind kind, params (string Name, object? Value)[] fields) =>
        AddMessage(site, role, session, null, kind, fields);

    public Recorded AddMessage(string site, TraceRole role, string? session, string? message, TraceKind kind, params (string Name, object? Value)[] fields)
    {
        time = time.AddSeconds(1);
        events.Add(new TraceEvent(++seq, time, site, role, session, message, kind, kind.ToString(), TraceFields.Own(fields)));
        return this;
    }

    public IReadOnlyList<TraceEvent> Events => events;

    public IReadOnlyList<RecordedEvent> Numbered => RecordedEvent.Number(events);

    /// <summary>A forged session from 127.0.0.5 to bank's MTA that DMARC rejects (the README's worked example).</summary>
    public static Recorded ForgedRejected(string session = "C1", string client = "127.0.0.5") => new Recorded()
        .Add("bank", TraceRole.MTA, session, TraceKind.SessionOpened, ("Client", client), ("ClientPort", 40000L), ("Profile", "MTA"))
        .Add("bank", TraceRole.MTA, session, TraceKind.EnvelopeMailFrom, ("MailFrom", "ceo@bank.test"), ("Domain", "bank.test"),
            ("AuthenticatedUser", null), ("Parameters", Array.Empty<string>()))
        .Add("bank", TraceRole.MTA, session, TraceKind.DmarcEvaluated, ("Result", "fail"), ("FromDomain", "bank.test"),
            ("Policy", "reject"), ("Disposition", "reject"), ("SpfAligned", false), ("DkimAligned", false))
        .Add("bank", TraceRole.MTA, session, TraceKind.ReplySent, ("Code", 550L), ("Enhanced", "5.7.1"), ("Lines", new[] { "rejected by DMARC policy" }));

    /// <summary>The objectives file of the README's worked example.</summary>
    public const string WorkedExample = """
        exercise: 9
        title: DMARC reject
        objectives:
          - id: forged-dmarc-reject
            description: The forged CEO mail was rejected by DMARC
            events:
              - name: mail
                kind: EnvelopeMailFrom
                role: MTA
                site: bank
                fields:
                  Domain: bank.test
              - name: verdict
                kind: DmarcEvaluated
                same-session-as: mail
                after: mail
                fields:
                  Disposition: reject
              - kind: ReplySent
                same-session-as: verdict
                after: verdict
                fields:
                  Code: { regex: "^5" }
        """;

    public static Exercise Parse(string yaml) => ExerciseReader.Parse(yaml, "test.yml", "/nowhere");
}
