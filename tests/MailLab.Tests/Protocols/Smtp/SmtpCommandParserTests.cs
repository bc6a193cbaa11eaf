using MailLab.Protocols.Smtp;

namespace MailLab.Tests.Protocols.Smtp;

/// <summary>Every command form, good and bad; each line goes through the framer whole and byte by byte.</summary>
public class SmtpCommandParserTests
{
    private static SmtpCommand Good(string line)
    {
        SmtpParseResult result = Feed.ParseWire(line + "\r\n");
        Assert.True(result.IsSuccess, $"expected success, got {result}");
        Assert.Null(result.Error);
        Assert.Equal(line, result.Command!.Raw);
        Assert.Equal(result.Command.Verb, result.Verb);
        return result.Command;
    }

    private static SmtpReply Bad(string line, SmtpVerb verb, int code, string enhanced, string? textContains = null)
    {
        SmtpParseResult result = Feed.ParseWire(line + "\r\n");
        Assert.False(result.IsSuccess, $"expected an error for '{line}'");
        Assert.Null(result.Command);
        Assert.Equal(verb, result.Verb);
        Assert.Equal(code, result.Error!.Code);
        Assert.Equal(enhanced, result.Error.Enhanced);
        if (textContains is not null)
            Assert.Contains(textContains, result.Error.Text);
        return result.Error;
    }

    [Theory]
    [InlineData("EHLO client.uc.test", SmtpVerb.Ehlo, "client.uc.test")]
    [InlineData("ehlo client", SmtpVerb.Ehlo, "client")]
    [InlineData("HELO a-b.c1.test", SmtpVerb.Helo, "a-b.c1.test")]
    [InlineData("Helo client.uc.test   ", SmtpVerb.Helo, "client.uc.test")]
    [InlineData("EHLO [127.0.0.1]", SmtpVerb.Ehlo, "[127.0.0.1]")]
    [InlineData("EHLO [IPv6:::1]", SmtpVerb.Ehlo, "[IPv6:::1]")]
    [InlineData("EHLO [ipv6:2001:db8::1]", SmtpVerb.Ehlo, "[ipv6:2001:db8::1]")]
    [InlineData("EHLO [x400:c=us;a=b]", SmtpVerb.Ehlo, "[x400:c=us;a=b]")]
    [InlineData("EHLO bücher.test", SmtpVerb.Ehlo, "bücher.test")]
    public void Hello_good(string line, SmtpVerb verb, string domain)
    {
        SmtpCommand cmd = Good(line);
        Assert.Equal(verb, cmd.Verb);
        Assert.Equal(domain, cmd.Domain);
    }

