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
        var cache = new EventJsonCache(DashboardJson.Of);
        string Text(byte[] frame) => System.Text.Encoding.UTF8.GetString(frame);
        var first = Event(7, "first");
        byte[] frame = cache.Frame(first);
        Assert.StartsWith("id: 7\nevent: trace\ndata: {", Text(frame));
        Assert.EndsWith("}\n\n", Text(frame));
        Assert.Contains("\"text\":\"first\"", Text(frame));
        Assert.Same(frame, cache.Frame(first));
        // The same event read back decoded from the trace ring (a stream behind its newest events) is a hit too.
        Assert.Same(frame, cache.Frame(TraceEventCodec.Decode(TraceEventCodec.Encode(first))));
        // Another event under the same number (another tracer's) is not.
        Assert.Contains("\"text\":\"other\"", Text(cache.Frame(first with { Time = first.Time.AddTicks(1), Text = "other" })));

        var later = Event(7 + EventJsonCache.Slots, "later"); // the same slot
        Assert.Contains("\"text\":\"later\"", Text(cache.Frame(later)));
        Assert.Contains("\"text\":\"first\"", Text(cache.Frame(first))); // made again, not the later event's
    }

    [Fact]
    public void A_row_frame_carries_the_listed_columns_and_a_reply_code_but_no_fields()
    {
        var rows = new EventJsonCache(DashboardJson.RowOf);
        var reply = new TraceEvent(9, DateTimeOffset.UnixEpoch, "bank", TraceRole.MTA, "C3", "Q1", TraceKind.ReplySent, "550 5.7.1 rejected",
            TraceFields.Own([("Code", 550), ("Enhanced", "5.7.1")]));
        string frame = System.Text.Encoding.UTF8.GetString(rows.Frame(reply));
        Assert.StartsWith("id: 9\nevent: trace\ndata: {", frame);
        Assert.Contains("\"code\":550", frame);
        Assert.Contains("\"session\":\"C3\"", frame);
        Assert.DoesNotContain("fields", frame);
        Assert.DoesNotContain("5.7.1\"", frame.Replace("550 5.7.1 rejected", "")); // the Enhanced field stays in the whole event
        // An event read back from a followed trace file holds its numbers as long.
        var followed = reply with { Sequence = 10, Fields = TraceFields.Own([("Code", 250L)]) };
        Assert.Contains("\"code\":250", System.Text.Encoding.UTF8.GetString(rows.Frame(followed)));
        Assert.DoesNotContain("code", System.Text.Encoding.UTF8.GetString(rows.Frame(Event(11, "closed"))));
    }
}
