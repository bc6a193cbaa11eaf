using System.Buffers;
using System.Text;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;

namespace MailLab.Tests.Protocols.Smtp;

public class SmtpDataReaderTests
{
    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    // Runs whole, byte by byte, and as one-byte segments; asserts all three agree and returns one.
    private static Feed.DataRun ReadAllWays(string input, long maxSize = 1 << 20, int maxTextLine = 1000)
    {
        byte[] bytes = Feed.Bytes(input);
        var whole = Feed.ReadData([bytes], maxSize, maxTextLine);
        var byByte = Feed.ReadData(bytes.Select(b => new[] { b }), maxSize, maxTextLine);
        var segments = Feed.ReadData([bytes], maxSize, maxTextLine, oneByteSegments: true);
        foreach (var other in new[] { byByte, segments })
        {
            Assert.Equal(whole.Status, other.Status);
            Assert.Equal(S(whole.Output), S(other.Output));
            Assert.Equal(S(whole.Rest), S(other.Rest));
            Assert.Equal(whole.Reader.Size, other.Reader.Size);
            Assert.Equal(whole.Reader.TooLarge, other.Reader.TooLarge);
            Assert.Equal(whole.Reader.LineTooLong, other.Reader.LineTooLong);
            Assert.Equal(whole.Reader.BareLineEnding, other.Reader.BareLineEnding);
        }
        return whole;
    }

    [Theory]
    [InlineData(".\r\n", "")]                                               // empty message right after DATA
    [InlineData("\r\n.\r\n", "\r\n")]
    [InlineData("Subject: hi\r\n\r\nHello\r\n.\r\n", "Subject: hi\r\n\r\nHello\r\n")]
    [InlineData("..\r\n.\r\n", ".\r\n")]                                    // §4.5.2: one leading dot removed
    [InlineData("...\r\n.\r\n", "..\r\n")]
    [InlineData("..leading\r\n.\r\n", ".leading\r\n")]
    [InlineData(".x\r\n.\r\n", "x\r\n")]
    [InlineData("a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n")]               // a stuffed "." line is not the end
    [InlineData("mid.dle.\r\n.\r\n", "mid.dle.\r\n")]                      // dots inside a line stay
    [InlineData("line .\r\n.\r\n", "line .\r\n")]
    [InlineData("Grüße\r\n.\r\n", "Grüße\r\n")]                            // 8BITMIME / SMTPUTF8 bytes pass through
    public void Unstuffs_and_ends_at_crlf_dot_crlf(string input, string expected)
    {
        var run = ReadAllWays(input);
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.Equal(expected, S(run.Output));
        Assert.Equal(Encoding.UTF8.GetByteCount(expected), run.Reader.Size);
        Assert.False(run.Reader.BareLineEnding);
        Assert.False(run.Reader.TooLarge);
        Assert.False(run.Reader.LineTooLong);
        Assert.True(run.Reader.IsComplete);
        Assert.Empty(run.Rest);
    }

    [Fact]
    public void Bytes_after_the_end_are_left_for_the_session()
    {
        var run = ReadAllWays("Hi\r\n.\r\nQUIT\r\n");
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.Equal("Hi\r\n", S(run.Output));
        Assert.Equal("QUIT\r\n", S(run.Rest));
    }

    [Theory]
    [InlineData("Hi\r\n")]
    [InlineData("Hi\r\n.")]
    [InlineData("Hi\r\n.\r")]
    [InlineData("Hi")]
    [InlineData("")]
    public void Incomplete_input_needs_more_data(string input)
    {
        var run = ReadAllWays(input);
        Assert.Equal(DataStatus.NeedMoreData, run.Status);
        Assert.False(run.Reader.IsComplete);
        Assert.Empty(run.Rest); // all consumed, the state is in the reader
    }

