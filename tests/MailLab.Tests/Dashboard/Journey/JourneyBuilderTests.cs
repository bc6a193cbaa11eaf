using MailLab.Server.Dashboard.Journey;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dashboard.Journey;

/// <summary>
/// The builder on its own, over events shaped as <see cref="Server.Exercises.TraceFileReader"/> reads them back
/// from trace.jsonl (whole numbers as long, lists as string arrays): the SPF include tree and the id rules.
/// </summary>
public sealed class JourneyBuilderTests
{
    private static long seq;

    private static TraceEvent E(TraceKind kind, string? message, params (string Name, object? Value)[] fields) =>
        new(++seq, DateTimeOffset.UtcNow, "bank", TraceRole.MTA, "C9", message, kind, kind.ToString(), fields.ToDictionary(f => f.Name, f => f.Value));

    private static TraceEvent Spf(string domain, string term, bool? matched, long lookups, string? note = null, string? query = null, string? answer = null) =>
        E(TraceKind.SpfStep, null, ("Identity", "mailfrom"), ("Domain", domain), ("Term", term), ("Query", query), ("Answer", answer),
            ("Matched", matched), ("Lookups", lookups), ("VoidLookups", 0L), ("Note", note));

    [Fact]
    public void An_include_holds_the_walk_of_the_included_domain_and_its_verdict()
    {
        const string id = "9B4P0481P48B";
        var events = new List<TraceEvent>
        {
            E(TraceKind.CommandReceived, null, ("Line", "MAIL FROM:<a@a.test>"), ("Verb", "MAIL")),
            Spf("a.test", "(record lookup)", null, 0, query: "TXT a.test", answer: "v=spf1 include:b.test -all"),
            Spf("a.test", "include:b.test", null, 1, note: "include b.test"),
            Spf("b.test", "(record lookup)", null, 1, query: "TXT b.test", answer: "v=spf1 ip4:127.0.9.1 -all"),
            Spf("b.test", "ip4:127.0.9.1", true, 1),
            Spf("a.test", "include:b.test", true, 1, note: "included record passed"),
            E(TraceKind.SpfResult, null, ("Identity", "mailfrom"), ("Result", "pass"), ("Domain", "a.test"), ("DecidingTerm", "include:b.test"),
                ("Sender", "a@a.test"), ("ClientIp", "127.0.9.1")),
            E(TraceKind.MessageReceived, id, ("MailFrom", "a@a.test"), ("HeaderFrom", "a@a.test"), ("HeaderFromDomain", "a.test"),
                ("EnvelopeDomain", "a.test"), ("Recipients", new[] { "bob@bank.test" }), ("Size", 100L), ("Tls", false)),
            E(TraceKind.ReplySent, null, ("Code", 250L), ("Enhanced", "2.0.0"), ("Lines", new[] { "Ok: queued as " + id })),
        };

        var j = JourneyBuilder.Build(events, id)!;

        var spf = Assert.Single(j.Spf);
        Assert.Equal(("pass", 1), (spf.Result, spf.Lookups));
        Assert.Equal(["(record lookup)", "include:b.test"], spf.Terms.Select(t => t.Term));
        var include = spf.Terms[1];
        Assert.Equal((true, "include b.test; included record passed", "RFC 7208 §5.2"), (include.Matched, include.Note, include.Rfc.Label));
        Assert.Equal(["(record lookup)", "ip4:127.0.9.1"], include.Children.Select(t => t.Term));
        Assert.All(include.Children, c => Assert.Equal("b.test", c.Domain));
        Assert.Equal(("received", 250), (j.Outcome, Assert.Single(j.Replies).Code));
        Assert.Contains(j.Timeline, s => s.Summary.EndsWith("100 octets for bob@bank.test", StringComparison.Ordinal));
    }

    [Fact]
    public void The_page_escapes_what_a_client_chose()
    {
        const string id = "9B4P0481P48C";
        var j = JourneyBuilder.Build(
        [
            E(TraceKind.MessageReceived, id, ("MailFrom", "x@evil.test"), ("HeaderFrom", "\"<img src=x onerror=alert(1)>\" <x@evil.test>"),
                ("HeaderFromDomain", "evil.test"), ("EnvelopeDomain", "evil.test"), ("Recipients", new[] { "bob@bank.test" }),
                ("Subject", "<script>alert('x')</script>"), ("Helo", "<b>helo</b>"), ("Client", "127.0.3.1"), ("Size", 10L), ("Tls", false)),
        ], id)!;

        var html = JourneyPage.Render(j);

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Contains("received from &lt;b&gt;helo&lt;/b&gt; [127.0.3.1]", html);
    }

    [Theory]
    [InlineData("8HYQ0H8VG4FG", true)]
    [InlineData("0123456789BZ", true)]
    [InlineData("8hyq0h8vg4fg", false)] // ids are upper case
    [InlineData("8HYQ0H8VG4FA", false)] // no vowels in the alphabet
    [InlineData("8HYQ0H8VG4F", false)]
    [InlineData("8HYQ0H8VG4FGG", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_queue_id_has_the_shape_queue_ids_are_made_in(string? id, bool valid) =>
        Assert.Equal(valid, JourneyBuilder.IsQueueId(id));

    [Fact]
    public void No_journey_for_an_id_no_event_names() =>
        Assert.Null(JourneyBuilder.Build([E(TraceKind.LabStopping, null)], "8HYQ0H8VG4FG"));
}
