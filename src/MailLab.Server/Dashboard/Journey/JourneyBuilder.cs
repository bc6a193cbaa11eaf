using System.Text.RegularExpressions;
using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// Builds a message's journey, and the index of recent messages, from trace events alone (the in-memory
/// stream or trace.jsonl read back by <see cref="Exercises.TraceFileReader"/>). Pure: no I/O, no lab needed,
/// so the same code serves the API, the page and any script. See docs/journey.md.
/// </summary>
public static partial class JourneyBuilder
{
    /// <summary>At most this many messages in one index (<see cref="Recent"/>).</summary>
    public const int MaxListed = 1000;

    /// <summary>
    /// Whether <paramref name="id"/> has the form of a lab queue id: 12 characters of
    /// <c>0-9</c> and the consonants <c>BCDFGHJKLMNPQRSTVWXYZ</c> (src/MailLab.Server/Delivery/QueueId.cs).
    /// </summary>
    public static bool IsQueueId(string? id) => id is not null && QueueIdShape().IsMatch(id);

    [GeneratedRegex("^[0-9BCDFGHJ-NP-TV-Z]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex QueueIdShape();

    /// <summary>
    /// The journey of the message that had queue id <paramref name="id"/> at any hop, from its first hop on;
    /// null when no event names that id.
    /// </summary>
    public static MessageJourney? Build(IEnumerable<TraceEvent> events, string id)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (!IsQueueId(id)) return null;
        var trace = new MessageTrace(events);
        return trace.Knows(id) ? Build(trace, id) : null;
    }

    /// <summary>
    /// The most recent messages an SMTP session received (newest first, at most <paramref name="limit"/>,
    /// capped at <see cref="MaxListed"/>): one line per message, under its first hop's id.
    /// </summary>
    public static IReadOnlyList<MessageSummary> Recent(IEnumerable<TraceEvent> events, int limit = 100)
    {
        ArgumentNullException.ThrowIfNull(events);
        limit = Math.Clamp(limit, 0, MaxListed);
        var trace = new MessageTrace(events);
        var list = new List<MessageSummary>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (received, last) in trace.Received.OrderByDescending(kv => kv.Value))
        {
            if (list.Count >= limit) break;
            // A later hop is listed under its first hop: the submission, or the lab's own report mail that was relayed.
            var id = trace.Root(received);
            if (!seen.Add(id)) continue;
            var e = trace.Events[trace.Received.TryGetValue(id, out int at) ? at : last];
            var ids = trace.Chain(id);
            var hops = ids.Select(h => (Id: h, Events: trace.Hop(h))).ToList();
            list.Add(new MessageSummary(id, ids, e.Time, e.Site, e.Str("HeaderFrom"), e.Str("MailFrom") ?? "",
                e.List("Recipients"), e.Str("Subject"), Outcome(trace, hops)));
        }
        return list;
    }

    private static MessageJourney Build(MessageTrace trace, string id)
    {
        var ids = trace.Chain(trace.Root(id));
        var hops = ids.Select(h => (Id: h, Events: trace.Hop(h))).ToList();
        var hopEvents = hops.SelectMany(h => h.Events).Distinct().Order().Select(i => trace.Events[i]).ToList();
        var first = ids.Where(trace.Received.ContainsKey).Select(h => trace.Events[trace.Received[h]]).FirstOrDefault();
        var dmarc = hopEvents.Where(e => e.Kind == TraceKind.DmarcEvaluated).Select(Dmarc).ToList();
        var dataReplies = hops.Select(h => trace.DataReply(h.Id, h.Events)).OfType<TraceEvent>().ToHashSet();
        var replies = dataReplies.Select(Reply).ToList();
        var fetches = Fetches(trace, hopEvents);
        var timeline = hopEvents.Concat(fetches).Select(e => Step(e, hopEvents, dataReplies)).OfType<JourneyStep>().ToList();
        return new MessageJourney(
            id, ids, first?.Str("MessageId"), first?.Str("Subject"), Outcome(trace, hops),
            Envelope(first, dmarc.LastOrDefault()),
            timeline,
            Spf(hopEvents),
            hopEvents.Where(e => e.Kind == TraceKind.DkimStep && e.Str("Step") == "sign").Select(Signing).ToList(),
            Dkim(hopEvents),
            dmarc,
            Verdicts(hopEvents),
            replies);
    }

