using System.Buffers;
using System.Text;
using MailLab.Protocols.Imap;

namespace MailLab.Tests.Protocols.Imap;

/// <summary><see cref="ImapFramer.Trim"/>: a buffer grown by a large literal is dropped only when no partial command is in it.</summary>
public sealed class ImapFramerTrimTests
{
    private static ImapFrameStatus Read(ImapFramer framer, string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text));
        var status = framer.Read(ref buffer);
        Assert.Equal(0, buffer.Length); // each piece here is consumed whole
        return status;
    }

    [Fact]
    public void Trim_after_a_large_literal_keeps_a_partial_command_and_frames_the_next_ones_exactly()
    {
        var framer = new ImapFramer(8192, 1 << 20);
        var body = string.Concat(Enumerable.Range(0, 1000).Select(i => $"line {i:D4} of the appended message\r\n"));
        Assert.True(body.Length > ImapFramer.KeptCapacity);
        Assert.Equal(ImapFrameStatus.NeedContinuation, Read(framer, $"1 APPEND INBOX {{{body.Length}}}\r\n"));
        framer.Trim(); // a literal is on its way: nothing may be dropped
        Assert.Equal(ImapFrameStatus.NeedMoreData, Read(framer, body[..20000]));
        framer.Trim();
        Assert.Equal(ImapFrameStatus.Complete, Read(framer, body[20000..] + "\r\n"));
        var append = ImapParser.Parse(framer.Frame).Command!;
        Assert.Equal(body, Encoding.ASCII.GetString(append.Arguments[1].Bytes.Span));

        // The session waits for its client: the grown buffer goes, then a command arrives in two pieces
        // with a wait (and a Trim) between them.
        framer.Trim();
        Assert.Equal(ImapFrameStatus.NeedMoreData, Read(framer, "2 NO"));
        framer.Trim();
        Assert.Equal(ImapFrameStatus.Complete, Read(framer, "OP\r\n"));
        Assert.Equal("2 NOOP\r\n", Encoding.ASCII.GetString(framer.Frame.Span));
        Assert.Equal(ImapFrameStatus.Complete, Read(framer, "3 LOGOUT\r\n"));
        Assert.Equal("3 LOGOUT\r\n", Encoding.ASCII.GetString(framer.Frame.Span));
    }
}
