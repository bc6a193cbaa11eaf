using System.Buffers;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;
using MailLab.Tests.Protocols.Smtp;

namespace MailLab.Tests.Protocols.Text;

public class CrlfLineFramerTests
{
    [Theory]
    [InlineData("NOOP\r\n", "NOOP")]
    [InlineData("NOOP\n", "NOOP")]                       // bare LF accepted on command lines (nc users)
    [InlineData("\r\n", "")]                              // an empty line is a line
    [InlineData("a\rb\r\n", "a\rb")]                      // only the CR before LF is stripped
    [InlineData("MAIL FROM:<jörg@bücher.test>\r\n", "MAIL FROM:<jörg@bücher.test>")] // UTF-8 decoded
    public void Frames_one_line(string input, string expected)
    {
        var result = Assert.Single(Feed.FrameAllModes(input));
        Assert.Equal((FrameStatus.Line, expected), result);
    }

    [Fact]
    public void Frames_pipelined_lines_in_order()
    {
        var results = Feed.FrameAllModes("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\nDATA\r\n");
        Assert.Equal(
            [(FrameStatus.Line, "MAIL FROM:<a@b.test>"), (FrameStatus.Line, "RCPT TO:<c@d.test>"), (FrameStatus.Line, "DATA")],
            results);
    }

    [Theory]
    [InlineData(FeedMode.Whole)]
    [InlineData(FeedMode.ByteByByte)]
    [InlineData(FeedMode.OneByteSegments)]
    public void Partial_line_is_left_in_the_buffer(FeedMode mode)
    {
        var (results, remaining) = Feed.Frame(Feed.Bytes("NOOP\r\nQUI"), mode);
        Assert.Equal([(FrameStatus.Line, "NOOP")], results);
        Assert.Equal(Feed.Bytes("QUI"), remaining);
    }

    [Fact]
    public void Line_of_exactly_512_octets_with_crlf_is_accepted()
    {
        string content = new('x', 510);
        Assert.Equal([(FrameStatus.Line, content)], Feed.FrameAllModes(content + "\r\n"));
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    public void Line_of_513_octets_is_too_long(string terminator)
    {
        string content = new('x', 511);
        Assert.Equal([(FrameStatus.LineTooLong, "")], Feed.FrameAllModes(content + terminator));
    }

    [Fact]
    public void Too_long_line_is_reported_once_and_the_next_line_is_framed()
    {
        var results = Feed.FrameAllModes(new string('x', 2000) + "\r\nNOOP\r\n");
        Assert.Equal([(FrameStatus.LineTooLong, ""), (FrameStatus.Line, "NOOP")], results);
    }

    [Fact]
    public void Custom_limit_is_applied()
    {
        Assert.Equal([(FrameStatus.Line, "12345678")], Feed.FrameAllModes("12345678\r\n", maxLine: 10));
        Assert.Equal([(FrameStatus.LineTooLong, "")], Feed.FrameAllModes("123456789\r\n", maxLine: 10));
    }

    [Fact]
    public void Endless_line_does_not_buffer_unboundedly()
    {
        var framer = new CrlfLineFramer(SmtpLimits.DefaultMaxCommandLine);
        byte[] chunk = new byte[1000];
        Array.Fill(chunk, (byte)'A');
        byte[] pending = [];
        for (int i = 0; i < 100; i++)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, .. chunk]);
            Assert.Equal(FrameStatus.NeedMoreData, framer.Read(ref buffer, out _));
            pending = buffer.ToArray();
            Assert.True(pending.Length < SmtpLimits.DefaultMaxCommandLine, $"kept {pending.Length} bytes");
        }
        Assert.True(framer.IsDiscarding);

        var end = new ReadOnlySequence<byte>([.. pending, .. Feed.Bytes("AAA\r\nQUIT\r\n")]);
        Assert.Equal(FrameStatus.LineTooLong, framer.Read(ref end, out _));
        Assert.Equal(FrameStatus.Line, framer.Read(ref end, out string line));
        Assert.Equal("QUIT", line);
        Assert.Equal(FrameStatus.NeedMoreData, framer.Read(ref end, out _));
    }

    [Fact]
    public void Partial_line_is_kept_only_while_it_can_still_fit()
    {
        // 511 octets without LF may still become 510 + CRLF; the 512th proves the line too long.
        var framer = new CrlfLineFramer(SmtpLimits.DefaultMaxCommandLine);
        byte[] pending = [];
        for (int n = 1; n <= 512; n++)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, (byte)'x']);
            Assert.Equal(FrameStatus.NeedMoreData, framer.Read(ref buffer, out _));
            pending = buffer.ToArray();
            Assert.Equal(n < 512 ? n : 0, pending.Length);
            Assert.Equal(n == 512, framer.IsDiscarding);
        }
    }

    [Fact]
    public void MaxLine_can_be_raised_for_a_sasl_exchange()
    {
        var framer = new CrlfLineFramer(SmtpLimits.DefaultMaxCommandLine) { MaxLine = SmtpLimits.DefaultMaxAuthLine };
        string response = new('Q', 4000);
        var buffer = new ReadOnlySequence<byte>(Feed.Bytes(response + "\r\n"));
        Assert.Equal(FrameStatus.Line, framer.Read(ref buffer, out string line));
        Assert.Equal(response, line);
    }

    [Fact]
    public void Reset_ends_discard_mode()
    {
        var framer = new CrlfLineFramer(10);
        var buffer = new ReadOnlySequence<byte>(Feed.Bytes(new string('x', 50)));
        framer.Read(ref buffer, out _);
        Assert.True(framer.IsDiscarding);
        framer.Reset();
        buffer = new ReadOnlySequence<byte>(Feed.Bytes("EHLO a\r\n"));
        Assert.Equal(FrameStatus.Line, framer.Read(ref buffer, out string line));
        Assert.Equal("EHLO a", line);
    }
}
