using System.Text;
using MailLab.Server.Trace;

namespace MailLab.Tests.Trace;

/// <summary>The redirected console's trace lines go out whole, in writes a pipe keeps in one piece, so another writer never splits one.</summary>
public class LineBatchSinkTests
{
    // Writes the event's text as it is (the test decides the lines).
    private static void Text(StringBuilder sb, TraceEvent e) => sb.Append(e.Text);

    private sealed class Recording : MemoryStream
    {
        public List<byte[]> Writes { get; } = [];

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes.Add(buffer.AsSpan(offset, count).ToArray());
            base.Write(buffer, offset, count);
        }
    }

    private static TraceEvent Event(string text) =>
        new(1, DateTimeOffset.UnixEpoch, "uc", TraceRole.MTA, null, null, TraceKind.CommandReceived, text, new Dictionary<string, object?>());

    [Fact]
    public void Lines_are_written_whole_in_writes_of_at_most_PIPE_BUF_and_a_partial_line_waits()
    {
        var output = new Recording();
        var sink = new LineBatchSink(output, Text);
        var lines = Enumerable.Range(0, 200).Select(i => $"line {i} " + new string('é', i % 70) + "\n").ToList();
        var longLine = new string('x', 9000) + "\n";
        foreach (var line in lines.Take(100)) sink.Emit(Event(line));
        sink.Emit(Event(longLine));
        foreach (var line in lines.Skip(100)) sink.Emit(Event(line));
        sink.Emit(Event("half a line"));
        sink.Flush();

        Assert.Equal(string.Concat(lines.Take(100)) + longLine + string.Concat(lines.Skip(100)), System.Text.Encoding.UTF8.GetString(output.ToArray()));
        Assert.True(output.Writes.Count > 1);
        Assert.All(output.Writes, w => Assert.Equal((byte)'\n', w[^1]));
        Assert.All(output.Writes, w => Assert.True(w.Length <= LineBatchSink.MaxWrite || w.AsSpan(0, w.Length - 1).IndexOf((byte)'\n') < 0,
            $"a write of {w.Length} octets holds more than one line"));

        sink.Emit(Event(" and its end\n"));
        sink.Flush();
        Assert.EndsWith("half a line and its end\n", System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }
}
