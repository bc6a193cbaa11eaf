using MailLab.Server.Trace;

namespace MailLab.Tests.Trace;

public class TraceFieldsTests
{
    [Fact]
    public void Lookup_finds_each_field_and_keeps_emission_order()
    {
        var f = TraceFields.Own([("Code", 250), ("Enhanced", null), ("Lines", new[] { "Ok" })]);

        Assert.Equal(3, f.Count);
        Assert.Equal(250, f["Code"]);
        Assert.True(f.TryGetValue("Enhanced", out var enhanced));
        Assert.Null(enhanced);
        Assert.Equal(["Code", "Enhanced", "Lines"], f.Keys);
        Assert.Equal(["Code", "Enhanced", "Lines"], f.Select(kv => kv.Key));
    }

    [Fact]
    public void Missing_field_is_absent_and_the_indexer_says_which()
    {
        var f = TraceFields.Own([("Code", 250)]);

        Assert.False(f.ContainsKey("code")); // names are case-sensitive, as before
        Assert.False(f.TryGetValue("Size", out _));
        var ex = Assert.Throws<KeyNotFoundException>(() => f["Size"]);
        Assert.Contains("Size", ex.Message);
    }

    [Fact]
    public void A_name_given_twice_keeps_its_last_value_once()
    {
        var f = TraceFields.Own([("Reason", "first"), ("Size", 1L), ("Reason", "second")]);

        Assert.Equal(2, f.Count);
        Assert.Equal("second", f["Reason"]);
        Assert.Equal(["Reason", "Size"], f.Keys);
    }

    [Fact]
    public void Emitted_events_carry_their_fields_through_the_stream()
    {
        var tracer = new Tracer(new TraceStream(16), null, revealSecrets: false);
        tracer.For("bank", TraceRole.MTA, "C1").Emit(TraceKind.ReplySent, "S: 250 Ok", ("Code", 250));
        tracer.Emit("lab", TraceRole.HOST, null, null, TraceKind.LabStarted, "started",
            new Dictionary<string, object?> { ["Lab"] = "bench" });

        var events = tracer.Stream.Query();
        Assert.Equal("250", events[0].Field("Code"));
        Assert.Equal("bench", events[1].Field("Lab"));
        Assert.Null(events[1].Field("Code"));
    }
}