    // SMTP smuggling: none of these may end the data; the real CRLF.CRLF later does.
    [Theory]
    [InlineData("Hi\n.\r\nMAIL FROM:<x@evil.test>\r\n", "<LF>.<CR><LF>")]
    [InlineData("Hi\r\n.\nMAIL FROM:<x@evil.test>\r\n", "<CR><LF>.<LF>")]
    [InlineData("Hi\n.\nMAIL FROM:<x@evil.test>\r\n", "<LF>.<LF>")]
    [InlineData("Hi\r.\r\nMAIL FROM:<x@evil.test>\r\n", "<CR>.<CR><LF>")]
    [InlineData("Hi\r\n.\rMAIL FROM:<x@evil.test>\r\n", "<CR><LF>.<CR>")]
    [InlineData("Hi\r.\rMAIL FROM:<x@evil.test>\r\n", "<CR>.<CR>")]
    [InlineData("Hi\r\n.\r\r\nMAIL FROM:<x@evil.test>\r\n", "<CR><LF>.<CR><CR><LF>")]
    [InlineData(".\nMAIL FROM:<x@evil.test>\r\n", "first line .<LF>")]
    [InlineData("a\rb\r\n", "bare CR mid-line")]
    [InlineData("a\nb\r\n", "bare LF mid-line")]
    public void Bare_line_endings_never_end_data(string smuggled, string name)
    {
        Assert.NotNull(name);
        var partial = ReadAllWays(smuggled);
        Assert.Equal(DataStatus.NeedMoreData, partial.Status);
        Assert.True(partial.Reader.BareLineEnding);

        var run = ReadAllWays(smuggled + "tail\r\n.\r\nQUIT\r\n");
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.True(run.Reader.BareLineEnding);
        Assert.EndsWith("tail\r\n", S(run.Output));
        Assert.Equal("QUIT\r\n", S(run.Rest));
    }

    [Fact]
    public void Smuggled_end_directly_followed_by_real_end()
    {
        // "<LF>.<CR><LF>" then ".<CR><LF>": the real end is the CRLF of the smuggled line plus ".CRLF".
        var run = ReadAllWays("Hi\n.\r\n.\r\nRSET\r\n");
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.True(run.Reader.BareLineEnding);
        Assert.Equal("RSET\r\n", S(run.Rest));
    }

    [Fact]
    public void Every_split_into_three_chunks_gives_the_same_result()
    {
        const string input = "From: a@uc.test\r\n\r\n..stuffed\r\nline.\r\n\r\n.x\r\n.\r\nQUIT\r\n";
        const string expected = "From: a@uc.test\r\n\r\n.stuffed\r\nline.\r\n\r\nx\r\n";
        byte[] bytes = Feed.Bytes(input);
        for (int i = 0; i <= bytes.Length; i++)
        {
            for (int j = i; j <= bytes.Length; j++)
            {
                var run = Feed.ReadData([bytes[..i], bytes[i..j], bytes[j..]]);
                Assert.True(run.Status == DataStatus.Complete, $"split {i},{j}");
                Assert.Equal(expected, S(run.Output));
                Assert.Equal("QUIT\r\n", S(run.Rest));
                Assert.Equal(expected.Length, run.Reader.Size);
                Assert.False(run.Reader.BareLineEnding);
            }
        }
    }

    [Fact]
    public void Every_split_of_a_smuggling_attempt_is_caught()
    {
        byte[] bytes = Feed.Bytes("Hi\n.\r\nMAIL FROM:<x@evil.test>\r\n.\r\nQUIT\r\n");
        for (int i = 0; i <= bytes.Length; i++)
        {
            var run = Feed.ReadData([bytes[..i], bytes[i..]]);
            Assert.Equal(DataStatus.Complete, run.Status);
            Assert.True(run.Reader.BareLineEnding, $"split {i}");
            Assert.Equal("QUIT\r\n", S(run.Rest));
        }
    }