    // How the message ended, over all its hops: a refusal anywhere wins, then the recipients' last states.
    private static string Outcome(MessageTrace trace, List<(string Id, SortedSet<int> Events)> hops)
    {
        var events = hops.SelectMany(h => h.Events).Select(i => trace.Events[i]).ToList();
        if (events.Any(e => e.Kind == TraceKind.MessageRejected)) return "rejected";
        var last = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in events.Where(e => e.Kind == TraceKind.RelayOutcome))
        {
            if (e.Str("Recipient") is { } r) last[r] = e.Str("State") ?? "";
        }
        bool delivered = events.Any(e => e.Kind == TraceKind.LocalDelivery);
        bool failed = last.Values.Contains("failed") || events.Any(e => e.Kind == TraceKind.DeliveryFailed);
        if (delivered && failed) return "partly delivered";
        if (failed) return "bounced";
        if (last.Values.Contains("deferred")) return "deferred";
        if (delivered) return "delivered";
        if (events.Any(e => e.Kind == TraceKind.QueueEntryAdded)) return "queued";
        return "received";
    }

    private static EnvelopeView Envelope(TraceEvent? received, DmarcView? dmarc)
    {
        string mailFrom = received?.Str("MailFrom") ?? "", envelopeDomain = received?.Str("EnvelopeDomain") ?? "";
        string? fromDomain = received?.Str("HeaderFromDomain");
        return new EnvelopeView(mailFrom, envelopeDomain, received?.Str("HeaderFrom"), fromDomain,
            received?.List("Recipients") ?? [],
            fromDomain is null ? null : string.Equals(fromDomain, envelopeDomain, StringComparison.OrdinalIgnoreCase),
            dmarc?.SpfAligned, dmarc?.DkimAligned, dmarc?.Alignments ?? [],
            JourneyRfcs.MailFrom, JourneyRfcs.HeaderFrom, JourneyRfcs.Alignment);
    }

    private static SmtpReplyView Reply(TraceEvent e)
    {
        int code = e.Int("Code") ?? 0;
        var text = string.Join(" ", e.List("Lines"));
        // RFC 7489 §10.3 is the section that asks for the 550 of a DMARC reject.
        var rfc = code >= 500 && text.StartsWith("DMARC", StringComparison.Ordinal) ? JourneyRfcs.DmarcReject : JourneyRfcs.Reply;
        return new SmtpReplyView(e.Site, e.Role.ToString(), e.Session, code, e.Str("Enhanced"), text, rfc);
    }

    /// <summary>
    /// The POP3 and IMAP reads of the copies this message's deliveries stored: same site, same user and
    /// folder, and the UID <c>LocalDelivery</c> gave (POP3's UIDL is <c>&lt;uidvalidity&gt;-&lt;uid&gt;</c>).
    /// </summary>
    private static List<TraceEvent> Fetches(MessageTrace trace, List<TraceEvent> hopEvents)
    {
        var stored = hopEvents.Where(e => e.Kind == TraceKind.LocalDelivery && e.Int("Uid") is not null)
            .Select(e => (e.Site, User: e.Str("Recipient") ?? "", Folder: e.Str("Folder") ?? "INBOX", Uid: e.Int("Uid")!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Sequence))
            .ToList();
        if (stored.Count == 0) return [];
        var found = new List<TraceEvent>();
        foreach (var e in trace.Events)
        {
            if (e.Kind != TraceKind.MailboxAccess || e.Str("Action") is not ("retrieve" or "top")) continue;
            foreach (var s in stored)
            {
                if (e.Site != s.Site || !string.Equals(e.Str("User"), s.User, StringComparison.OrdinalIgnoreCase)
                    || !string.Equals(e.Str("Folder") ?? "INBOX", s.Folder, StringComparison.OrdinalIgnoreCase)) continue;
                bool same = e.Role == TraceRole.POP3
                    ? e.Str("UniqueId") is { } uidl && uidl.EndsWith("-" + s.Uid, StringComparison.Ordinal)
                    : e.List("Uids").Contains(s.Uid);
                if (same && found.Count < 256) found.Add(e);
            }
        }
        return found.Distinct().ToList();
    }
}
