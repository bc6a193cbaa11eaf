using System.Text;
using MailLab.Protocols.Sasl;
using MailLab.Protocols.Smtp;

namespace MailLab.Tests.Protocols.Sasl;

public class SaslTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Theory]
    [InlineData("\0alice\0secret", "", "alice", "secret")]
    [InlineData("admin\0alice\0secret", "admin", "alice", "secret")]
    [InlineData("\0jörg@bücher.test\0pässwörd", "", "jörg@bücher.test", "pässwörd")]
    [InlineData("\0alice\0pass with spaces", "", "alice", "pass with spaces")]
    public void Plain_good(string decoded, string authzid, string authcid, string password)
    {
        Assert.True(SaslPlain.TryParse(B64(decoded), out string z, out string c, out string p));
        Assert.Equal((authzid, authcid, password), (z, c, p));
    }

    [Fact]
    public void Plain_round_trips_through_Encode()
    {
        Assert.True(SaslPlain.TryParse(SaslPlain.Encode("", "bob", "pw"), out _, out string c, out string p));
        Assert.Equal(("bob", "pw"), (c, p));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("=")]
    [InlineData("")]
    [InlineData("AGFsaWNl")]           // "\0alice": two parts
    [InlineData("AGFsaWNlAHM=AA==")]   // padding in the middle
    [InlineData("AGFs aWNlAHNlY3JldA==")] // whitespace
    public void Plain_bad_base64_or_shape(string base64)
    {
        Assert.False(SaslPlain.TryParse(base64, out _, out _, out _));
    }

    [Theory]
    [InlineData("alice\0secret")]          // two parts
    [InlineData("a\0b\0c\0d")]              // four parts
    [InlineData("\0\0secret")]              // empty authcid
    [InlineData("\0alice\0")]               // empty password
    public void Plain_bad_parts(string decoded)
    {
        Assert.False(SaslPlain.TryParse(B64(decoded), out _, out _, out _));
    }

    [Fact]
    public void Plain_rejects_invalid_utf8()
    {
        string base64 = Convert.ToBase64String([0, (byte)'a', 0, 0xC3, 0x28]);
        Assert.False(SaslPlain.TryParse(base64, out _, out _, out _));
    }

    [Fact]
    public void Login_challenges_are_base64_of_the_prompts()
    {
        Assert.Equal("Username:", Encoding.ASCII.GetString(Convert.FromBase64String(SaslLogin.UsernameChallenge)));
        Assert.Equal("Password:", Encoding.ASCII.GetString(Convert.FromBase64String(SaslLogin.PasswordChallenge)));
        Assert.Equal("334 VXNlcm5hbWU6\r\n", SmtpAuthReplies.Username.Render());
        Assert.Equal("334 UGFzc3dvcmQ6\r\n", SmtpAuthReplies.Password.Render());
    }

    [Fact]
    public void Login_decodes_answers()
    {
        Assert.True(SaslLogin.TryDecode(B64("alice@uc.test"), out string user));
        Assert.Equal("alice@uc.test", user);
        Assert.False(SaslLogin.TryDecode("*not*", out _));
    }

    [Theory]
    [InlineData("*", true)]
    [InlineData("* ", false)]
    [InlineData("**", false)]
    [InlineData("", false)]
    [InlineData("Kg==", false)] // base64 of "*" is a response, not a cancel
    public void Cancel_is_a_lone_star(string line, bool cancel)
    {
        Assert.Equal(cancel, SaslCancel.IsCancel(line));
    }

    [Fact]
    public void Cancel_reply_is_501_5_0_0()
    {
        Assert.StartsWith("501 5.0.0 ", SmtpAuthReplies.Cancelled.Render());
    }

    [Theory]
    [InlineData("=", "")]
    [InlineData("YQ==", "a")]
    [InlineData("YWI=", "ab")]
    [InlineData("YWJj", "abc")]
    public void Base64_decodes_with_equals_as_empty(string base64, string expected)
    {
        Assert.True(SaslBase64.TryDecodeUtf8(base64, out string value));
        Assert.Equal(expected, value);
        Assert.Equal(base64, SaslBase64.Encode(expected));
    }
}
