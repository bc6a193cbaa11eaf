using System.Buffers;
using System.Text;
using MailLab.Protocols.Pop3;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;
using MailLab.Tests.Protocols.Smtp;

namespace MailLab.Tests.Pop3;

/// <summary>The sans-IO POP3 pieces: parser, state table, replies, dot-stuffing, APOP.</summary>
public sealed class Pop3ProtocolTests
{
    [Theory]
    [InlineData("STAT", Pop3Verb.Stat, null, null)]
    [InlineData("list", Pop3Verb.List, null, null)]
    [InlineData("LIST 2", Pop3Verb.List, 2, null)]
    [InlineData("Retr 7", Pop3Verb.Retr, 7, null)]
    [InlineData("TOP 3 0", Pop3Verb.Top, 3, 0)]
    [InlineData("UIDL 1", Pop3Verb.Uidl, 1, null)]
    [InlineData("DELE 1", Pop3Verb.Dele, 1, null)]
    public void Parses_commands_and_message_numbers(string line, Pop3Verb verb, int? number, int? lines)
    {
        var c = Pop3CommandParser.Parse(line).Command!;
        Assert.Equal(verb, c.Verb);
        Assert.Equal(number, c.Number);
        Assert.Equal(lines, c.Lines);
    }

    [Fact]
    public void PASS_keeps_spaces_and_AUTH_takes_an_initial_response()
    {
        Assert.Equal("my secret pass", Pop3CommandParser.Parse("PASS my secret pass").Command!.Argument);
        var auth = Pop3CommandParser.Parse("AUTH PLAIN AGFsaWNlAHB3").Command!;
        Assert.Equal(["PLAIN", "AGFsaWNlAHB3"], auth.Arguments);
        Assert.Equal(["alice", "c4c9334bac560ecc979e58001b3e22fb"], Pop3CommandParser.Parse("APOP alice c4c9334bac560ecc979e58001b3e22fb").Command!.Arguments);
    }

    [Theory]
    [InlineData("", "Empty command line")]
    [InlineData("XYZZY", "Unknown command")]
    [InlineData("RETR", "Syntax: RETR msg")]
    [InlineData("RETR 0", "Invalid message number '0'")]
    [InlineData("RETR -1", "Invalid message number '-1'")]
    [InlineData("RETR +1", "Invalid message number '+1'")]
    [InlineData("LIST 99999999999", "Invalid message number '99999999999'")]
    [InlineData("TOP 1", "Syntax: TOP msg n")]
    [InlineData("TOP 1 x", "Invalid line count 'x'")]
    [InlineData("STAT now", "Syntax: STAT")]
    [InlineData("USER", "Syntax: USER name")]
    [InlineData("APOP alice", "Syntax: APOP name digest")]
    public void Refuses_malformed_lines_with_a_reason(string line, string error)
    {
        var r = Pop3CommandParser.Parse(line);
        Assert.Null(r.Command);
        Assert.Equal(error, r.Error);
    }

    [Fact]
    public void State_table_is_the_RFC_1939_diagram()
    {
        Assert.Equal(Pop3State.UserGiven, Pop3StateTable.Find(Pop3State.Authorization, Pop3Verb.User)!.Next);
        Assert.Equal(Pop3State.Transaction, Pop3StateTable.Find(Pop3State.UserGiven, Pop3Verb.Pass)!.Next);
        Assert.Equal(Pop3State.Authorization, Pop3StateTable.Find(Pop3State.UserGiven, Pop3Verb.Pass)!.Failed);
        Assert.Equal(Pop3State.Update, Pop3StateTable.Find(Pop3State.Transaction, Pop3Verb.Quit)!.Next);
        Assert.Null(Pop3StateTable.Find(Pop3State.Authorization, Pop3Verb.Pass));
        Assert.Null(Pop3StateTable.Find(Pop3State.Transaction, Pop3Verb.Stls));
        Assert.Null(Pop3StateTable.Find(Pop3State.Authorization, Pop3Verb.Noop)); // RFC 1939 §5: TRANSACTION only
        foreach (var verb in new[] { Pop3Verb.Stat, Pop3Verb.List, Pop3Verb.Retr, Pop3Verb.Dele, Pop3Verb.Rset, Pop3Verb.Top, Pop3Verb.Uidl })
        {
            Assert.Null(Pop3StateTable.Find(Pop3State.Authorization, verb));
            Assert.Equal(Pop3State.Transaction, Pop3StateTable.Find(Pop3State.Transaction, verb)!.Next);
        }
        Assert.Equal("STAT is only valid in the TRANSACTION state; log in first", Pop3StateTable.BadSequence(Pop3State.Authorization, Pop3Verb.Stat));
        Assert.Equal("PASS must follow a successful USER", Pop3StateTable.BadSequence(Pop3State.Authorization, Pop3Verb.Pass));
        Assert.Equal("USER is only valid before login; already logged in", Pop3StateTable.BadSequence(Pop3State.Transaction, Pop3Verb.User));
    }

