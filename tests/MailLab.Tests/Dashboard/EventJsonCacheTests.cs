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
        string Text(byte[] frame) => System.Text.Encoding.UTF8.GetString(frame);
        var first = Event(7, "first");
        byte[] frame = cache.Frame(first);
        Assert.StartsWith("id: 7\nevent: trace\ndata: {", Text(frame));
        Assert.EndsWith("}\n\n", Text(frame));
        Assert.Contains("\"text\":\"first\"", Text(frame));
        Assert.Same(frame, cache.Frame(first));

        var later = Event(7 + EventJsonCache.Slots, "later"); // the same slot
        Assert.Contains("\"text\":\"later\"", Text(cache.Frame(later)));
        Assert.Contains("\"text\":\"first\"", Text(cache.Frame(first))); // made again, not the later event's
    }
}
