using System.Text;
using System.Text.Json;
using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The Server-Sent Events frames of the most recent events (<c>id:</c>, <c>event: trace</c>, <c>data:</c> the
/// JSON), as UTF-8, one slot per sequence number modulo <see cref="Slots"/>: every live stream sends the same
/// events within moments of each other, so each is serialised and encoded once, and the cache holds at most
/// <see cref="Slots"/> frames (events are capped, so a few MiB) however long the lab runs.
/// </summary>
internal sealed class EventJsonCache(Func<TraceEvent, object> view)
{
    /// <summary>How many events' JSON is kept (a power of two).</summary>
    public const int Slots = 4096;

    private readonly Entry?[] slots = new Entry?[Slots];

    /// <summary>The event's frame: its JSON in this cache's view (<see cref="DashboardJson"/>) on one <c>data:</c> line.</summary>
    public byte[] Frame(TraceEvent e)
    {
        ref Entry? slot = ref slots[e.Sequence & (Slots - 1)];
        // A reference read or write is atomic: a race makes the frame twice, never a wrong one.
        // The same event, whether the very object or one read back from the ring (TraceStream) decoded: its sequence,
        // time and kind. The entry holds no event, so open streams keep no event objects alive.
        if (Volatile.Read(ref slot) is { } hit && hit.Sequence == e.Sequence && hit.Time == e.Time.UtcTicks && hit.Kind == e.Kind) return hit.Frame;
        // One data line: compact JSON never holds a raw newline.
        byte[] frame = Encoding.UTF8.GetBytes($"id: {e.Sequence}\nevent: trace\ndata: {Json(view(e))}\n\n");
        Volatile.Write(ref slot, new Entry(e.Sequence, e.Time.UtcTicks, e.Kind, frame));
        return frame;
    }

    // The view's own type (ApiEvent or RowEvent), from the source-generated context.
    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), DashboardJsonContext.Default);

    private sealed record Entry(long Sequence, long Time, TraceKind Kind, byte[] Frame);
}
