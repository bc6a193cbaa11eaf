using MailLab.Protocols.Sasl;
using MailLab.Server.Lab;
using MailLab.Server.Imap;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>TLS, login and limits as transcripts: what a student sees with <c>openssl s_client -starttls imap</c>.</summary>
public sealed class ImapSecurityTranscriptTests : LabTest
{
    [Fact]
    public async Task Before_TLS_login_is_disabled_and_refused()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"));
        Assert.Contains("STARTTLS", t.Greeting);
        Assert.Contains("LOGINDISABLED", t.Greeting);
        Assert.DoesNotContain("AUTH=PLAIN", t.Greeting);
        await t.Expect("1 LOGIN alice@uc.test lab-alice", "NO [PRIVACYREQUIRED]");
        await t.Expect("2 AUTHENTICATE PLAIN " + SaslPlain.Encode("", "alice@uc.test", "lab-alice"), "NO [PRIVACYREQUIRED]");
        Assert.Empty(lab.Events(TraceKind.AuthSucceeded));
        // After STARTTLS the same session may log in, and the capabilities change.
        await t.Expect("3 STARTTLS", "OK");
        await t.HandshakeAsync();
        var caps = await t.Expect("4 CAPABILITY", "OK");
        Assert.Contains("AUTH=PLAIN", caps[0]);
        Assert.DoesNotContain("STARTTLS", caps[0]);
        Assert.DoesNotContain("LOGINDISABLED", caps[0]);
        await t.Expect("5 LOGIN alice@uc.test lab-alice", "OK [CAPABILITY IMAP4rev1");
    }

    [Fact]
    public async Task The_plaintext_switch_allows_login_without_TLS_and_the_trace_says_so()
    {
        await using var plain = TestLab.Create(plaintextAuth: true);
        await using var t = await ImapTranscript.StartAsync(plain.Site("uc"));
        Assert.Contains("AUTH=PLAIN", t.Greeting);
        Assert.DoesNotContain("LOGINDISABLED", t.Greeting);
        await t.Expect("1 LOGIN alice@uc.test lab-alice", "OK");
        var ok = Assert.Single(plain.Events(TraceKind.AuthSucceeded));
        Assert.EndsWith("(over plaintext!)", ok.Text);
        Assert.Equal(TraceRole.IMAP, ok.Role);
        // The password is not in the trace.
        Assert.DoesNotContain(plain.Events(), e => e.Text.Contains("lab-alice"));
        Assert.Contains(plain.Events(TraceKind.CommandReceived), e => e.Field("Line") == "1 LOGIN alice@uc.test <redacted>");
    }

    [Fact]
    public async Task Commands_pipelined_after_STARTTLS_are_discarded_as_an_injection()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"));
        await t.SendRawAsync("1 STARTTLS\r\n2 CREATE injected\r\n");
        Assert.StartsWith("1 OK", await t.LineAsync());
        await t.HandshakeAsync();
        await t.Expect("3 NOOP", "OK");
        var injection = await lab.WaitForEvent(e => e.Kind == TraceKind.PlaintextInjection);
        Assert.Equal("2 CREATE injected\r\n", injection.Field("Preview"));
        Assert.DoesNotContain(lab.Events(TraceKind.CommandReceived), e => e.Field("Line")!.Contains("injected"));
    }

    [Fact]
    public async Task Implicit_TLS_offers_PLAIN_at_once_and_SASL_IR_logs_in_in_one_step()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        Assert.Contains("AUTH=PLAIN", t.Greeting);
        Assert.Contains("SASL-IR", t.Greeting);
        Assert.DoesNotContain("STARTTLS", t.Greeting);
        var b64 = SaslPlain.Encode("", "alice@uc.test", "lab-alice");
        await t.Expect("1 AUTHENTICATE PLAIN " + b64, "OK");
        Assert.DoesNotContain(lab.Events(), e => e.Text.Contains(b64));
    }

    [Fact]
    public async Task Wrong_passwords_are_refused_and_the_third_closes_the_session()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        await t.Expect("1 LOGIN alice@uc.test wrong1", "NO [AUTHENTICATIONFAILED]");
        await t.Expect("2 LOGIN alice@uc.test wrong2", "NO [AUTHENTICATIONFAILED]");
        await t.SendAsync("3 LOGIN alice@uc.test wrong3");
        var lines = await t.UntilTaggedAsync("3");
        Assert.Contains("* BYE Too many failed logins", lines.Concat([await t.LineAsync()]));
        Assert.True(await t.ClosedAsync());
        var failed = lab.Events(TraceKind.AuthFailed);
        Assert.Equal(3, failed.Count);
        Assert.All(failed, e => Assert.Equal("<redacted>", e.Field("Password")));
    }

    [Fact]
    public async Task Authenticate_with_a_continuation_can_be_cancelled()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        await t.SendAsync("1 AUTHENTICATE PLAIN");
        Assert.Equal("+ ", await t.LineAsync());
        await t.SendAsync("*");
        Assert.StartsWith("1 BAD", await t.LineAsync());
        await t.Expect("2 AUTHENTICATE CRAM-MD5", "NO");
        await t.Expect("3 NOOP", "OK");
    }

    [Fact]
    public async Task Bad_commands_get_BAD_and_the_session_goes_on()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 FROBNICATE", "BAD Unknown command FROBNICATE");
        await t.Expect("2 FETCH 1 (FLAGS)", "BAD FETCH is valid only in the selected state");
        await t.Expect("3 LOGIN alice@uc.test lab-alice", "BAD LOGIN is valid only in the not authenticated state");
        await t.Expect("4 SELECT", "BAD");
        await t.Expect("5 UID NOOP", "BAD");
        await t.SendAsync("* NOOP");
        Assert.StartsWith("* BAD Syntax error", await t.LineAsync());
        await t.Expect("6 SELECT INBOX", "OK");
        await t.Expect("7 FETCH 5 (FLAGS)", "BAD Message sequence number out of range");
        await t.Expect("8 FETCH 1:* (FROB)", "BAD unknown FETCH item FROB");
        await t.Expect("9 NOOP", "OK");
    }

    [Fact]
    public async Task Over_long_lines_and_too_large_literals_are_refused_without_ending_the_session()
    {
        await using var small = TestLab.Create(maxSize: "1KiB");
        await using var t = await ImapTranscript.LoggedInAsync(small.Site("uc"));
        await t.Expect("1 NOOP " + new string('x', ImapSession.MaxLine + 100), "BAD Command line too long");
        await t.Expect("2 APPEND INBOX {5000}", "NO [TOOBIG]");
        await t.Expect("3 NOOP", "OK");
        Assert.Contains(small.Events(TraceKind.LimitExceeded), e => e.Field("Limit") == "literal");
        // A non-synchronising literal's octets are already on the way: BAD, and the server hangs up (RFC 7888 §4).
        await t.SendAsync("4 APPEND INBOX {5000+}");
        Assert.Equal("4 BAD [TOOBIG] Literal larger than 1024 octets", await t.LineAsync());
        Assert.StartsWith("* BYE", await t.LineAsync());
        Assert.True(await t.ClosedAsync());
    }

    [Fact]
    public async Task Connections_per_user_are_limited()
    {
        var sessions = new List<ImapTranscript>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                sessions.Add(await ImapTranscript.LoggedInAsync(lab.Site("uc")));
            }
            await using var extra = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
            await extra.Expect("1 LOGIN alice@uc.test lab-alice", "NO [LIMIT]");
            await sessions[0].Expect("9 LOGOUT", "OK");
            await sessions[0].DisposeAsync();
            sessions.RemoveAt(0);
            await Task.Delay(100);
            await extra.Expect("2 LOGIN alice@uc.test lab-alice", "OK");
        }
        finally
        {
            foreach (var s in sessions) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Logout_says_BYE_then_OK_and_closes()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var lines = await t.Expect("1 logout", "OK");
        Assert.StartsWith("* BYE", lines[0]);
        Assert.True(await t.ClosedAsync());
        Assert.Contains(lab.Events(TraceKind.SessionClosed), e => e.Field("Reason") == "LOGOUT");
    }

    [Fact]
    public void The_idle_timeout_cannot_be_set_below_the_RFC_minimum()
    {
        var yaml = TestLab.LabYaml().Replace("  command-timeout:", "  imap-idle-timeout: 5m\n  command-timeout:");
        var ex = Assert.Throws<LabDefinitionException>(() => LabDefinitionLoader.Parse(yaml, "lab.yml"));
        Assert.Contains("imap-idle-timeout", ex.Message);
        var ok = LabDefinitionLoader.Parse(TestLab.LabYaml().Replace("  command-timeout:", "  imap-idle-timeout: 45m\n  imap-connections-per-user: 3\n  command-timeout:"), "lab.yml");
        Assert.Equal(TimeSpan.FromMinutes(45), ok.Limits.ImapIdleTimeout);
        Assert.Equal(3, ok.Limits.ImapConnectionsPerUser);
    }
}
