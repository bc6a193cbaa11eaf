using MailLab.Server.Dashboard;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dashboard;

/// <summary>Each event's stream JSON is made once for every open stream, and a slot reused by a later event never serves the old JSON.</summary>
public sealed class EventJsonCacheTests
{
    private static TraceEvent Event(long seq, string text) =>
        new(seq, DateTimeOffset.UnixEpoch, "uc", TraceRole.MSA, "C1", null, TraceKind.SessionClosed, text, TraceFields.Empty);

    [Fact]
    public void The_same_event_is_serialised_once_and_a_reused_slot_gets_its_own_json()
    {
        var cache = new EventJsonCache();
        var first = Event(7, "first");
        string json = cache.Get(first);
        Assert.Contains("\"text\":\"first\"", json);
        Assert.Same(json, cache.Get(first));

        var later = Event(7 + EventJsonCache.Slots, "later"); // the same slot
        Assert.Contains("\"text\":\"later\"", cache.Get(later));
        Assert.Contains("\"text\":\"first\"", cache.Get(first)); // made again, not the later event's
    }
}
