namespace MailLab.Server.Trace;

/// <summary>
/// The one API through which every role emits trace events: it numbers them, keeps them in the
/// in-memory <see cref="TraceStream"/> and hands them to the <see cref="TraceLog"/> (console and JSON lines).
/// </summary>
public sealed class Tracer
{
    private readonly TraceLog? log;
    private long sequence;

    /// <summary>Creates a tracer writing to <paramref name="stream"/> and, when given, to <paramref name="log"/>.</summary>
    public Tracer(TraceStream stream, TraceLog? log, bool revealSecrets)
    {
        Stream = stream;
        this.log = log;
        RevealSecrets = revealSecrets;
    }

    /// <summary>The in-memory stream of events.</summary>
    public TraceStream Stream { get; }

    /// <summary>Lab switch: when false, secrets (AUTH payloads, passwords) are masked.</summary>
    public bool RevealSecrets { get; }

    /// <summary>
    /// Whether <see cref="Emit"/> holds events to <see cref="TraceContract"/>; <see cref="TraceContract.Strict"/>
    /// when the tracer was made (on in the tests, off in a running lab).
    /// </summary>
    public bool CheckContract { get; init; } = TraceContract.Strict;

    /// <summary>The text that replaces a secret in the trace.</summary>
    public const string Redacted = "<redacted>";

    /// <summary>A context that stamps site, role and session on each event it emits.</summary>
    internal TraceContext For(string site, TraceRole role, string? session = null) => new(this, site, role, session, null);

    /// <summary>A context for the lab's own work (<paramref name="lab"/>: a <see cref="LabOrigin"/> value).</summary>
    internal TraceContext ForLab(string lab, string site, TraceRole role, string? session = null) => new(this, site, role, session, null) { Origin = lab };

    /// <summary>
    /// Emits one event; <c>Text</c> and every string field are capped (<see cref="TraceLimits.MaxValueOctets"/>).
    /// In <see cref="TraceContract.Strict"/> mode, a field the kind does not declare throws <see cref="TraceContractException"/>.
    /// </summary>
    internal TraceEvent Emit(
        string site, TraceRole role, string? session, string? message, TraceKind kind, string text,
        IReadOnlyDictionary<string, object?>? fields = null, string? origin = null)
    {
        // Checked only in strict mode (tests): see TraceContract.Strict for why a running lab does not check.
        if (CheckContract && fields is not null) TraceContract.Check(kind, text, fields);
        // Every value is capped here, once, so no emitter can put an unbounded string in the trace (TraceLimits).
        var e = new TraceEvent(
            Interlocked.Increment(ref sequence), DateTimeOffset.UtcNow, site, role, session, message, kind, TraceLimits.Cap(text),
            fields is null ? TraceFields.Empty : TraceFields.From(fields).Select(TraceLimits.CapValue))
        {
            Origin = origin ?? (role == TraceRole.HOST ? LabOrigin.Host : null),
        };
        Stream.Append(e);
        // Queued as it is: the console line and the JSON line are formatted on the writers' own threads.
        log?.Write(e);
        return e;
    }

    /// <summary>
    /// Adds an event another process wrote (<see cref="Dashboard.TraceFollower"/>) to the in-memory stream only,
    /// numbered in this process's sequence; it is not written again to this process's console or file.
    /// </summary>
    internal TraceEvent Import(TraceEvent e)
    {
        var local = e with { Sequence = Interlocked.Increment(ref sequence) };
        Stream.Append(local);
        return local;
    }
}