    [Fact]
    public void Replies_render_resp_codes_and_refuse_line_breaks()
    {
        Assert.Equal("+OK 2 320\r\n", Pop3Reply.Positive("2 320").Render());
        Assert.Equal("-ERR [IN-USE] locked\r\n", Pop3Reply.Negative("locked", Pop3RespCode.InUse).Render());
        Assert.Throws<ArgumentException>(() => Pop3Reply.Positive("a\r\n+OK injected"));
        Assert.Equal("1 10\r\n..hidden\r\n.\r\n", Pop3MultiLine.Render(["1 10", ".hidden"]));
        Assert.Equal(".\r\n", Pop3MultiLine.Render([]));
    }

    private static string Stuff(string message, int? lines, FeedMode mode)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var output = new ArrayBufferWriter<byte>();
        var s = new Pop3DotStuffer(lines);
        if (mode == FeedMode.Whole)
        {
            s.Write(bytes, output);
        }
        else
        {
            foreach (var b in bytes) s.Write([b], output);
        }
        s.Finish(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData(FeedMode.Whole)]
    [InlineData(FeedMode.ByteByByte)]
    public void Dot_stuffing_doubles_leading_dots_and_nothing_else(FeedMode mode)
    {
        const string message = "Subject: dots\r\n\r\n.\r\n..two\r\nmid.dle\r\n.\r\nend\r\n";
        Assert.Equal("Subject: dots\r\n\r\n..\r\n...two\r\nmid.dle\r\n..\r\nend\r\n.\r\n", Stuff(message, null, mode));
        // A body without a final line break gets one before the terminator.
        Assert.Equal("Subject: x\r\n\r\nno newline\r\n.\r\n", Stuff("Subject: x\r\n\r\nno newline", null, mode));
        Assert.Equal(".\r\n", Stuff("", null, mode));
    }

    [Theory]
    [InlineData(FeedMode.Whole)]
    [InlineData(FeedMode.ByteByByte)]
    public void TOP_sends_the_header_the_blank_line_and_n_body_lines(FeedMode mode)
    {
        const string message = "From: a@b\r\nSubject: t\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n";
        Assert.Equal("From: a@b\r\nSubject: t\r\n\r\n.\r\n", Stuff(message, 0, mode));
        Assert.Equal("From: a@b\r\nSubject: t\r\n\r\nline 1\r\n..line 2\r\n.\r\n", Stuff(message, 2, mode));
        Assert.Equal(Stuff(message, null, mode), Stuff(message, 99, mode));
    }

    [Fact]
    public void APOP_digest_matches_the_RFC_1939_example()
    {
        // RFC 1939 §7: the example exchange.
        Assert.Equal("c4c9334bac560ecc979e58001b3e22fb", Pop3Apop.Digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"));
        Assert.True(Pop3Apop.Verify("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf", "C4C9334BAC560ECC979E58001B3E22FB"));
        Assert.False(Pop3Apop.Verify("<1896.697170952@dbc.mtview.ca.us>", "tanstaaF", "c4c9334bac560ecc979e58001b3e22fb"));
        Assert.Matches(@"^<\d+\.\d+\.\d+@mx\.uc\.test>$", Pop3Apop.NewTimestamp("mx.uc.test"));
        Assert.NotEqual(Pop3Apop.NewTimestamp("h"), Pop3Apop.NewTimestamp("h"));
    }

    [Theory]
    [InlineData(FeedMode.Whole)]
    [InlineData(FeedMode.ByteByByte)]
    public void Command_lines_are_limited_to_255_octets(FeedMode mode)
    {
        var input = Feed.Bytes("STAT\r\n" + "LIST " + new string('1', 260) + "\r\nNOOP\r\n");
        var (results, _) = Feed.Frame(input, mode, Pop3Limits.MaxCommandLine);
        Assert.Equal([(FrameStatus.Line, "STAT"), (FrameStatus.LineTooLong, ""), (FrameStatus.Line, "NOOP")], results);
    }
}