    [Theory]
    [InlineData("EHLO", SmtpVerb.Ehlo, "Syntax: EHLO hostname")]
    [InlineData("HELO", SmtpVerb.Helo, "Syntax: HELO hostname")]
    [InlineData("EHLO my laptop", SmtpVerb.Ehlo, "Syntax: EHLO hostname")]
    [InlineData("EHLO -bad.test", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO bad-.test", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO a..test", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO under_score.test", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO [256.0.0.1]", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO [1.2.3]", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO [IPv6:zz::1]", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO [IPv6:192.0.2.1]", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("EHLO [127.0.0.1", SmtpVerb.Ehlo, "RFC 5321")]
    [InlineData("HELO aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", SmtpVerb.Helo, "RFC 5321")] // 64-octet label
    public void Hello_bad(string line, SmtpVerb verb, string text)
    {
        Bad(line, verb, 501, "5.5.4", text);
    }

    [Theory]
    [InlineData("MAIL FROM:<alice@uc.test>", "alice@uc.test", false)]
    [InlineData("mail from:<alice@uc.test>", "alice@uc.test", false)]
    [InlineData("MAIL FROM: <alice@uc.test>", "alice@uc.test", false)]
    [InlineData("MAIL FROM:<>", "", false)]
    [InlineData("MAIL FROM: <>", "", false)]
    [InlineData("MAIL FROM:alice@uc.test", "alice@uc.test", false)]
    [InlineData("MAIL FROM:<\"john doe\"@uc.test>", "\"john doe\"@uc.test", false)]
    [InlineData("MAIL FROM:<\"a\\\"b>\"@uc.test>", "\"a\\\"b>\"@uc.test", false)]
    [InlineData("MAIL FROM:<\"\"@uc.test>", "\"\"@uc.test", false)]
    [InlineData("MAIL FROM:<@relay1.test,@relay2.test:alice@uc.test>", "alice@uc.test", false)]
    [InlineData("MAIL FROM:<alice@[192.0.2.1]>", "alice@[192.0.2.1]", false)]
    [InlineData("MAIL FROM:<alice@[IPv6:2001:db8::1]>", "alice@[IPv6:2001:db8::1]", false)]
    [InlineData("MAIL FROM:<first.last+tag@uc.test>", "first.last+tag@uc.test", false)]
    [InlineData("MAIL FROM:<!#$%&'*+-/=?^_`{|}~@uc.test>", "!#$%&'*+-/=?^_`{|}~@uc.test", false)]
    [InlineData("MAIL FROM:<jörg@bücher.test>", "jörg@bücher.test", true)]
    [InlineData("MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@uc.test>",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@uc.test", false)] // 64 octets
    public void Mail_good(string line, string path, bool utf8)
    {
        SmtpCommand cmd = Good(line);
        Assert.Equal(SmtpVerb.Mail, cmd.Verb);
        Assert.Equal(path, cmd.Path);
        Assert.Equal(utf8, cmd.PathIsUtf8);
        Assert.Empty(cmd.Parameters);
    }

    [Theory]
    [InlineData("MAIL", "5.5.4", "Syntax: MAIL FROM:<address>")]
    [InlineData("MAIL FROM", "5.5.4", "Syntax: MAIL FROM:<address>")]
    [InlineData("MAIL TO:<a@uc.test>", "5.5.4", "Syntax: MAIL FROM:<address>")]
    [InlineData("MAIL FROM:", "5.5.4", "Syntax: MAIL FROM:<address>")]
    [InlineData("MAIL FROM:<alice@uc.test>x", "5.5.4", "Syntax: MAIL FROM:<address>")]
    [InlineData("MAIL FROM:<alice>", "5.1.7", "missing @domain")]
    [InlineData("MAIL FROM:<Postmaster>", "5.1.7", "missing @domain")]
    [InlineData("MAIL FROM:<alice@>", "5.1.7", "bad domain")]
    [InlineData("MAIL FROM:<alice@uc..test>", "5.1.7", "bad domain")]
    [InlineData("MAIL FROM:<@uc.test>", "5.1.7", "source route")]
    [InlineData("MAIL FROM:<@uc.test,alice@uc.test>", "5.1.7", "source route")]
    [InlineData("MAIL FROM:<.alice@uc.test>", "5.1.7", "local-part")]
    [InlineData("MAIL FROM:<alice.@uc.test>", "5.1.7", "local-part")]
    [InlineData("MAIL FROM:<al..ice@uc.test>", "5.1.7", "local-part")]
    [InlineData("MAIL FROM:<al ice@uc.test>", "5.1.7", "missing @domain")]
    [InlineData("MAIL FROM:<alice@uc.test", "5.1.7", "missing closing >")]
    [InlineData("MAIL FROM:<\"unterminated@uc.test>", "5.1.7", "unterminated")]
    [InlineData("MAIL FROM:<alice@[300.1.1.1]>", "5.1.7", "address literal")]
    [InlineData("MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@uc.test>", "5.1.7", "64 octets")] // 65
    public void Mail_bad(string line, string enhanced, string text)
    {
        Bad(line, SmtpVerb.Mail, 501, enhanced, text);
    }

    [Fact]
    public void Mail_path_over_256_octets_is_refused()
    {
        string local = new('a', 64);
        string domain = string.Join('.', Enumerable.Repeat(new string('b', 50), 4)); // 203 octets
        Bad($"MAIL FROM:<{local}@{domain}>", SmtpVerb.Mail, 501, "5.1.7", "256 octets");
    }

    [Fact]
    public void Mail_domain_over_255_octets_is_refused()
    {
        string domain = string.Join('.', Enumerable.Repeat(new string('b', 60), 5)); // 304 octets
        Bad($"MAIL FROM:<a@{domain}>", SmtpVerb.Mail, 501, "5.1.7", "255 octets");
    }

    [Theory]
    [InlineData("RCPT TO:<bob@uc.test>", "bob@uc.test", false)]
    [InlineData("rcpt to:<bob@uc.test>", "bob@uc.test", false)]
    [InlineData("RCPT TO: <bob@uc.test>", "bob@uc.test", false)]
    [InlineData("RCPT TO:<Postmaster>", "Postmaster", false)]
    [InlineData("RCPT TO:<postmaster>", "Postmaster", false)]
    [InlineData("RCPT TO:<POSTMASTER>", "Postmaster", false)]
    [InlineData("RCPT TO:<postmaster@uc.test>", "postmaster@uc.test", false)]
    [InlineData("RCPT TO:<@a.test:bob@uc.test>", "bob@uc.test", false)]
    [InlineData("RCPT TO:<δοκιμή@παράδειγμα.test>", "δοκιμή@παράδειγμα.test", true)]
    public void Rcpt_good(string line, string path, bool utf8)
    {
        SmtpCommand cmd = Good(line);
        Assert.Equal(SmtpVerb.Rcpt, cmd.Verb);
        Assert.Equal(path, cmd.Path);
        Assert.Equal(utf8, cmd.PathIsUtf8);
    }

    [Theory]
    [InlineData("RCPT", "5.5.4", "Syntax: RCPT TO:<address>")]
    [InlineData("RCPT FROM:<bob@uc.test>", "5.5.4", "Syntax: RCPT TO:<address>")]
    [InlineData("RCPT TO:", "5.5.4", "Syntax: RCPT TO:<address>")]
    [InlineData("RCPT TO:<>", "5.1.3", "null path")]
    [InlineData("RCPT TO:<bob>", "5.1.3", "missing @domain")]
    [InlineData("RCPT TO:<Postmasterx>", "5.1.3", "missing @domain")]
    [InlineData("RCPT TO:<bob@-uc.test>", "5.1.3", "bad domain")]
    public void Rcpt_bad(string line, string enhanced, string text)
    {
        Bad(line, SmtpVerb.Rcpt, 501, enhanced, text);
    }

    [Theory]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=1000", "SIZE", "1000")]
    [InlineData("MAIL FROM:<a@uc.test> size=1000", "SIZE", "1000")]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=12345678901234567890", "SIZE", "12345678901234567890")]
    [InlineData("MAIL FROM:<a@uc.test> BODY=8BITMIME", "BODY", "8BITMIME")]
    [InlineData("MAIL FROM:<a@uc.test> body=7bit", "BODY", "7BIT")]
    [InlineData("MAIL FROM:<a@uc.test> SMTPUTF8", "SMTPUTF8", null)]
    [InlineData("MAIL FROM:<a@uc.test> AUTH=<>", "AUTH", "<>")]
    [InlineData("MAIL FROM:<a@uc.test> AUTH=alice+40uc.test", "AUTH", "alice+40uc.test")]
    [InlineData("MAIL FROM:<a@uc.test> RET=hdrs", "RET", "HDRS")]
    [InlineData("MAIL FROM:<a@uc.test> ENVID=QQ314159", "ENVID", "QQ314159")]
    [InlineData("MAIL FROM:<> SIZE=0", "SIZE", "0")]
    [InlineData("RCPT TO:<b@uc.test> NOTIFY=SUCCESS,FAILURE", "NOTIFY", "SUCCESS,FAILURE")]
    [InlineData("RCPT TO:<b@uc.test> NOTIFY=never", "NOTIFY", "NEVER")]
    [InlineData("RCPT TO:<b@uc.test> ORCPT=rfc822;b@uc.test", "ORCPT", "rfc822;b@uc.test")]
    [InlineData("RCPT TO:<Postmaster> NOTIFY=DELAY", "NOTIFY", "DELAY")]
    public void Parameters_good(string line, string key, string? value)
    {
        SmtpCommand cmd = Good(line);
        var pair = Assert.Single(cmd.Parameters);
        Assert.Equal(key, pair.Key);
        Assert.Equal(value, pair.Value);
    }

    // RFC 1870 §6.1: any all-digit SIZE over the limit is refused with 552, however many digits
    // (a value past 2^63 once skipped the check); the parser saturates instead of overflowing.
    [Theory]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=0", 0L)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=1000", 1000L)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=0000000000000000000000001000", 1000L)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=9223372036854775806", 9223372036854775806L)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=9223372036854775807", long.MaxValue)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=9223372036854775808", long.MaxValue)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=18446744073709551616", long.MaxValue)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=99999999999999999999", long.MaxValue)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=123456789012345678901", long.MaxValue)]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=99999999999999999999999999999999999999999999999999", long.MaxValue)]
    public void Declared_size_saturates_instead_of_overflowing(string line, long expected)
    {
        Assert.Equal(expected, Good(line).DeclaredSize);
        Assert.Equal(expected, SmtpCommandParser.Parse(line).Command!.DeclaredSize);
    }

    [Fact]
    public void Declared_size_is_null_without_SIZE()
    {
        Assert.Null(Good("MAIL FROM:<a@uc.test>").DeclaredSize);
    }

    [Fact]
    public void Several_parameters_with_extra_spaces()
    {
        SmtpCommand cmd = Good("MAIL FROM:<jörg@bücher.test>  SIZE=1000   BODY=8BITMIME SMTPUTF8");
        Assert.Equal(3, cmd.Parameters.Count);
        Assert.Equal("1000", cmd.Parameters["SIZE"]);
        Assert.Equal("8BITMIME", cmd.Parameters["BODY"]);
        Assert.Null(cmd.Parameters["SMTPUTF8"]);
        Assert.True(cmd.Parameters.ContainsKey("smtputf8"));
        Assert.True(cmd.PathIsUtf8);
    }

    [Theory]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=abc", 501, "SIZE")]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=", 501, "Bad parameter syntax")]
    [InlineData("MAIL FROM:<a@uc.test> SIZE", 501, "SIZE")]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=-1", 501, "SIZE")]
    [InlineData("MAIL FROM:<a@uc.test> BODY=BINARYMIME", 555, "BINARYMIME")]
    [InlineData("MAIL FROM:<a@uc.test> BODY=9BIT", 501, "BODY")]
    [InlineData("MAIL FROM:<a@uc.test> FOO=bar", 555, "FOO")]
    [InlineData("MAIL FROM:<a@uc.test> XFORWARD", 555, "XFORWARD")]
    [InlineData("MAIL FROM:<a@uc.test> NOTIFY=NEVER", 555, "NOTIFY")]
    [InlineData("RCPT TO:<b@uc.test> SIZE=10", 555, "SIZE")]
    [InlineData("MAIL FROM:<a@uc.test> SIZE=1 SIZE=2", 501, "Duplicate")]
    [InlineData("MAIL FROM:<a@uc.test> SMTPUTF8=yes", 501, "SMTPUTF8")]
    [InlineData("MAIL FROM:<a@uc.test> RET=ALL", 501, "RET")]
    [InlineData("MAIL FROM:<a@uc.test> AUTH=a=b", 501, "Bad parameter syntax")]
    [InlineData("MAIL FROM:<a@uc.test> AUTH=a+4", 501, "AUTH")]
    [InlineData("MAIL FROM:<a@uc.test> ENVID=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 501, "ENVID")]
    [InlineData("MAIL FROM:<a@uc.test> -X=1", 501, "Bad parameter syntax")]
    [InlineData("RCPT TO:<b@uc.test> NOTIFY=NEVER,SUCCESS", 501, "NOTIFY")]
    [InlineData("RCPT TO:<b@uc.test> NOTIFY=SUCCESS,SUCCESS", 501, "NOTIFY")]
    [InlineData("RCPT TO:<b@uc.test> ORCPT=b@uc.test", 501, "ORCPT")]
    public void Parameters_bad(string line, int code, string text)
    {
        SmtpVerb verb = line.StartsWith("MAIL") ? SmtpVerb.Mail : SmtpVerb.Rcpt;
        Bad(line, verb, code, "5.5.4", text);
    }

    [Theory]
    [InlineData("DATA", SmtpVerb.Data)]
    [InlineData("data", SmtpVerb.Data)]
    [InlineData("DATA ", SmtpVerb.Data)]
    [InlineData("RSET", SmtpVerb.Rset)]
    [InlineData("QUIT", SmtpVerb.Quit)]
    [InlineData("STARTTLS", SmtpVerb.StartTls)]
    [InlineData("StartTls", SmtpVerb.StartTls)]
    public void No_argument_verbs_good(string line, SmtpVerb verb)
    {
        SmtpCommand cmd = Good(line);
        Assert.Equal(verb, cmd.Verb);
        Assert.Null(cmd.Argument);
    }

    [Theory]
    [InlineData("DATA now", SmtpVerb.Data, "Syntax: DATA")]
    [InlineData("RSET all", SmtpVerb.Rset, "Syntax: RSET")]
    [InlineData("QUIT bye", SmtpVerb.Quit, "Syntax: QUIT")]
    [InlineData("STARTTLS please", SmtpVerb.StartTls, "Syntax: STARTTLS")]
    [InlineData("VRFY", SmtpVerb.Vrfy, "Syntax: VRFY address")]
    [InlineData("expn", SmtpVerb.Expn, "Syntax: EXPN address")]
    public void Argument_count_bad(string line, SmtpVerb verb, string text)
    {
        Bad(line, verb, 501, "5.5.4", text);
    }

    [Theory]
    [InlineData("NOOP", SmtpVerb.Noop, null)]
    [InlineData("NOOP hello there", SmtpVerb.Noop, "hello there")]
    [InlineData("HELP", SmtpVerb.Help, null)]
    [InlineData("help MAIL", SmtpVerb.Help, "MAIL")]
    [InlineData("VRFY alice", SmtpVerb.Vrfy, "alice")]
    [InlineData("VRFY <alice@uc.test>", SmtpVerb.Vrfy, "<alice@uc.test>")]
    [InlineData("EXPN staff", SmtpVerb.Expn, "staff")]
    public void Argument_verbs_good(string line, SmtpVerb verb, string? argument)
    {
        SmtpCommand cmd = Good(line);
        Assert.Equal(verb, cmd.Verb);
        Assert.Equal(argument, cmd.Argument);
    }

    [Theory]
    [InlineData("", SmtpVerb.Unknown)]
    [InlineData("FOO", SmtpVerb.Unknown)]
    [InlineData("MAILFROM:<a@uc.test>", SmtpVerb.Unknown)]
    [InlineData(" NOOP", SmtpVerb.Unknown)]
    [InlineData("HELLO client", SmtpVerb.Unknown)]
    [InlineData("XCLIENT ADDR=192.0.2.1", SmtpVerb.Unknown)]
    [InlineData("GET / HTTP/1.1", SmtpVerb.Unknown)]
    [InlineData("BDAT 100 LAST", SmtpVerb.Bdat)] // CHUNKING is not advertised
    public void Unrecognized(string line, SmtpVerb verb)
    {
        Bad(line, verb, 500, "5.5.2");
    }

    [Theory]
    [InlineData("AUTH PLAIN", "PLAIN", null)]
    [InlineData("auth plain AGFsaWNlAHNlY3JldA==", "PLAIN", "AGFsaWNlAHNlY3JldA==")]
    [InlineData("AUTH PLAIN =", "PLAIN", "=")]
    [InlineData("AUTH LOGIN", "LOGIN", null)]
    [InlineData("AUTH LOGIN YWxpY2U=", "LOGIN", "YWxpY2U=")]
    [InlineData("AUTH CRAM-MD5", "CRAM-MD5", null)]
    [InlineData("AUTH SCRAM-SHA-256", "SCRAM-SHA-256", null)]
    public void Auth_good(string line, string mechanism, string? initial)
    {
        SmtpCommand cmd = Good(line);
        Assert.Equal(SmtpVerb.Auth, cmd.Verb);
        Assert.Equal(mechanism, cmd.Mechanism);
        Assert.Equal(initial, cmd.InitialResponse);
    }

    [Theory]
    [InlineData("AUTH", "5.5.4")]
    [InlineData("AUTH PLAIN a b", "5.5.4")]
    [InlineData("AUTH PL@IN", "5.5.4")]
    [InlineData("AUTH ABCDEFGHIJKLMNOPQRSTU", "5.5.4")] // 21 characters
    [InlineData("AUTH PLAIN not*base64", "5.5.2")]      // RFC 4954 §4
    [InlineData("AUTH PLAIN abc", "5.5.2")]
    [InlineData("AUTH PLAIN ==", "5.5.2")]
    public void Auth_bad(string line, string enhanced)
    {
        Bad(line, SmtpVerb.Auth, 501, enhanced);
    }

    [Fact]
    public void Parse_without_the_framer_gives_the_same_result()
    {
        SmtpParseResult result = SmtpCommandParser.Parse("MAIL FROM:<a@uc.test> SIZE=5");
        Assert.Equal("a@uc.test", result.Command!.Path);
        Assert.Equal("5", result.Command.Parameters["SIZE"]);
    }

    [Fact]
    public void Custom_limits_are_applied()
    {
        var limits = new SmtpLimits { MaxLocalPart = 5 };
        Assert.True(SmtpCommandParser.Parse("RCPT TO:<abcde@uc.test>", limits).IsSuccess);
        var error = SmtpCommandParser.Parse("RCPT TO:<abcdef@uc.test>", limits).Error;
        Assert.Equal("5.1.3", error!.Enhanced);
        Assert.Contains("5 octets", error.Text);
    }
}
