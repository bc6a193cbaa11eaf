using System.Text;
using MailLab.Server.Smtp;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Smtp;

/// <summary>The MSA (submission profile) driven in memory, transcript style.</summary>
public sealed class SubmissionTranscriptTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
    private static string Plain(string user, string password) => B64($"\0{user}\0{password}");

    private static async Task<SmtpTranscript> TlsMsa(TestLab lab)
    {
        var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(false), "127.0.0.1");
        await t.Expect("EHLO laptop", "250");
        await t.Expect("STARTTLS", "220");
        await t.HandshakeAsync();
        return t;
    }

    [Fact]
    public async Task Plaintext_session_offers_no_AUTH_and_refuses_mail()
    {
        await using var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(false), "127.0.0.1");
        var ehlo = await t.Expect("EHLO laptop", "250");
        Assert.Contains("STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo);
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "530 5.7.0");
        await t.Expect("MAIL FROM:<alice@uc.test>", "530 5.7.0");
        Assert.Empty(lab.Events(TraceKind.AuthSucceeded));
    }

    [Fact]
    public async Task AUTH_PLAIN_after_STARTTLS_then_submission_adds_missing_MessageId_and_Date()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        var ehlo = await t.Expect("EHLO laptop", "250");
        Assert.Matches(@"\n250[ -]AUTH PLAIN LOGIN", ehlo);
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "wrong"), "535 5.7.8");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "235 2.7.0");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "503 5.5.1");
        var ehlo2 = await t.Expect("EHLO laptop", "250");
        Assert.DoesNotContain("AUTH", ehlo2); // authenticated already
        await t.StartData("alice@uc.test", "alice@uc.test");
        await t.SendRawAsync("From: alice@uc.test\r\nTo: alice@uc.test\r\nSubject: note to self\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250", await t.ReplyAsync());

        var list = await lab.Store.ListAsync("alice@uc.test", "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
        var text = await new StreamReader(s).ReadToEndAsync();
        Assert.Contains("(MailLab MSA) with ESMTPSA id", text);
        Assert.Matches(@"\r\nMessage-ID: <\w+\.\d+@mx\.uc\.test>\r\n", text);
        Assert.Matches(@"\r\nDate: \w{3}, \d{1,2} \w{3} \d{4} ", text);
        Assert.Contains(lab.Events(TraceKind.HeaderAdded), e => e.Field("Header") == "Message-ID");
        Assert.Contains(lab.Events(TraceKind.AuthFailed), e => e.Field("Login") == "alice@uc.test");
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Field("User") == "alice@uc.test" && e.Role == TraceRole.MSA);
    }

    [Fact]
    public async Task AUTH_LOGIN_with_continuations_and_cancel()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH LOGIN", "334 VXNlcm5hbWU6");
        await t.Expect("*", "501 5.0.0");
        await t.Expect("AUTH LOGIN", "334 VXNlcm5hbWU6");
        await t.Expect(B64("alice@uc.test"), "334 UGFzc3dvcmQ6");
        await t.Expect(B64("lab-alice"), "235");
        await t.Expect("MAIL FROM:<alice@uc.test>", "250");
    }

    [Fact]
    public async Task AUTH_PLAIN_continuation_form_and_bad_base64()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH CRAM-MD5", "504 5.5.4");
        await t.Expect("AUTH PLAIN", "334");
        await t.Expect("!!!notbase64", "501 5.5.2");
        await t.Expect("AUTH PLAIN", "334");
        await t.Expect(Plain("alice@uc.test", "lab-alice"), "235");
    }

    [Fact]
    public async Task AUTH_responses_may_be_longer_than_a_command_line()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH PLAIN", "334");
        // 1,000+ octets of base64: over the 512-octet command limit, under RFC 4954's 12,288.
        await t.Expect(Plain("alice@uc.test", new string('p', 800)), "535 5.7.8");
        await t.Expect("EHLO " + new string('a', 600), "500 5.5.6"); // the command limit is back
    }

    [Fact]
    public async Task Sender_must_be_the_authenticated_user()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "235");
        await t.Expect("MAIL FROM:<ceo@bank.test>", "553 5.7.1");
        Assert.Contains(lab.Events(TraceKind.PolicyRejected), e => e.Field("Reason") == "sender/login mismatch" && e.Field("Stage") == "MAIL");
        await t.Expect("MAIL FROM:<ALICE@uc.test>", "250");
    }

    [Fact]
    public async Task Forgery_switch_lets_the_user_pick_any_sender()
    {
        await using var lab = TestLab.Create(forgery: true);
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "235");
        await t.Expect("MAIL FROM:<ceo@bank.test>", "250");
    }

    [Fact]
    public async Task Remote_recipient_of_an_authenticated_user_is_queued_for_relay()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "235");
        await t.Expect("MAIL FROM:<alice@uc.test>", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "250 2.1.5");
        await t.Expect("DATA", "354");
        await t.Expect("Subject: hi\r\n\r\nrelay me\r\n.", "250 2.0.0");
        var entry = Assert.Single(lab.Queue.LoadAll());
        Assert.Equal("alice@uc.test", entry.MailFrom);
        Assert.Equal("bob@bank.test", Assert.Single(entry.Recipients).Address);
        Assert.Single(lab.Events(TraceKind.QueueEntryAdded));
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default)); // not delivered locally
    }

    [Fact]
    public async Task Secrets_are_redacted_in_the_trace()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "lab-alice"), "235");
        await t.Expect("AUTH LOGIN", "503"); // already authenticated
        var all = string.Join("\n", lab.Events().Select(e => e.Text + " " + string.Join(" ", e.Fields.Values)));
        Assert.DoesNotContain(Plain("alice@uc.test", "lab-alice"), all);
        Assert.DoesNotContain("lab-alice", all);
        Assert.Contains("AUTH PLAIN <redacted>", all);
    }

    [Fact]
    public async Task Lab_switches_allow_plaintext_AUTH_and_reveal_secrets()
    {
        await using var lab = TestLab.Create(plaintextAuth: true, revealSecrets: true);
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(false), "127.0.0.1");
        Assert.Contains("AUTH PLAIN LOGIN", await t.Expect("EHLO laptop", "250"));
        await t.Expect("AUTH LOGIN", "334");
        await t.Expect(B64("alice@uc.test"), "334");
        await t.Expect(B64("lab-alice"), "235");
        Assert.Contains(lab.Events(TraceKind.CommandReceived), e => e.Field("Line") == B64("lab-alice"));
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => Equals(e.Fields["Tls"], false));
    }

    [Fact]
    public async Task Repeated_AUTH_failures_close_the_session()
    {
        await using var lab = TestLab.Create();
        await using var t = await TlsMsa(lab);
        await t.Expect("EHLO laptop", "250");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "x1"), "535");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "x2"), "535");
        await t.Expect("AUTH PLAIN " + Plain("alice@uc.test", "x3"), "421 4.7.0");
        Assert.True(await t.ClosedAsync());
    }

    [Fact]
    public async Task Implicit_TLS_profile_greets_after_the_handshake()
    {
        await using var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(true), "127.0.0.1");
        var ehlo = await t.Expect("EHLO laptop", "250");
        Assert.DoesNotContain("STARTTLS", ehlo);
        Assert.Contains("AUTH PLAIN LOGIN", ehlo);
    }
}
