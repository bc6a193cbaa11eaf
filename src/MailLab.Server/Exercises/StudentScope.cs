using System.Net;
using MailLab.Server.Trace;

namespace MailLab.Server.Exercises;

/// <summary>
/// The part of a trace that belongs to one student: the sessions opened from the student's IP address,
/// or the sessions in which the student's mail address logged in (AUTH, POP3, IMAP); then, transitively,
/// what those sessions caused: the queue's relay of a message they submitted and the receiving site's
/// session of that message (found by queue id and by the Message-ID header), and the session of an attacker the lab
/// plays that read it on the way; and the events without a session
/// (HTTP requests to the lab's web service) that came from the student's address.
/// </summary>
public static class StudentScope
{
    /// <summary>Whether <paramref name="student"/> is an IP address or a mail address.</summary>
    public static bool IsValid(string student) => IPAddress.TryParse(student, out _) || IsMailAddress(student);

    /// <summary>The student's events, in trace order.</summary>
    internal static IReadOnlyList<RecordedEvent> Filter(IReadOnlyList<RecordedEvent> events, string student)
    {
        var scope = new Tracker(student);
        scope.Grow(events);
        return events.Where(scope.Contains).ToList();
    }

    /// <summary>
    /// One student's scope, grown batch by batch: a live stream feeds each new batch of events through
    /// <see cref="Grow"/> and keeps what <see cref="Contains"/> admits, instead of scoping the whole ring again for
    /// every batch. The state is the student's sessions, queue ids and Message-IDs, so it stays as small as their work.
    /// </summary>
    internal sealed class Tracker
    {
        private readonly string student;
        private readonly IPAddress? ip;
        private readonly HashSet<string> sessions = new(StringComparer.Ordinal);
        private readonly HashSet<string> queueIds = new(StringComparer.Ordinal);
        private readonly HashSet<string> messageIds = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>An empty scope for <paramref name="student"/> (an IP address or a mail address).</summary>
        public Tracker(string student)
        {
            if (!IsValid(student)) throw new ArgumentException($"'{student}' is neither an IP address nor a mail address", nameof(student));
            this.student = student;
            // Parsed once, not per event: the dashboard scopes every student over the whole ring.
            ip = IPAddress.TryParse(student, out var parsed) ? parsed : null;
        }

        /// <summary>
        /// Takes in what <paramref name="events"/> (the next ones in trace order) add to the scope; returns the sessions
        /// that joined it (their keys), whose earlier events, before <paramref name="events"/>, are the student's too: the
        /// receiving site's session joins at its MessageReceived, after its SPF steps.
        /// </summary>
        public IReadOnlyList<string> Grow(IReadOnlyList<RecordedEvent> events)
        {
            var joined = new List<string>();
            foreach (var e in events)
            {
                if (e.SessionKey is { } key && Owns(e.Event, student, ip) && sessions.Add(key)) joined.Add(key);
            }
            bool grew = true;
            while (grew)
            {
                grew = false;
                foreach (var e in events.Where(e => e.SessionKey is { } k && sessions.Contains(k)))
                {
                    if (e.Event.Message is { } q) grew |= queueIds.Add(q);
                    if (e.Event.Kind == TraceKind.MessageReceived && e.Event.Field("MessageId") is { Length: > 0 } id) grew |= messageIds.Add(id);
                }
                foreach (var e in events)
                {
                    if (e.SessionKey is not { } k || sessions.Contains(k)) continue;
                    // The receiving site's session of the message, and a man in the middle's session that read it (AttackerSaw).
                    bool caused = e.Event.Message is { } q && queueIds.Contains(q)
                        || e.Event.Kind is TraceKind.MessageReceived or TraceKind.AttackerSaw && e.Event.Field("MessageId") is { } id && messageIds.Contains(id);
                    if (caused && sessions.Add(k))
                    {
                        joined.Add(k);
                        grew = true;
                    }
                }
            }
            return joined;
        }

        /// <summary>
        /// Whether <paramref name="e"/> is the student's. Sessionless events: a message's queue events, and the lab web
        /// service's requests (one event each, naming the client).
        /// </summary>
        public bool Contains(RecordedEvent e) => e.SessionKey is { } k ? sessions.Contains(k)
            : e.Event.Message is { } q && queueIds.Contains(q) || e.Event.Role == TraceRole.WEB && Owns(e.Event, student, ip);
    }

    private static bool Owns(TraceEvent e, string student, IPAddress? ip)
    {
        if (e.Origin is not null) return false; // the lab's own connections are nobody's, whatever address they come from
        if (ip is not null)
        {
            return e.Field("Client") is { } client && IPAddress.TryParse(client, out var c) && Same(c, ip);
        }
        var who = e.Kind == TraceKind.AuthFailed ? e.Field("Login") : LoggedIn(e);
        return who is not null && string.Equals(who, student, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The mail address an event says logged in (AUTH, POP3 or IMAP login, a submission's authenticated sender);
    /// null for any other event. A failed login is not one: it names whoever was typed.
    /// </summary>
    internal static string? LoggedIn(TraceEvent e) => e.Kind switch
    {
        TraceKind.AuthSucceeded or TraceKind.MailboxAccess => e.Field("User"),
        TraceKind.EnvelopeMailFrom => e.Field("AuthenticatedUser"),
        _ => null,
    };

    private static bool Same(IPAddress a, IPAddress b) =>
        (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(b.IsIPv4MappedToIPv6 ? b.MapToIPv4() : b);

    private static bool IsMailAddress(string s) => s.IndexOf('@') is > 0 and var at && at < s.Length - 1 && !s.Contains(' ');
}
