using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;

namespace MailLab.Server.Dashboard;

/// <summary>
/// <c>/api/sessions/{id}</c>: one SMTP, POP3 or IMAP session as a transcript, rebuilt from its trace events.
/// Lines after the TLS handshake are marked encrypted (what a sniffer on the wire could not read).
/// </summary>
internal static class SessionApi
{
    /// <summary>
    /// One line of a transcript: <c>Dir</c> is <c>C</c> (client to server), <c>S</c> (server to client) or <c>*</c> (what the
    /// server noted); <c>Text</c> the line as the trace has it (AUTH data redacted unless the lab reveals secrets);
    /// <c>Encrypted</c> whether it crossed the wire inside TLS.
    /// </summary>
    public sealed record TranscriptLine(long Seq, DateTimeOffset Time, string Dir, string Kind, string Text, bool Encrypted);

    /// <summary>
    /// A session's transcript; <c>TlsAt</c> is the sequence number of its TlsEstablished event (null: all plaintext),
    /// <c>Complete</c> whether both its start and its end are still in the in-memory trace.
    /// </summary>
    public sealed record Transcript(string Session, string Site, string Role, string? Client, long? TlsAt, string? TlsVersion,
        IReadOnlyList<TranscriptLine> Lines, bool Complete);

    public static IResult Get(HttpContext http, string id)
    {
        if (!TraceFilter.SessionId().IsMatch(id)) return DashboardApi.Problem(StatusCodes.Status400BadRequest, "a session id is 1 to 64 letters, digits, '.', '_', ':' or '-'");
        var context = DashboardContext.Of(http);
        return Build(context, context.Viewer(http), id) is { } transcript
            ? DashboardJson.Result(transcript)
            : DashboardApi.Problem(StatusCodes.Status404NotFound, $"no session '{id}' in the in-memory trace (or not yours)");
    }

    /// <summary>The transcript of session <paramref name="id"/>, or null when the ring has none the viewer may see.</summary>
    internal static Transcript? Build(DashboardContext context, DashboardViewer viewer, string id)
    {
        var all = context.Trace.Query();
        var events = all.Where(e => e.Session == id).ToList();
        if (events.Count == 0 || !viewer.SeesAll && (viewer.Student is not { } s || !TraceFilter.StudentEvents(all, s).Contains(events[0].Sequence)))
        {
            // Another student's session is "not found", so its existence is not revealed either.
            return null;
        }
        var lines = new List<TranscriptLine>();
        long? tlsAt = null;
        string? version = null;
        foreach (var e in events)
        {
            if (e.Kind == TraceKind.TlsEstablished)
            {
                tlsAt ??= e.Sequence;
                version = e.Field("Version");
            }
            lines.Add(new TranscriptLine(e.Sequence, e.Time, Direction(e), e.Kind.ToString(), Line(e), tlsAt is not null && e.Sequence > tlsAt));
        }
        var first = events[0];
        bool complete = first.Kind == TraceKind.SessionOpened && events[^1].Kind == TraceKind.SessionClosed;
        return new Transcript(id, first.Site, first.Role.ToString(), events.Select(e => e.Field("Client")).FirstOrDefault(c => c is not null),
            tlsAt, version, lines, complete);
    }

    // In a relay session the lab is the client: its commands are C: and the peer's replies S:.
    private static string Direction(TraceEvent e) => e.Kind switch
    {
        TraceKind.CommandReceived or TraceKind.RelayCommandSent => "C",
        TraceKind.ReplySent or TraceKind.RelayReplyReceived => "S",
        _ => "*",
    };

    // Every protocol writes its lines as "C: ..." / "S: ...", a multi-line reply joined with " | ": the transcript unfolds them.
    private static string Line(TraceEvent e)
    {
        if (Direction(e) == "*" || e.Text.Length < 3 || e.Text[1] != ':' || e.Text[2] != ' ') return e.Text;
        return e.Text[3..].Replace(" | ", "\n", StringComparison.Ordinal);
    }
}
