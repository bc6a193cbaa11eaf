using System.Text;
using MailLab.Server.Smtp;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Smtp;

/// <summary>The MTA (relay profile) driven in memory, transcript style.</summary>
public sealed class RelayTranscriptTests : IAsyncLifetime
{
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = TestLab.Create(maxRecipients: 3, maxSize: "2KiB");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    private Task<SmtpTranscript> Mta(string clientIp = "127.0.3.1") => SmtpTranscript.StartAsync(lab.Site("bank"), SmtpProfile.Mta, clientIp);

    private async Task<string> Inbox(string user, int expected = 1)
    {
        var list = await lab.Store.ListAsync(user, "INBOX", default);
        Assert.Equal(expected, list.Count);
        if (expected == 0) return "";
        await using var s = (await lab.Store.OpenReadAsync(list[^1], default))!;
        return await new StreamReader(s, Encoding.UTF8).ReadToEndAsync();
    }

    [Fact]
    public async Task Forged_sender_is_accepted_and_delivered_with_trace_headers()
    {
        await using var t = await Mta();
        var ehlo = await t.Expect("EHLO evil.test", "250-mx.bank.test");
        Assert.Contains("250-PIPELINING", ehlo);
        Assert.Contains("SIZE 2048", ehlo);
        Assert.Contains("STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo); // the relay profile offers no AUTH
        await t.Expect("MAIL FROM:<ceo@bank.test>", "250 2.1.0");
        await t.Expect("RCPT TO:<bob@bank.test>", "250 2.1.5");
        await t.Expect("DATA", "354");
        await t.SendRawAsync(SmtpTranscript.Message("CEO <ceo@bank.test>", "bob@bank.test", "Wire transfer"));
        var queued = await t.ReplyAsync();
        Assert.StartsWith("250 2.0.0 Ok: queued as ", queued);
        await t.Expect("QUIT", "221 2.0.0");
        Assert.True(await t.ClosedAsync());

        var stored = await Inbox("bob@bank.test");
        var id = queued.Split(' ')[^1];
        Assert.StartsWith("Return-Path: <ceo@bank.test>\r\nDelivered-To: bob@bank.test\r\nReceived: from evil.test ([127.0.3.1])\r\n\tby mx.bank.test (MailLab MTA) with ESMTP id " + id, stored);
        Assert.Contains("for <bob@bank.test>;", stored);
        Assert.Contains("\r\nSubject: Wire transfer\r\n", stored);
        Assert.EndsWith("\r\n\r\nHello.\r\n", stored);

        var received = Assert.Single(lab.Events(TraceKind.MessageReceived));
        Assert.Equal("ceo@bank.test", received.Field("MailFrom"));
        Assert.Equal("CEO <ceo@bank.test>", received.Field("HeaderFrom"));
        Assert.Equal("127.0.3.1", received.Field("Client"));
        Assert.Equal(id, received.Message);
        Assert.Contains(lab.Events(TraceKind.LocalDelivery), e => e.Field("Recipient") == "bob@bank.test" && e.Role == TraceRole.MDA);
        Assert.Contains(lab.Events(TraceKind.EnvelopeMailFrom), e => e.Field("MailFrom") == "ceo@bank.test");
    }

    [Fact]
    public async Task Envelope_and_header_from_differences_are_flagged()
    {
        await using var t = await Mta();
        await t.Expect("HELO evil.test", "250 mx.bank.test");
        await t.StartData("mallory@evil.test", "bob@bank.test");
        await t.SendRawAsync(SmtpTranscript.Message("ceo@bank.test", "bob@bank.test", "Hi"));
        Assert.StartsWith("250", await t.ReplyAsync());
        var e = Assert.Single(lab.Events(TraceKind.MessageReceived));
        Assert.Equal(true, e.Fields["FromMismatch"]);
        Assert.Equal("bank.test", e.Field("HeaderFromDomain"));
        Assert.Equal("evil.test", e.Field("EnvelopeDomain"));
        Assert.Contains("with SMTP id", await Inbox("bob@bank.test")); // HELO, not EHLO
    }

    [Theory]
    [InlineData("victim@elsewhere.test")]
    [InlineData("bob@bank.test.evil.test")]
    [InlineData("\"bob@bank.test\"@elsewhere.test")]
    public async Task Relaying_to_other_domains_is_refused(string rcpt)
    {
        await using var t = await Mta();
        await t.Expect("EHLO evil.test", "250");
        await t.Expect("MAIL FROM:<mallory@evil.test>", "250");
        await t.Expect($"RCPT TO:<{rcpt}>", "554 5.7.1");
        await t.Expect("DATA", "503 5.5.1");
        var refusal = Assert.Single(lab.Events(TraceKind.PolicyRejected));
        Assert.Equal("relay denied", refusal.Field("Reason"));
        Assert.Equal("RCPT", refusal.Field("Stage"));
    }

    [Fact]
    public async Task Unknown_local_user_is_refused_but_postmaster_is_accepted()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.Expect("MAIL FROM:<>", "250"); // the null sender of bounces is allowed
        await t.Expect("RCPT TO:<nobody@bank.test>", "550 5.1.1");
        await t.Expect("RCPT TO:<Postmaster>", "250 2.1.5"); // RFC 5321 4.5.1
        await t.Expect("DATA", "354");
        await t.SendRawAsync(SmtpTranscript.Message("a@x.test", "postmaster@bank.test", "hi"));
        Assert.StartsWith("250", await t.ReplyAsync());
        Assert.Contains("Return-Path: <>", await Inbox("postmaster@bank.test"));
    }

