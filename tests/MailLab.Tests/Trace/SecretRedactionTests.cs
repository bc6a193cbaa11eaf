using MailLab.Server.Trace;

namespace MailLab.Tests.Trace;

/// <summary>The shared redaction rule line by line: what stays shown, and that the rest is masked however it is written.</summary>
public class SecretRedactionTests
{
    [Theory]
    [InlineData(SecretProtocol.Smtp, "AUTH PLAIN AGFsaWNlAHB3", "AUTH PLAIN <redacted>")]
    [InlineData(SecretProtocol.Smtp, "auth plain AGFsaWNlAHB3 .", "AUTH PLAIN <redacted>")]
    [InlineData(SecretProtocol.Smtp, "AUTH\tPLAIN\tAGFsaWNlAHB3", "AUTH PLAIN <redacted>")]
    [InlineData(SecretProtocol.Smtp, "AUTH AGFsaWNlAHB3", "AUTH <redacted>")]
    [InlineData(SecretProtocol.Smtp, "AUTH:PLAIN AGFsaWNlAHB3", "AUTH <redacted>")]
    [InlineData(SecretProtocol.Smtp, "AUTH LOGIN", "AUTH LOGIN")]
    [InlineData(SecretProtocol.Smtp, "AUTHX secret", "AUTHX secret")]
    [InlineData(SecretProtocol.Smtp, "MAIL FROM:<a@b>", "MAIL FROM:<a@b>")]
    [InlineData(SecretProtocol.Imap, "a1 LOGIN alice@uc.test pw extra", "a1 LOGIN alice@uc.test <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 LOGIN alice@uc.test \"pw", "a1 LOGIN alice@uc.test <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 LOGIN \"alice@uc.test\" {2}\r\npw", "a1 LOGIN \"alice@uc.test\" <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 LOGIN {13}\r\nalice@uc.test {2}\r\npw", "a1 LOGIN <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 LOGIN \"alice pw", "a1 LOGIN <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 LOGIN pw", "a1 LOGIN <redacted>")]
    [InlineData(SecretProtocol.Imap, "LOGIN alice pw", "LOGIN alice <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 authenticate plain AGFsaWNlAHB3", "a1 AUTHENTICATE PLAIN <redacted>")]
    [InlineData(SecretProtocol.Imap, "a1 AUTHENTICATE PLAIN", "a1 AUTHENTICATE PLAIN")]
    [InlineData(SecretProtocol.Imap, "a1 SELECT INBOX", "a1 SELECT INBOX")]
    [InlineData(SecretProtocol.Pop3, "PASS\tpw", "PASS <redacted>")]
    [InlineData(SecretProtocol.Pop3, " pass pw with spaces", "PASS <redacted>")]
    [InlineData(SecretProtocol.Pop3, "APOP alice c4c9334bac560ecc979e58001b3e22fb", "APOP alice <redacted>")]
    [InlineData(SecretProtocol.Pop3, "APOP c4c9334bac560ecc979e58001b3e22fb", "APOP <redacted>")]
    [InlineData(SecretProtocol.Pop3, "AUTH PLAIN AGFsaWNlAHB3 extra", "AUTH PLAIN <redacted>")]
    [InlineData(SecretProtocol.Pop3, "USER alice", "USER alice")]
    public void Masks_everything_after_the_verb_and_what_is_clean(SecretProtocol protocol, string line, string shown) =>
        Assert.Equal(shown, SecretRedaction.Redact(protocol, line));

    [Theory]
    [InlineData("AGFsaWNlAHB3", true)]
    [InlineData("STARTTLS", false)]
    [InlineData("starttls", false)]
    [InlineData("QUIT", false)]
    [InlineData("hello world", false)]
    public void A_lone_base64_token_with_an_unknown_verb_is_a_credential(string line, bool masked) =>
        Assert.Equal(masked ? Tracer.Redacted : line, SecretRedaction.Redact(SecretProtocol.Smtp, line, unknown: true));
}
