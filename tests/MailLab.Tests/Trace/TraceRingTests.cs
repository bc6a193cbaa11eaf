using System.Text;
using System.Text.Json;
using MailLab.Server.Dashboard;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Trace;

/// <summary>
/// The ring keeps events encoded (<see cref="TraceEventCodec"/>) and the newest ones as objects too (issue 19). A decoded
/// event must be the event: the same trace.jsonl line, the same API JSON, the same fields with values of the same type.
/// </summary>
public sealed class TraceRingTests
{
    public static TheoryData<string, object?> Values => new()
    {
        { "string", "250 2.0.0 OK <\"quoted\"> & é \u0001 \U0001F600" },
        { "empty string", "" },
        { "int", -550 },
        { "long", -4_000_000_000L },
        { "uint", 4_000_000_000U },
        { "ulong", ulong.MaxValue },
        { "short", (short)-7 },
        { "ushort", (ushort)65_000 },
        { "byte", (byte)200 },
        { "sbyte", (sbyte)-100 },
        { "true", true },
        { "false", false },
        { "double", 0.1 + 0.2 },
        { "NaN", double.NaN },
        { "float", 1.5f },
        { "decimal", 12.50m },
        { "array", new[] { "a", "b <c>", "", "é" } },
        { "empty array", Array.Empty<string>() },
        { "null", null },
        { "time", new DateTimeOffset(2026, 12, 7, 13, 0, 0, 123, TimeSpan.FromHours(1)) },
        { "utc DateTime", new DateTime(2026, 12, 7, 13, 0, 0, DateTimeKind.Utc) },
        { "span", TimeSpan.FromMilliseconds(1234.5) },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_comes_back_with_its_type_and_value(string name, object? value)
    {
        var e = Event(7, TraceFields.Own([("Code", 250), (name, value)]));
        var back = TraceEventCodec.Decode(TraceEventCodec.Encode(e));
        var got = back.Fields[name];
        Assert.Equal(value?.GetType(), got?.GetType());
        Assert.Equal(value, got);
        AssertSame(e, back);
    }

    [Fact]
    public void A_list_comes_back_as_an_array_and_another_type_as_its_text()
    {
        var e = Event(8, TraceFields.Own([("List", new List<string> { "x", "y" }), ("Enum", TraceRole.MTA), ("Uri", new Uri("http://uc.test/"))]));
        var back = TraceEventCodec.Decode(TraceEventCodec.Encode(e));
        Assert.Equal(new[] { "x", "y" }, Assert.IsType<string[]>(back.Fields["List"]));
        Assert.Equal("MTA", back.Fields["Enum"]);
        Assert.Equal("http://uc.test/", back.Fields["Uri"]);
        AssertSame(e, back); // both JSON writers already wrote these as strings
    }

    [Fact]
    public async Task Every_event_of_a_signed_relayed_and_verified_message_survives_the_ring()
    {
        await using var lab = TestLab.Create().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "through the ring é", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        var events = lab.Events();
        Assert.Contains(events, e => e.Kind == TraceKind.DkimResult);
        Assert.Contains(events, e => e.Kind == TraceKind.DmarcEvaluated);
        foreach (var e in events) AssertSame(e, TraceEventCodec.Decode(TraceEventCodec.Encode(e)));
    }

    [Fact]
    public void Past_its_newest_events_the_ring_decodes_and_keeps_exactly_the_newest_that_fit_its_bytes()
    {
        const long budget = 64 * 1024;
        var stream = new TraceStream(50_000, budget);
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1");
        var all = new List<TraceEvent>();
        var random = new Random(19);
        for (int i = 0; i < 5_000; i++)
        {
            // Sizes from a few dozen octets to about 9 KB, so records wrap round the end of the array at every offset.
            var line = new string((char)('a' + i % 26), random.Next(0, 3_000)) + "é";
            all.Add(trace.Emit(TraceKind.ReplySent, $"S: {i}", ("Line", line), ("Code", i), ("Lines", new[] { line, line })));
            Assert.True(stream.RetainedBytes <= budget, $"{stream.RetainedBytes} bytes after {i + 1} events");
            if (i % 97 != 0) continue;

            var kept = stream.Query();
            Assert.NotEmpty(kept);
            // The newest events, none missing: a suffix of what was emitted.
            Assert.Equal(all.Skip(all.Count - kept.Count).Select(x => x.Sequence), kept.Select(x => x.Sequence));
            for (int k = 0; k < kept.Count; k++) AssertSame(all[all.Count - kept.Count + k], kept[k]);
            // Nothing dropped that would still have fitted.
            long held = kept.Sum(x => (long)TraceEventCodec.Encode(x).Length);
            Assert.Equal(held, stream.RetainedBytes);
            // At most one record's room is wasted at the end of the array and one is free before the oldest.
            if (kept.Count < all.Count) Assert.True(held >= budget - 3 * 9_200, $"only {held} bytes kept");
        }
    }

    [Fact]
    public void The_newest_events_are_the_objects_emitted_and_older_ones_are_read_back_decoded()
    {
        var stream = new TraceStream();
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1");
        var all = Enumerable.Range(0, TraceStream.RecentEvents + 100).Select(i => trace.Emit(TraceKind.SessionOpened, $"open {i}", ("ClientPort", i))).ToList();

        var kept = stream.Query();
        Assert.Equal(all.Count, kept.Count);
        for (int i = 0; i < all.Count; i++)
        {
            AssertSame(all[i], kept[i]);
            Assert.Equal(i >= 100, ReferenceEquals(all[i], kept[i])); // the newest: the very objects the tracer made
        }

        // A live reader behind the newest reads the same events, in order, across the boundary.
        var read = new List<TraceEvent>();
        long position = stream.ReadFrom(60, read, max: 80);
        Assert.Equal(140, position);
        Assert.Equal(Enumerable.Range(60, 80).Select(i => $"open {i}"), read.Select(e => e.Text));
        // A query matches decoded events as it matches objects.
        Assert.Equal(all.Count, stream.Query(new TraceQuery(Session: "C1", Kind: TraceKind.SessionOpened)).Count);
        Assert.Empty(stream.Query(new TraceQuery(Session: "C2")));
    }

    [Fact]
    public void A_long_ring_is_decoded_in_chunks_and_while_a_live_reader_reads_the_newest_thousands_stay_objects()
    {
        var stream = new TraceStream();
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1");
        var all = Enumerable.Range(0, 3_000).Select(i => trace.Emit(TraceKind.SessionOpened, $"open {i}", ("ClientPort", i))).ToList();
        // One record larger than a read chunk (64 KiB): a list at its octet cap and a long line.
        all.Add(trace.Emit(TraceKind.ReplySent, "big", ("Line", new string('l', 4_000)), ("Lines", Enumerable.Repeat(new string('x', 4_000), 17).ToArray())));
        Assert.True(TraceEventCodec.Encode(all[^1]).Length > 64 * 1024);
        all.AddRange(Enumerable.Range(0, TraceStream.RecentEvents).Select(i => trace.Emit(TraceKind.SessionOpened, $"after {i}")));

        var kept = stream.Query();
        Assert.Equal(all.Count, kept.Count);
        for (int i = 0; i < all.Count; i++) AssertSame(all[i], kept[i]);
        Assert.False(ReferenceEquals(all[3_000], kept[3_000])); // the big one was decoded

        var read = new List<TraceEvent>();
        long position = stream.ReadFrom(0, read, int.MaxValue); // a live reader from the first event
        Assert.Equal(all.Select(e => e.Text), read.Select(e => e.Text));
        var live = Enumerable.Range(0, 2_000).Select(i => trace.Emit(TraceKind.SessionOpened, $"live {i}")).ToList();
        read.Clear();
        Assert.Equal(stream.Count, stream.ReadFrom(position, read, int.MaxValue));
        Assert.Equal(live.Count, read.Count);
        for (int i = 0; i < live.Count; i++) Assert.Same(live[i], read[i]); // no reader decodes what it reads within moments
    }

    [Fact]
    public async Task Whole_ring_queries_decode_each_event_once_and_the_copy_is_let_go_when_nobody_queries()
    {
        var stream = new TraceStream { MirrorWindowMs = 300 };
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1");
        var all = Enumerable.Range(0, 1_000).Select(i => trace.Emit(TraceKind.SessionOpened, $"open {i}", ("ClientPort", i))).ToList();
        Assert.False(stream.Mirroring);
        var once = stream.Query();
        Assert.True(stream.Mirroring);
        all.AddRange(Enumerable.Range(0, 10).Select(i => trace.Emit(TraceKind.SessionOpened, $"more {i}")));
        var again = stream.Query();
        Assert.Equal(all.Count, again.Count);
        for (int i = 0; i < all.Count; i++) AssertSame(all[i], again[i]);
        for (int i = 0; i < once.Count; i++) Assert.Same(once[i], again[i]); // from the copy, not decoded again

        await Task.Delay(600);
        trace.Emit(TraceKind.SessionOpened, "later"); // an append after the window lets the copy go
        Assert.False(stream.Mirroring);
        var fresh = stream.Query();
        Assert.NotSame(once[0], fresh[0]);
        AssertSame(all[0], fresh[0]);
    }

    [Fact]
    public void An_event_larger_than_the_budget_is_kept_while_it_is_among_the_newest_and_the_ring_goes_on()
    {
        var stream = new TraceStream(100, byteBudget: 1_000);
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.MTA, "C1");
        trace.Emit(TraceKind.SessionOpened, "small");
        var big = trace.Emit(TraceKind.ReplySent, "big", ("Line", new string('x', 3_000)));
        Assert.Same(big, stream.Query()[^1]);
        Assert.Equal(0, stream.RetainedBytes);
        trace.Emit(TraceKind.SessionOpened, "after");
        Assert.Equal(["big", "after"], stream.Query().Select(e => e.Text));
        Assert.True(stream.RetainedBytes is > 0 and <= 1_000);
    }

