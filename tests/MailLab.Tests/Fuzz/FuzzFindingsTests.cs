using System.Buffers;
using System.Text;
using MailLab.Fuzz;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Imap;
using MailLab.Protocols.Smtp;
using MailLab.Server.Smtp;
using MailLab.Tests.Support;

namespace MailLab.Tests.Fuzz;

/// <summary>
/// Inputs the fuzzers of bench/fuzz found crashing a parser, each fed to the real parser (and where it
/// reaches one, to a real session) with the clean outcome asserted. The afl input is kept as found.
/// </summary>
public sealed class FuzzFindingsTests : LabTest
{
    // smtp-command, afl id:000031: a bare CR inside a MAIL/RCPT parameter was echoed into the 501 text,
    // and SmtpReply refuses CR/LF in reply text (reply injection), so the parser threw ArgumentException.
    private static readonly byte[] SmtpParameterWithCr = Convert.FromHexString(
        "00417e73740d0a4dcf3020420d0a5243505420544f3a63656f4068616e0d0a5243505420544f3a63656f4062616e6b2e"
        + "748f6573ff6b2e74742073743d4e455645520d12444154410d0ac45530540d0a");

    [Fact]
    public void Fuzz_input_with_a_CR_in_an_SMTP_parameter_replays_cleanly() =>
        FuzzTargets.SmtpCommand(SmtpParameterWithCr);

    [Theory]
    [InlineData("MAIL FROM:<alice@uc.test> SIZE=1\r2", "501 5.5.4")]
    [InlineData("MAIL FROM:<alice@uc.test> ENVID=a\u001b[2Jb", "501 5.5.4")]
    [InlineData("RCPT TO:<bob@bank.test> NOTIFY=NEVER\r\u0012DATA", "501 5.5.4")]
    public void A_control_character_in_a_parameter_gets_a_syntax_reply_that_does_not_echo_it(string line, string expected)
    {
        var result = SmtpCommandParser.Parse(line);
        Assert.Null(result.Command);
        var reply = result.Error!.ToString();
        Assert.StartsWith(expected, reply);
        Assert.DoesNotContain(reply[..^2], c => char.IsControl(c));
    }

    [Fact]
    public async Task The_MTA_answers_a_parameter_with_a_bare_CR_and_the_session_goes_on()
    {
        await using var t = await SmtpTranscript.StartAsync(lab.Site("bank"), SmtpProfile.Mta);
        await t.Expect("EHLO evil.test", "250");
        await t.SendRawAsync("MAIL FROM:<ceo@bank.test> SIZE=1\r2\r\n");
        Assert.StartsWith("501 5.5.4 Bad parameter syntax", await t.ReplyAsync());
        await t.Expect("MAIL FROM:<ceo@bank.test>", "250 2.1.0");
        await t.Expect("QUIT", "221");
    }

    // imap-command, afl id:000000: an over-long line whose first word is longer than 64 octets gave the
    // BAD a tag when it arrived in pieces and none when it arrived at once (the refused frame kept the
    // whole partial line, up to MaxCommand octets, instead of the first 64).
    [Fact]
    public void An_over_long_IMAP_line_is_refused_with_the_same_tag_however_it_arrives()
    {
        var line = Encoding.ASCII.GetBytes("a1 NOOP\r\n" + new string('x', 80) + " NOOP " + new string('y', 400));
        string? Refused(int piece)
        {
            var framer = new ImapFramer(maxLine: 300, maxLiteral: 2000);
            for (var offset = 0; offset < line.Length; offset += piece)
            {
                var buffer = new ReadOnlySequence<byte>(line, offset, Math.Min(piece, line.Length - offset));
                while (true)
                {
                    var status = framer.Read(ref buffer);
                    if (status == ImapFrameStatus.LineTooLong) return framer.RefusedTag;
                    if (status == ImapFrameStatus.NeedMoreData) break;
                }
            }
            throw new InvalidOperationException("the line was not refused");
        }
        Assert.Equal(Refused(line.Length), Refused(7));
        Assert.Null(Refused(7)); // an 80-octet tag is not kept: "* BAD" (RFC 3501 §7.1.3 allows the untagged form)
    }

    // zone-file, afl id:000001: a record whose type has no shape text and too few values threw
    // KeyNotFoundException from the error message itself, instead of reporting the error.
    [Fact]
    public void A_zone_record_of_an_unlisted_type_without_data_is_an_error_not_an_exception()
    {
        var input = Convert.FromHexString("3b203120326820206e730a6e7fff330a6e31582220330a6e31582220494e2041414141203a3a310a74783330302020");
        FuzzTargets.ZoneFile(input);
        var result = MailLab.Protocols.Dns.ZoneFileParser.Parse(Encoding.UTF8.GetString(input), "fuzz.zone", "fuzz.test");
        Assert.NotEmpty(result.Errors);
    }

    // dkim-signature, afl hang id:000004: WithoutSignatureValue looped for ever on a field ending in CRLF
    // whose last tag-spec was not b=.
    [Theory]
    [InlineData("v=1; a=v=1; arct :arct :e; bh12j8\r\n")]
    [InlineData("DKIM-Signature: v=1; d=uc.test\r\n")]
    public async Task Removing_b_from_a_field_without_it_returns_the_field_unchanged(string raw)
    {
        var done = Task.Run(() => MailLab.MailAuth.Dkim.DkimVerifier.WithoutSignatureValue(raw));
        Assert.Same(done, await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Equal(raw, await done);
    }
}
