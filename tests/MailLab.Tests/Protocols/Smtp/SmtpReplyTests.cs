using MailLab.Protocols.Smtp;

namespace MailLab.Tests.Protocols.Smtp;

public class SmtpReplyTests
{
    [Fact]
    public void Single_line_with_enhanced_code()
    {
        Assert.Equal("250 2.1.0 Ok\r\n", new SmtpReply(250, "2.1.0", "Ok").Render());
    }

    [Fact]
    public void Multi_line_puts_code_and_enhanced_code_on_every_line()
    {
        var reply = new SmtpReply(250, "2.0.0", ["mx.uc.test", "PIPELINING", "8BITMIME"]);
        Assert.Equal("250-2.0.0 mx.uc.test\r\n250-2.0.0 PIPELINING\r\n250 2.0.0 8BITMIME\r\n", reply.Render());
    }

    [Fact]
    public void Multi_line_without_enhanced_code()
    {
        var reply = new SmtpReply(250, null, ["mx.uc.test Hello", "SIZE 10485760", "STARTTLS"]);
        Assert.Equal("250-mx.uc.test Hello\r\n250-SIZE 10485760\r\n250 STARTTLS\r\n", reply.Render());
    }

    [Fact]
    public void Empty_text_keeps_the_space_for_334()
    {
        Assert.Equal("334 \r\n", new SmtpReply(334, null, "").Render());
        Assert.Equal("334 \r\n", new SmtpReply(334, null, Array.Empty<string>()).Render());
    }

    [Theory]
    [InlineData(250, true, true, false, false, false, false)]
    [InlineData(354, true, false, true, false, false, false)]
    [InlineData(451, false, false, false, true, false, true)]
    [InlineData(550, false, false, false, false, true, true)]
    public void Classification(int code, bool positive, bool completion, bool intermediate, bool transient, bool permanent, bool negative)
    {
        var reply = new SmtpReply(code, null, "x");
        Assert.Equal(positive, reply.IsPositive);
        Assert.Equal(completion, reply.IsPositiveCompletion);
        Assert.Equal(intermediate, reply.IsPositiveIntermediate);
        Assert.Equal(transient, reply.IsTransientNegative);
        Assert.Equal(permanent, reply.IsPermanentNegative);
        Assert.Equal(negative, reply.IsNegative);
    }

    [Theory]
    [InlineData("evil\r\n250 injected")]
    [InlineData("evil\nmore")]
    [InlineData("evil\r")]
    public void Line_breaks_in_text_are_refused(string text)
    {
        Assert.Throws<ArgumentException>(() => new SmtpReply(550, "5.7.1", text));
    }

    [Theory]
    [InlineData(199)]
    [InlineData(600)]
    [InlineData(260)]
    public void Bad_codes_are_refused(int code)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpReply(code, null, "x"));
    }

    [Theory]
    [InlineData(550, "2.0.0")]   // class must match the reply code's first digit
    [InlineData(550, "5.0")]
    [InlineData(550, "5.01.0")]
    [InlineData(550, "5.1000.0")]
    [InlineData(550, "five")]
    public void Bad_enhanced_codes_are_refused(int code, string enhanced)
    {
        Assert.Throws<ArgumentException>(() => new SmtpReply(code, enhanced, "x"));
    }

    [Fact]
    public void Equality_is_by_value()
    {
        Assert.Equal(new SmtpReply(250, "2.0.0", ["a", "b"]), new SmtpReply(250, "2.0.0", ["a", "b"]));
        Assert.NotEqual(new SmtpReply(250, "2.0.0", ["a", "b"]), new SmtpReply(250, "2.0.0", ["a", "c"]));
    }

    [Fact]
    public void Helpers_render_their_codes()
    {
        Assert.StartsWith("552 5.3.4 ", SmtpReply.MessageTooLarge.Render());
        Assert.StartsWith("550 5.6.0 ", SmtpReply.BareLineEndingRejected.Render());
        Assert.StartsWith("503 5.5.1 ", SmtpReply.BadSequence("x").Render());
        Assert.StartsWith("555 5.5.4 ", SmtpReply.ParameterNotRecognized("x").Render());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>\r\n", SmtpReply.StartMailInput.Render());
    }
}