    private static TraceEvent Event(long sequence, TraceFields fields) =>
        new(sequence, new DateTimeOffset(2026, 12, 7, 16, 0, 0, TimeSpan.Zero).AddTicks(sequence), "bank", TraceRole.MTA, "C1", "Q1", TraceKind.ReplySent, "text", fields)
        {
            Origin = "relay",
        };

    // The same event as both writers and the exercise checker see it.
    private static void AssertSame(TraceEvent expected, TraceEvent actual)
    {
        Assert.Equal(Line(expected), Line(actual));
        Assert.Equal(Api(expected), Api(actual));
        Assert.Equal(expected with { Fields = TraceFields.Empty }, actual with { Fields = TraceFields.Empty });
        Assert.Equal(expected.Fields.Keys, actual.Fields.Keys);
        foreach (var (name, value) in expected.Fields)
        {
            // A list's ToString is only its type's name; the exercise checker reads lists as lists.
            if (value is not string && value is IEnumerable<string> list) Assert.Equal(list, Assert.IsType<string[]>(actual.Fields[name]));
            else Assert.Equal(expected.Field(name), actual.Field(name));
        }
    }

    private static string Line(TraceEvent e)
    {
        var sb = new StringBuilder();
        TraceJson.Append(sb, e);
        return sb.ToString();
    }

    private static string Api(TraceEvent e) => JsonSerializer.Serialize(DashboardJson.Of(e), DashboardJson.Info<DashboardJson.ApiEvent>());
}
