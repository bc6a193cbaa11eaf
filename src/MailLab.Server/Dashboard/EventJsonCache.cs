using System.Text.Json;
using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The JSON of the most recent events, one slot per sequence number modulo <see cref="Slots"/>: every live
/// stream sends the same events within moments of each other, so each is serialised once, and the cache
/// holds at most <see cref="Slots"/> strings (events are capped, so a few MiB) however long the lab runs.
/// </summary>
internal sealed class EventJsonCache
{
    /// <summary>How many events' JSON is kept (a power of two).</summary>
    public const int Slots = 4096;

    private readonly Entry?[] slots = new Entry?[Slots];

    /// <summary>The event as the API writes it (<see cref="DashboardJson"/>).</summary>
    public string Get(TraceEvent e)
    {
        ref Entry? slot = ref slots[e.Sequence & (Slots - 1)];
        // A reference read or write is atomic: a race makes the JSON twice, never a wrong one.
        if (Volatile.Read(ref slot) is { } hit && hit.Sequence == e.Sequence && ReferenceEquals(hit.Event, e)) return hit.Json;
        string json = JsonSerializer.Serialize(DashboardJson.Of(e), DashboardJson.Options);
        Volatile.Write(ref slot, new Entry(e.Sequence, e, json));
        return json;
    }

    private sealed record Entry(long Sequence, TraceEvent Event, string Json);
}