    [Fact]
    public void Message_at_the_size_limit_is_accepted()
    {
        var run = ReadAllWays("12345678\r\n.\r\n", maxSize: 10);
        Assert.False(run.Reader.TooLarge);
        Assert.Equal(10, run.Reader.Size);
        Assert.Equal("12345678\r\n", S(run.Output));
    }

    [Fact]
    public void Message_over_the_size_limit_is_consumed_to_the_end_without_output()
    {
        var run = ReadAllWays("123456789\r\nmore lines\r\n.\r\nQUIT\r\n", maxSize: 10);
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.True(run.Reader.TooLarge);
        Assert.Equal(23, run.Reader.Size);
        Assert.True(run.Output.Length <= 10, $"wrote {run.Output.Length} octets");
        Assert.Equal("QUIT\r\n", S(run.Rest));
    }

    [Theory]
    [InlineData("12345678\r\n.\r\n", false)]   // 10 octets with CRLF: at the limit
    [InlineData("123456789\r\n.\r\n", true)]   // 11
    [InlineData(".2345678\r\n.\r\n", false)]   // stuffing dot counts on the wire: 10
    [InlineData("..2345678\r\n.\r\n", true)]   // 11 on the wire, 10 unstuffed
    [InlineData("123456789\n\r\n.\r\n", false)] // 9 + bare LF = 10
    public void Text_line_limit_counts_octets_with_crlf(string input, bool tooLong)
    {
        var run = ReadAllWays(input, maxTextLine: 10);
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.Equal(tooLong, run.Reader.LineTooLong);
    }

    [Fact]
    public void Long_line_keeps_reading_and_keeps_output()
    {
        string longLine = new('x', 5000);
        var run = ReadAllWays(longLine + "\r\n.\r\nNOOP\r\n");
        Assert.True(run.Reader.LineTooLong);
        Assert.Equal(longLine + "\r\n", S(run.Output));
        Assert.Equal("NOOP\r\n", S(run.Rest));
    }

    [Fact]
    public void Limits_record_configures_the_reader_and_framer()
    {
        var limits = new SmtpLimits { MaxMessageSize = 4, MaxCommandLine = 8 };
        var reader = new SmtpDataReader(limits);
        var buffer = new ReadOnlySequence<byte>(Feed.Bytes("12345\r\n.\r\n"));
        Assert.Equal(DataStatus.Complete, reader.Read(ref buffer, new ArrayBufferWriter<byte>()));
        Assert.True(reader.TooLarge);

        var framer = limits.NewCommandFramer();
        var line = new ReadOnlySequence<byte>(Feed.Bytes("1234567\r\n"));
        Assert.Equal(FrameStatus.LineTooLong, framer.Read(ref line, out _));
    }

    [Fact]
    public void Read_after_complete_consumes_nothing()
    {
        var reader = new SmtpDataReader(100, 1000);
        var writer = new ArrayBufferWriter<byte>();
        var buffer = new ReadOnlySequence<byte>(Feed.Bytes(".\r\n"));
        Assert.Equal(DataStatus.Complete, reader.Read(ref buffer, writer));
        var next = new ReadOnlySequence<byte>(Feed.Bytes("QUIT\r\n"));
        Assert.Equal(DataStatus.Complete, reader.Read(ref next, writer));
        Assert.Equal(6, next.Length);
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Large_message_streams_with_correct_size()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 2000; i++)
            sb.Append(i % 7 == 0 ? ".dotted line " : "plain line ").Append(i).Append("\r\n");
        string body = sb.ToString();
        string wire = body.Replace("\r\n.", "\r\n..");
        if (wire.StartsWith('.')) wire = "." + wire;
        byte[] bytes = Feed.Bytes(wire + ".\r\n");
        var chunks = bytes.Chunk(4096).ToList();
        var run = Feed.ReadData(chunks, maxSize: 1 << 20);
        Assert.Equal(DataStatus.Complete, run.Status);
        Assert.Equal(body, S(run.Output));
        Assert.Equal(body.Length, run.Reader.Size);
    }
}
