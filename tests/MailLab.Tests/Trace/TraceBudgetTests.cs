using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Trace;

/// <summary>Issue 20 item 2, the trace side: every traced value is capped and the in-memory ring has a byte budget.</summary>
public class TraceBudgetTests
{
    [Fact]
    public void Huge_fields_are_cut_with_a_note_and_the_ring_stays_under_its_budget()
    {
        const long budget = 200_000;
        var stream = new TraceStream(1_000, budget);
        var trace = new Tracer(stream, null, revealSecrets: false).For("uc", TraceRole.IMAP, "C1");
        var huge = new string('x', 1_000_000);
        for (int i = 0; i < 300; i++)
        {
            // ReplySent declares a string (Line), a string list (Lines) and an integer (Untraced): TraceContract.
            trace.Emit(TraceKind.ReplySent, "C: " + huge, ("Line", huge), ("Lines", Enumerable.Repeat("é" + huge, 1_000).ToArray()), ("Untraced", i));
            Assert.True(stream.RetainedBytes <= budget, $"{stream.RetainedBytes} bytes retained after {i + 1} events");
        }

        var kept = stream.Query();
        Assert.NotEmpty(kept);
        Assert.Equal(kept.Sum(e => (long)TraceEventCodec.Encode(e).Length), stream.RetainedBytes); // what left the ring was subtracted
        var last = kept[^1];
        Assert.Equal("299", last.Field("Untraced"));
        Assert.EndsWith($"…(1000003 octets, {1_000_003 - TraceLimits.MaxValueOctets} not shown)", last.Text);
        Assert.EndsWith($"…(1000000 octets, {1_000_000 - TraceLimits.MaxValueOctets} not shown)", last.Field("Line"));
        var lines = (string[])last.Fields["Lines"]!;
        Assert.True(lines.Sum(l => System.Text.Encoding.UTF8.GetByteCount(l)) <= TraceLimits.MaxListOctets + 100, "the list is over its octet cap");
        Assert.Equal($"…({1_000 - lines.Length + 1} more items not shown)", lines[^1]);
        // "é" is two octets: the cut keeps whole characters.
        Assert.StartsWith("éxxx", lines[0]);
        Assert.EndsWith($"…(1000002 octets, {1_000_002 - TraceLimits.MaxValueOctets} not shown)", lines[0]);
    }

    [Fact]
    public void Long_lists_keep_their_first_items_and_say_how_many_more()
    {
        var stream = new TraceStream(16);
        var many = Enumerable.Range(0, 1_000).Select(i => $"r{i}@bank.test").ToArray();
        new Tracer(stream, null, false).For("uc", TraceRole.MTA, "C1").Emit(TraceKind.MessageReceived, "m", ("Recipients", many));
        var kept = (string[])Assert.Single(stream.Query()).Fields["Recipients"]!;
        Assert.Equal(TraceLimits.MaxListItems, kept.Length);
        Assert.Equal("r254@bank.test", kept[^2]);
        Assert.Equal($"…({1_000 - TraceLimits.MaxListItems + 1} more items not shown)", kept[^1]);
    }

    [Fact]
    public void Short_values_and_their_objects_are_kept_as_they_are()
    {
        var stream = new TraceStream(16);
        var lines = new[] { "250-mx.uc.test", "250 SMTPUTF8" };
        new Tracer(stream, null, false).For("uc", TraceRole.MTA, "C1").Emit(TraceKind.ReplySent, "S: 250", ("Lines", lines), ("Code", 250));
        var e = Assert.Single(stream.Query());
        Assert.Same(lines, e.Fields["Lines"]);
        Assert.Equal("S: 250", e.Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // with reveal-secrets the whole command line is traced: only the cap bounds it
    public async Task Repeated_60000_octet_IMAP_LOGIN_arguments_are_not_kept_whole(bool reveal)
    {
        var yaml = TestLab.LabYaml(revealSecrets: reveal)
            .Replace("ports: { mta: 0, submission: 0, submissions: 0 }", "ports: { mta: 0, submission: 0, submissions: 0, imap: 0, imaps: 0 }");
        await using var lab = TestLab.FromYaml(yaml, reveal).Start();
        var ep = lab.Runtime!.EndPoint("uc", "IMAP", "starttls");
        var name = new string('n', 60_000);
        const int commands = 150;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        TcpClient? tcp = null;
        ClientLines? lines = null;
        try
        {
            for (int i = 0; i < commands; i++)
            {
                if (tcp is null)
                {
                    tcp = new TcpClient();
                    await tcp.ConnectAsync(ep, timeout.Token);
                    lines = new ClientLines(tcp.GetStream());
                    Assert.StartsWith("* OK", await lines.ReadLineAsync(timeout.Token));
                }
                await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"a{i} LOGIN {name} pw\r\n"), timeout.Token);
                string? line;
                while ((line = await lines!.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith($"a{i} ", StringComparison.Ordinal))
                {
                }
                // A new connection every 5 commands stays under IMAP's 10 refused commands before login,
                // after which the session ends (and a command sent meanwhile would never be read).
                if (line is null || line.Contains("BYE", StringComparison.Ordinal) || i % 5 == 4)
                {
                    tcp.Dispose();
                    tcp = null;
                }
            }
        }
        finally
        {
            tcp?.Dispose();
        }

        var events = lab.Events();
        var logins = events.Where(e => e.Kind == TraceKind.CommandReceived && e.Text.Contains(" LOGIN ", StringComparison.Ordinal)).ToList();
        Assert.Equal(commands, logins.Count);
        // Every value is cut to the cap (plus its note); the 60,000 octets are never held whole.
        var longest = events.Select(e => Math.Max(e.Text.Length, e.Fields.Values.OfType<string>().Select(v => v.Length).DefaultIfEmpty(0).Max())).Max();
        Assert.True(longest <= 4_200, $"a value of {longest} characters is kept");
        long held = events.Sum(e => (long)e.Text.Length + e.Fields.Values.OfType<string>().Sum(v => (long)v.Length));
        Assert.True(held < commands * 20_000L, $"{held} characters held for {commands} commands");
        Assert.True(lab.Tracer.Stream.RetainedBytes < commands * 40_000L, $"the ring accounts {lab.Tracer.Stream.RetainedBytes} bytes");
    }
}
