using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// The trace's size limits, stated once. A client decides much of what the trace says (command
/// lines, names, DNS questions), so no event may hold an unbounded copy of it, and the in-memory
/// ring is bounded in bytes as well as in events: a client repeating a 60,000-octet command
/// cannot make the lab hold more than <see cref="RingByteBudget"/> (and the few newest events as objects).
/// </summary>
internal static class TraceLimits
{
    /// <summary>
    /// Most UTF-8 octets kept of an event's <c>Text</c> and of each string field (each element of a
    /// string-array field). The rest is replaced by a note that says how much was cut, for example
    /// <c>…(60000 octets, 55904 not shown)</c>. Longer than any line a well-behaved peer sends
    /// (RFC 5321 §4.5.3.1: 512-octet commands; RFC 4954 §4: 12,288-octet AUTH lines are masked anyway).
    /// </summary>
    public const int MaxValueOctets = 4096;

    /// <summary>Most elements kept of a string-array field; a last element says how many more there were.</summary>
    public const int MaxListItems = 256;

    /// <summary>Most UTF-8 octets kept of a string-array field, all elements together (then as <see cref="MaxListItems"/>).</summary>
    public const int MaxListOctets = 16 * MaxValueOctets;

    /// <summary>Events the in-memory ring keeps at most (older ones stay in trace.jsonl).</summary>
    public const int RingEvents = 50_000;

    /// <summary>
    /// Bytes of encoded events (<see cref="TraceEventCodec"/>) the in-memory ring holds, in one array made at start;
    /// beyond it the oldest events are dropped, even if fewer than <see cref="RingEvents"/> remain. An event of the
    /// checked MTA path takes about 300 bytes encoded, a message about 12 KB, so 8 MiB keeps the last 650 or so
    /// messages (about 27,000 events, more than twice the dashboard's 10,000-event history). The newest
    /// <see cref="TraceStream.RecentEvents"/> events are also kept as objects, within <see cref="TraceStream.RecentBytes"/>
    /// (counted encoded). Held as objects, 16 MiB of an estimate of their size kept about 20,000 events (issue 19).
    /// </summary>
    public const long RingByteBudget = 8L * 1024 * 1024;

    /// <summary><paramref name="value"/>, or its first <see cref="MaxValueOctets"/> octets (whole characters) and a note of what was cut.</summary>
    public static string Cap(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length <= MaxValueOctets / 3) return value; // fits even if every character takes 3 octets
        int octets = Encoding.UTF8.GetByteCount(value);
        if (octets <= MaxValueOctets) return value;
        int keep = 0, used = 0;
        while (keep < value.Length)
        {
            bool pair = char.IsSurrogatePair(value, keep);
            int n = pair ? 4 : value[keep] < 0x80 ? 1 : value[keep] < 0x800 ? 2 : 3;
            if (used + n > MaxValueOctets) break;
            used += n;
            keep += pair ? 2 : 1;
        }
        return $"{value[..keep]}…({octets} octets, {octets - used} not shown)";
    }

    /// <summary>A field value with its strings capped; the same object when nothing needed cutting.</summary>
    public static object? CapValue(object? value)
    {
        switch (value)
        {
            case string s:
                return Cap(s);
            case IEnumerable<string> list:
                var items = list as IReadOnlyList<string> ?? [.. list];
                var capped = new List<string>(Math.Min(items.Count, MaxListItems));
                bool changed = !ReferenceEquals(items, value);
                long octets = 0;
                foreach (var item in items)
                {
                    var c = Cap(item ?? string.Empty);
                    octets += Encoding.UTF8.GetByteCount(c);
                    if (capped.Count == MaxListItems - 1 && items.Count > MaxListItems || octets > MaxListOctets)
                    {
                        capped.Add($"…({items.Count - capped.Count} more items not shown)");
                        changed = true;
                        break;
                    }
                    capped.Add(c);
                    changed |= !ReferenceEquals(c, item);
                }
                return changed ? capped.ToArray() : value;
            default:
                return value;
        }
    }
}
