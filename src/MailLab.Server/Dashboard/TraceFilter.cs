using System.Text.RegularExpressions;
using MailLab.Server.Exercises;
using MailLab.Server.Lab;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The filters of <c>/api/trace</c> and its event stream, read from the query string and checked: an
/// unknown parameter, a repeated one, an unknown site, role or kind, or a value past its limit is a 400.
/// </summary>
internal sealed partial record TraceFilter(
    string? Site, TraceRole? Role, string? Session, string? Message, TraceKind? Kind, string? Student, string? Text, long? After, int Limit,
    bool Rows = false, int? Rate = null)
{
    /// <summary>Highest <c>rate</c> a stream may ask for (events a second).</summary>
    public const int MaxRate = 100_000;

    /// <summary>Most events one answer carries (and the default history of the live trace page).</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Events per answer when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 1_000;

    /// <summary>Longest search text (<c>q</c>).</summary>
    public const int MaxTextLength = 200;

    private static readonly string[] Keys = ["site", "role", "session", "message", "kind", "student", "q", "after", "limit", "view", "rate"];

    /// <summary>Session ids as the listeners make them (<c>C12</c>), with room for other prefixes.</summary>
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    internal static partial Regex SessionId();

    [GeneratedRegex("^[\\x21-\\x7e]{1,200}$")]
    private static partial Regex MessageId();

    /// <summary>
    /// Reads the filters; on a problem the result is null, <paramref name="error"/> says what and <paramref name="status"/>
    /// is 400 (or 403: a student asking for another's events). <paramref name="lastEventId"/> (a reconnecting event
    /// stream's header) stands for <c>after</c> when that is absent.
    /// </summary>
    public static TraceFilter? Parse(IQueryCollection query, LabDefinition lab, DashboardViewer viewer, string? lastEventId, out string? error, out int status)
    {
        status = StatusCodes.Status400BadRequest;
        error = query.Keys.FirstOrDefault(k => !Keys.Contains(k)) is { } unknown
            ? $"unknown parameter '{Clip(unknown)}' (known: {string.Join(", ", Keys)})"
            : query.FirstOrDefault(p => p.Value.Count > 1) is { Key: { } repeated } ? $"parameter '{repeated}' given more than once" : null;
        if (error is not null) return null;
        string? Value(string key) => query.TryGetValue(key, out var v) && v.ToString() is { Length: > 0 } s ? s : null;

        string? site = Value("site");
        if (site is not null && site != "lab" && !lab.Sites.Any(s => s.Name.Equals(site, StringComparison.OrdinalIgnoreCase)))
        {
            error = $"unknown site '{Clip(site)}' (sites: lab, {string.Join(", ", lab.Sites.Select(s => s.Name))})";
            return null;
        }
        TraceRole? role = null;
        if (Value("role") is { } r && !TryName(r, out role)) { error = $"unknown role '{Clip(r)}' (roles: {string.Join(", ", Enum.GetNames<TraceRole>())})"; return null; }
        TraceKind? kind = null;
        if (Value("kind") is { } k && !TryName(k, out kind)) { error = $"unknown kind '{Clip(k)}' (see docs/events.md)"; return null; }
        string? session = Value("session");
        if (session is not null && !SessionId().IsMatch(session)) { error = "session must be 1 to 64 letters, digits, '.', '_', ':' or '-'"; return null; }
        string? message = Value("message");
        if (message is not null && !MessageId().IsMatch(message)) { error = "message must be 1 to 200 printable ASCII characters"; return null; }
        string? text = Value("q");
        if (text is not null && (text.Length > MaxTextLength || text.Any(char.IsControl))) { error = $"q must be at most {MaxTextLength} characters, none a control character"; return null; }

        string? student = Value("student");
        if (student is not null && (student.Length > DashboardAccess.MaxUserLength || !StudentScope.IsValid(student)))
        {
            error = "student must be a lab mail address or an IP address";
            return null;
        }
        if (viewer.Role == DashboardRole.Student)
        {
            // A student sees their own events only, whatever they ask.
            if (student is not null && !student.Equals(viewer.Student, StringComparison.OrdinalIgnoreCase))
            {
                (error, status) = ("a student sees only their own events", StatusCodes.Status403Forbidden);
                return null;
            }
            student = viewer.Student;
        }

        long? after = null;
        // A reconnecting EventSource sends Last-Event-ID: newer than the after= of the URL it reconnects to.
        string? afterText = string.IsNullOrEmpty(lastEventId) ? Value("after") : lastEventId;
        if (afterText is not null)
        {
            if (!long.TryParse(afterText, System.Globalization.NumberStyles.None, null, out long a)) { error = "after (or Last-Event-ID) must be an event sequence number, 0 or more"; return null; }
            after = a;
        }
        int limit = DefaultLimit;
        if (Value("limit") is { } l && (!int.TryParse(l, System.Globalization.NumberStyles.None, null, out limit) || limit is < 1 or > MaxLimit))
        {
            error = $"limit must be 1 to {MaxLimit}";
            return null;
        }
        bool rows = false;
        if (Value("view") is { } view && !(rows = view == "row") && view != "full")
        {
            error = "view must be full (whole events, the default) or row (what the live list shows)";
            return null;
        }
        int? rate = null;
        if (Value("rate") is { } rt)
        {
            if (!int.TryParse(rt, System.Globalization.NumberStyles.None, null, out int perSecond) || perSecond is < 1 or > MaxRate)
            {
                error = $"rate must be 1 to {MaxRate} events a second";
                return null;
            }
            rate = perSecond;
        }
        return new TraceFilter(site, role, session, message, kind, student, text, after, limit, rows, rate);
    }

    /// <summary>Whether an event passes every filter but the student's (that one needs the whole trace: <see cref="StudentEvents"/>).</summary>
    public bool Matches(TraceEvent e) =>
        (Site is null || e.Site.Equals(Site, StringComparison.OrdinalIgnoreCase))
        && (Role is null || e.Role == Role)
        && (Session is null || e.Session == Session)
        && (Message is null || e.Message == Message)
        && (Kind is null || e.Kind == Kind)
        && (After is null || e.Sequence > After)
        && (Text is null || e.Text.Contains(Text, StringComparison.OrdinalIgnoreCase) || e.Kind.ToString().Contains(Text, StringComparison.OrdinalIgnoreCase));

    /// <summary>The sequence numbers of <paramref name="student"/>'s events among <paramref name="events"/> (the exercise checker's scope).</summary>
    public static HashSet<long> StudentEvents(IReadOnlyList<TraceEvent> events, string student) =>
        StudentScope.Filter(RecordedEvent.Number(events), student).Select(r => r.Event.Sequence).ToHashSet();

    // Names only: Enum.TryParse would also take "3" or "1,2".
    private static bool TryName<T>(string text, out T? value) where T : struct, Enum
    {
        value = Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name ? Enum.Parse<T>(name) : null;
        return value is not null;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