    [Theory]
    [InlineData("MAIL FROM:<a@x.test>", "503 5.5.1")]
    [InlineData("RCPT TO:<bob@bank.test>", "503 5.5.1")]
    [InlineData("DATA", "503 5.5.1")]
    [InlineData("AUTH PLAIN", "503 5.5.1")]
    [InlineData("BDAT 10 LAST", "500 5.5.")]
    [InlineData("FOO", "500 5.5.")]
    public async Task Commands_before_EHLO_get_bad_sequence(string line, string expected)
    {
        await using var t = await Mta();
        await t.Expect(line, expected);
        await t.Expect("NOOP", "250");
    }

    [Fact]
    public async Task Every_bad_sequence_in_a_transaction_gets_503()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "503 5.5.1");
        await t.Expect("DATA", "503 5.5.1");
        await t.Expect("MAIL FROM:<a@x.test>", "250");
        await t.Expect("MAIL FROM:<a@x.test>", "503 5.5.1");
        await t.Expect("DATA", "503 5.5.1");
        await t.Expect("STARTTLS", "503 5.5.1"); // not inside a transaction (RFC 3207 4)
        await t.Expect("RSET", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "503 5.5.1");
        await t.Expect("AUTH PLAIN", "502 5.5.1"); // the MTA does not do AUTH
    }

    [Fact]
    public async Task Syntax_errors_give_501_and_the_session_continues()
    {
        await using var t = await Mta();
        await t.Expect("EHLO", "501");
        await t.Expect("EHLO x.test", "250");
        await t.Expect("MAIL FROM:bob", "501");
        await t.Expect("MAIL FROM:<a@x.test> FOO=BAR", "555");
        await t.Expect("MAIL FROM:<a@x.test> SIZE=999999", "552 5.3.4");
        await t.Expect("MAIL FROM:<a@x.test> SIZE=100", "250");
    }

    [Theory]
    [InlineData("SIZE=2049", "552 5.3.4")]
    [InlineData("SIZE=9223372036854775807", "552 5.3.4")]
    [InlineData("SIZE=9223372036854775808", "552 5.3.4")]
    [InlineData("SIZE=99999999999999999999", "552 5.3.4")]
    [InlineData("SIZE=123456789012345678901234567890", "552 5.3.4")]
    [InlineData("SIZE=2048", "250")]
    [InlineData("SIZE=00000000000000000000002048", "250")]
    [InlineData("SIZE=1e9", "501 5.5.4")]
    [InlineData("SIZE=+5", "501 5.5.4")]
    public async Task Declared_SIZE_over_the_limit_is_552_however_many_digits(string size, string expected)
    {
        // RFC 1870 §6.1: a declared size over the fixed maximum is refused at MAIL; 2^63 and above once got 250.
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.Expect($"MAIL FROM:<a@x.test> {size}", expected);
    }

    [Fact]
    public async Task Command_line_over_512_octets_gets_500_and_session_goes_on()
    {
        await using var t = await Mta();
        await t.Expect("EHLO " + new string('a', 600), "500 5.5.6");
        await t.Expect("EHLO x.test", "250");
        Assert.Contains(lab.Events(TraceKind.LimitExceeded), e => e.Field("Limit") == "command-line");
    }

    [Fact]
    public async Task Recipient_limit_gives_452_and_first_recipients_still_get_the_message()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.Expect("MAIL FROM:<a@x.test>", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "250");
        await t.Expect("RCPT TO:<ceo@bank.test>", "250");
        await t.Expect("RCPT TO:<postmaster@bank.test>", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "452 4.5.3");
        await t.Expect("DATA", "354");
        await t.SendRawAsync(SmtpTranscript.Message("a@x.test", "bob@bank.test", "many"));
        Assert.StartsWith("250", await t.ReplyAsync());
        await Inbox("bob@bank.test");
        await Inbox("ceo@bank.test");
        var stored = await Inbox("postmaster@bank.test");
        Assert.DoesNotContain("\tfor <", stored); // no "for" clause with several recipients (RFC 5321 7.2)
    }

    [Fact]
    public async Task Message_over_the_size_limit_gets_552_and_is_not_stored()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.StartData("a@x.test", "bob@bank.test");
        await t.SendRawAsync(SmtpTranscript.Message("a@x.test", "bob@bank.test", "big", string.Join("\r\n", Enumerable.Repeat(new string('x', 70), 60))));
        Assert.StartsWith("552 5.3.4", await t.ReplyAsync());
        await t.Expect("NOOP", "250"); // still in sync after the refused message
        await Inbox("bob@bank.test", expected: 0);
    }

    [Fact]
    public async Task Text_line_over_1000_octets_is_refused()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.StartData("a@x.test", "bob@bank.test");
        await t.SendRawAsync(SmtpTranscript.Message("a@x.test", "bob@bank.test", "long", new string('y', 1500)));
        Assert.StartsWith("550 5.6.0", await t.ReplyAsync());
        await Inbox("bob@bank.test", expected: 0);
    }

    [Theory]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\n.\n")]
    [InlineData("\r.\r\n")]
    public async Task Smuggled_end_of_data_is_not_end_of_data(string fakeEnd)
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.StartData("bob@bank.test", "bob@bank.test");
        // The smuggled second message would be delivered to ceo if the fake end were honoured.
        var smuggled = "From: bob@bank.test\r\nSubject: one\r\n\r\nbody" + fakeEnd
            + "MAIL FROM:<ceo@bank.test>\r\nRCPT TO:<ceo@bank.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n";
        await t.SendRawAsync(smuggled);
        Assert.StartsWith("550 5.6.0", await t.ReplyAsync());
        await t.Expect("NOOP", "250"); // exactly one reply for the whole thing: in sync
        await Inbox("bob@bank.test", expected: 0);
        await Inbox("ceo@bank.test", expected: 0);
    }

    [Fact]
    public async Task Pipelined_commands_get_their_replies_in_order()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.SendRawAsync("MAIL FROM:<a@x.test>\r\nRCPT TO:<bob@bank.test>\r\nRCPT TO:<nobody@bank.test>\r\nDATA\r\n");
        Assert.StartsWith("250 2.1.0", await t.ReplyAsync());
        Assert.StartsWith("250 2.1.5", await t.ReplyAsync());
        Assert.StartsWith("550 5.1.1", await t.ReplyAsync());
        Assert.StartsWith("354", await t.ReplyAsync());
        await t.SendRawAsync("Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n");
        Assert.StartsWith("250 2.0.0", await t.ReplyAsync());
        Assert.StartsWith("221", await t.ReplyAsync());
        await Inbox("bob@bank.test");
    }

    [Fact]
    public async Task Dot_stuffed_lines_are_unstuffed()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.StartData("a@x.test", "bob@bank.test");
        await t.SendRawAsync("Subject: dots\r\n\r\n..leading dot\r\n...\r\n.\r\n");
        Assert.StartsWith("250", await t.ReplyAsync());
        Assert.EndsWith("\r\n\r\n.leading dot\r\n..\r\n", await Inbox("bob@bank.test"));
    }

    [Fact]
    public async Task A_base64_credential_pipelined_after_STARTTLS_is_not_shown_in_the_injection_preview()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        // A client that sends its SASL response ahead of the challenge, in the plaintext part.
        await t.SendRawAsync("STARTTLS\r\nAGFsaWNlQHVjLnRlc3QAbGFiLWFsaWNl\r\n");
        Assert.StartsWith("220 2.0.0", await t.ReplyAsync());
        await t.HandshakeAsync();
        var injection = Assert.Single(lab.Events(TraceKind.PlaintextInjection));
        Assert.DoesNotContain("AGFsaWNl", injection.Field("Preview"));
        Assert.DoesNotContain("AGFsaWNl", injection.Text);
        Assert.Equal("34", injection.Field("Octets"));
    }

    [Fact]
    public async Task STARTTLS_discards_injected_plaintext_and_requires_EHLO_again()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        // The attack of RFC 3207 5 / CVE-2011-0411: a command hidden behind STARTTLS in one packet.
        await t.SendRawAsync("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
        Assert.StartsWith("220 2.0.0", await t.ReplyAsync());
        await t.HandshakeAsync();
        var injection = Assert.Single(lab.Events(TraceKind.PlaintextInjection));
        Assert.Contains("MAIL FROM:<injected@evil.test>", injection.Field("Preview"));
        await lab.WaitForEvent(e => e.Kind == TraceKind.TlsEstablished && e.Field("Version") is "TLS1_3" or "TLS1_2");
        await t.Expect("MAIL FROM:<a@x.test>", "503 5.5.1"); // state reset: EHLO first
        var ehlo = await t.Expect("EHLO x.test", "250");
        Assert.DoesNotContain("STARTTLS", ehlo);
        await t.Expect("STARTTLS", "503 5.5.1");
        await t.StartData("a@x.test", "bob@bank.test");
        await t.SendRawAsync("Subject: tls\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250", await t.ReplyAsync());
        Assert.Matches(@"with ESMTPS id \w+\r\n\t\(version=TLS1_[23] cipher=TLS_\w+ bits=\d+/\d+\)", await Inbox("bob@bank.test"));
    }

    [Fact]
    public async Task VRFY_does_not_disclose_users_and_EXPN_is_off()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        await t.Expect("VRFY bob", "252 2.5.0");
        await t.Expect("VRFY nobody", "252 2.5.0");
        await t.Expect("EXPN staff", "502");
        await t.Expect("HELP", "214");
    }

    [Fact]
    public async Task Too_many_errors_close_the_session()
    {
        await using var t = await Mta();
        for (int i = 0; i < 19; i++)
        {
            await t.Expect("BOGUS", "500");
        }
        await t.Expect("BOGUS", "500");
        Assert.StartsWith("421 4.7.0", await t.ReplyAsync());
        Assert.True(await t.ClosedAsync());
    }

    [Fact]
    public async Task Shutdown_sends_421_to_an_idle_session()
    {
        await using var t = await Mta();
        await t.Expect("EHLO x.test", "250");
        t.Shutdown();
        Assert.StartsWith("421 4.3.2", await t.ReplyAsync());
        Assert.True(await t.ClosedAsync());
    }

    [Fact]
    public async Task An_idle_client_gets_421_after_the_command_timeout()
    {
        await using var quick = TestLab.Create(commandTimeout: "1s");
        await using var t = await SmtpTranscript.StartAsync(quick.Site("bank"), SmtpProfile.Mta);
        await t.Expect("EHLO x.test", "250");
        var started = DateTime.UtcNow;
        Assert.StartsWith("421 4.4.2", await t.ReplyAsync()); // nothing sent: the server gives up
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.5, 10);
        Assert.True(await t.ClosedAsync());
        Assert.Contains(quick.Events(TraceKind.SessionClosed), e => e.Field("Reason") == "idle timeout");
    }

    [Fact]
    public async Task Every_command_and_reply_is_traced()
    {
        await using var t = await Mta();
        await t.Expect("EHLO trace.test", "250");
        await t.Expect("NOOP", "250");
        var commands = lab.Events(TraceKind.CommandReceived).Select(e => e.Field("Line")).ToList();
        Assert.Equal(["EHLO trace.test", "NOOP"], commands);
        var replies = lab.Events(TraceKind.ReplySent).Select(e => e.Field("Code")).ToList();
        Assert.Equal(["220", "250", "250"], replies);
        Assert.All(lab.Events(), e => Assert.Equal(TraceRole.MTA, e.Role));
        Assert.Single(lab.Events(TraceKind.SessionOpened));
    }
}
