using MailLab.Server.Smtp;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Smtp;

/// <summary>
/// Issue 20 item 9: the MSA's sender policy covers the header From too (RFC 6409 §8), not only the
/// envelope: with <c>allow-sender-forgery</c> off, alice may not submit (and get DKIM-signed) a
/// message whose From is carol's or the bank's.
/// </summary>
public sealed class SubmissionHeaderFromTests
{
    private static async Task<SmtpTranscript> AliceInData(TestLab lab)
    {
        var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(false), "127.0.0.1");
        await t.LogInOverStartTlsAsync("alice@uc.test", "lab-alice");
        await t.StartData("alice@uc.test", "alice@uc.test");
        return t;
    }

    private static string Message(string fromLines) =>
        $"{fromLines}To: alice@uc.test\r\nSubject: who wrote this?\r\n\r\nHello.\r\n.";

    [Theory]
    [InlineData("From: alice@uc.test\r\n")]
    [InlineData("From: Alice Example <alice@uc.test>\r\n")]
    [InlineData("From: ALICE@UC.TEST\r\n")]                     // addresses of lab users are case-insensitive
    [InlineData("From: \"Alice (uc)\" <Alice@uc.test>\r\n")]
    [InlineData("From: =?utf-8?q?Alice_Example?= <alice@uc.test>\r\n")]
    [InlineData("")]                                            // no From at all: nothing to forge (kept as before)
    public async Task The_users_own_From_is_accepted(string from)
    {
        await using var lab = TestLab.Create();
        await using var t = await AliceInData(lab);
        await t.Expect(Message(from), "250 2.0.0");
        Assert.Empty(lab.Events(TraceKind.PolicyRejected));
        Assert.Single(await lab.Store.ListAsync("alice@uc.test", "INBOX", default));
        // The trace says whether the author was the logged-in user (null: no From to judge).
        Assert.Equal(from.Length == 0 ? null : "True", Assert.Single(lab.Events(TraceKind.MessageReceived)).Field("FromIsAuthenticatedUser"));
    }

    [Theory]
    [InlineData("From: carol@uc.test\r\n", "carol@uc.test")]
    [InlineData("From: Alice <carol@uc.test>\r\n", "carol@uc.test")]
    [InlineData("From: The CEO <ceo@bank.test>\r\n", "ceo@bank.test")]
    [InlineData("From: alice@uc.test.evil.test\r\n", "alice@uc.test.evil.test")]
    [InlineData("From: alice@uc.test, carol@uc.test\r\n", "alice@uc.test, carol@uc.test")]
    [InlineData("From: alice@uc.test\r\nFrom: carol@uc.test\r\n", "alice@uc.test")]
    [InlineData("From: team: alice@uc.test;\r\n", "team: alice@uc.test;")]
    [InlineData("From: <alice@uc.test> <carol@uc.test>\r\n", "<alice@uc.test> <carol@uc.test>")]
    [InlineData("From: =?utf-8?q?carol=40uc=2Etest?=\r\n", "=?utf-8?q?carol=40uc=2Etest?=")]
    public async Task Another_From_is_refused_at_the_end_of_DATA(string from, string address)
    {
        await using var lab = TestLab.Create();
        await using var t = await AliceInData(lab);
        var reply = await t.Expect(Message(from), "550 5.7.1");
        Assert.Contains("alice@uc.test", reply);
        var refused = Assert.Single(lab.Events(TraceKind.PolicyRejected));
        Assert.Equal("DATA", refused.Field("Stage"));
        Assert.Equal(address, refused.Field("Address"));
        Assert.Equal("550", refused.Field("Code"));
        Assert.Equal("5.7.1", refused.Field("Enhanced"));
        Assert.StartsWith("header From", refused.Field("Reason"));
        Assert.Equal("False", lab.Events(TraceKind.MessageReceived)[0].Field("FromIsAuthenticatedUser"));
        Assert.Empty(await lab.Store.ListAsync("alice@uc.test", "INBOX", default)); // nothing delivered
        Assert.Empty(lab.Queue.LoadAll());                                          // nothing queued
        await t.Expect("NOOP", "250");                                              // the session goes on
        await t.StartData("alice@uc.test", "alice@uc.test");
        await t.Expect(Message("From: alice@uc.test\r\n"), "250 2.0.0");
    }

    [Fact]
    public async Task A_refused_From_for_a_remote_recipient_is_not_queued()
    {
        await using var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.SubmissionProfile(false), "127.0.0.1");
        await t.LogInOverStartTlsAsync("alice@uc.test", "lab-alice");
        await t.StartData("alice@uc.test", "bob@bank.test");
        await t.Expect("From: ceo@bank.test\r\nSubject: pay\r\n\r\nNow.\r\n.", "550 5.7.1");
        Assert.Empty(lab.Queue.LoadAll());
        Assert.Empty(lab.Events(TraceKind.QueueEntryAdded));
    }

    [Fact]
    public async Task The_forgery_switch_allows_any_header_From()
    {
        await using var lab = TestLab.Create(forgery: true);
        await using var t = await AliceInData(lab);
        await t.Expect(Message("From: The CEO <ceo@bank.test>\r\n"), "250 2.0.0");
        Assert.Empty(lab.Events(TraceKind.PolicyRejected));
        Assert.Single(await lab.Store.ListAsync("alice@uc.test", "INBOX", default));
        // Accepted, and the trace marks it as another author than the user (exercise 11 judges this).
        Assert.Equal("False", Assert.Single(lab.Events(TraceKind.MessageReceived)).Field("FromIsAuthenticatedUser"));
    }

    [Fact]
    public async Task The_MTA_does_not_apply_the_submission_rule()
    {
        await using var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), SmtpProfile.Mta, "127.0.3.1");
        await t.Expect("EHLO mx.evil.test", "250");
        await t.StartData("mallory@evil.test", "alice@uc.test");
        await t.Expect(Message("From: carol@uc.test\r\n"), "250 2.0.0");
        Assert.Null(Assert.Single(lab.Events(TraceKind.MessageReceived)).Field("FromIsAuthenticatedUser"));
    }
}
