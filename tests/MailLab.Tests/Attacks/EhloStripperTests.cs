using MailLab.Server.Attacks;

namespace MailLab.Tests.Attacks;

public sealed class EhloStripperTests
{
    [Fact]
    public void STARTTLS_in_the_middle_is_removed_and_the_other_lines_are_kept_in_order()
    {
        var kept = EhloStripper.Strip(["250-mx.bank.test", "250-PIPELINING", "250-STARTTLS", "250 8BITMIME"], out var removed);
        Assert.Equal(["250-mx.bank.test", "250-PIPELINING", "250 8BITMIME"], kept);
        Assert.Equal(["250-STARTTLS"], removed);
    }

    [Fact]
    public void STARTTLS_as_the_last_line_makes_the_line_before_it_the_last()
    {
        var kept = EhloStripper.Strip(["250-mx.bank.test", "250-SIZE 10485760", "250 STARTTLS"], out var removed);
        Assert.Equal(["250-mx.bank.test", "250 SIZE 10485760"], kept);
        Assert.Equal(["250 STARTTLS"], removed);
    }

    [Fact]
    public void A_reply_without_STARTTLS_and_the_greeting_line_are_left_alone()
    {
        string[] lines = ["250-STARTTLS", "250 PIPELINING"]; // the first line is the domain, whatever it says
        Assert.Same(lines, EhloStripper.Strip(lines, out var removed));
        Assert.Empty(removed);
        Assert.Equal(["250 only.test"], EhloStripper.Strip(["250 only.test"], out _));
    }

    [Theory]
    [InlineData("250-starttls", true)]
    [InlineData("250 STARTTLS ", true)]
    [InlineData("250-STARTTLSX", false)]
    [InlineData("250-SIZE", false)]
    public void The_keyword_is_matched_whole_and_without_case(string line, bool starttls) =>
        Assert.Equal(starttls, EhloStripper.IsStarttls(line));
}
