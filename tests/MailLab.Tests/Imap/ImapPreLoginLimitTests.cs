using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Imap;
using MailLab.Server.Trace;
using MailLab.Tests.Imap.Conformance;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>
/// Issue 20 items 2 and 5: before login a client gets small limits (lines and literals of
/// <see cref="ImapSession.MaxLiteralBeforeLogin"/> octets) and a bounded number of refused commands.
/// </summary>
public sealed class ImapPreLoginLimitTests : LabTest
{
    [Fact]
    public async Task Refused_commands_before_login_end_the_session_and_OK_commands_do_not_reset_the_count()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"));
        // No TLS: every LOGIN is refused (LOGINDISABLED); a NOOP between them must not clear the count.
        for (var i = 1; i < ImapSession.MaxErrorsBeforeLogin; i++)
        {
            await t.Expect($"L{i} LOGIN alice@uc.test lab-alice", "NO [PRIVACYREQUIRED]");
            await t.Expect($"N{i} NOOP", "OK");
        }
        var last = ImapSession.MaxErrorsBeforeLogin;
        await t.SendAsync($"L{last} LOGIN alice@uc.test lab-alice");
        Assert.StartsWith($"L{last} NO [PRIVACYREQUIRED]", await t.LineAsync());
        Assert.Equal("* BYE Too many errors", await t.LineAsync());
        Assert.True(await t.ClosedAsync());
        Assert.Contains(lab.Events(TraceKind.SessionClosed), e => e.Field("Reason") == "too many errors before login");
    }

    [Fact]
    public async Task BAD_commands_inside_a_command_count_too()
    {
        // LOGIN with the wrong number of arguments is a BAD written by the command itself: it used to reset the count.
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        for (var i = 1; i < ImapSession.MaxErrorsBeforeLogin; i++)
        {
            await t.Expect($"{i} LOGIN alice@uc.test", "BAD");
        }
        await t.SendAsync("x LOGIN alice@uc.test");
        Assert.StartsWith("x BAD", await t.LineAsync());
        Assert.Equal("* BYE Too many errors", await t.LineAsync());
        Assert.True(await t.ClosedAsync());
    }

    [Fact]
    public async Task After_login_refusals_are_normal_and_only_BAD_in_a_row_counts()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        for (var i = 0; i < 2 * ImapSession.MaxErrorsBeforeLogin; i++)
        {
            await t.Expect($"S{i} SELECT nowhere{i}", "NO [NONEXISTENT]");
        }
        await t.Expect("Z NOOP", "OK");
    }

    [Fact]
    public async Task Before_login_a_synchronising_literal_over_the_limit_gets_NO_without_a_continuation()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        var over = ImapSession.MaxLiteralBeforeLogin + 1;
        await t.Expect($"1 LOGIN {{{over}}}", $"NO [TOOBIG] Literal larger than {ImapSession.MaxLiteralBeforeLogin} octets before login");
        var limit = Assert.Single(lab.Events(TraceKind.LimitExceeded));
        Assert.Equal("literal-before-login", limit.Field("Limit"));
        Assert.Equal(ImapSession.MaxLiteralBeforeLogin.ToString(), limit.Field("Max"));
        // A literal within the limit is answered with "+" and used.
        await t.SendAsync("2 LOGIN {13}");
        Assert.StartsWith("+ ", await t.LineAsync());
        await t.SendAsync("alice@uc.test lab-alice");
        Assert.StartsWith("2 OK", (await t.UntilTaggedAsync("2"))[^1]);
        // After login the message size limit applies again (APPEND of a larger message).
        var body = ImapTestMail.Simple("big", new string('x', 2 * ImapSession.MaxLiteralBeforeLogin));
        await t.Expect($"3 APPEND INBOX {{{body.Length}+}}\r\n{body}", "OK [APPENDUID");
    }

    [Fact]
    public async Task Before_login_a_line_over_the_limit_is_refused_and_counts()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        for (var i = 1; i < ImapSession.MaxErrorsBeforeLogin; i++)
        {
            await t.Expect($"{i} LOGIN " + new string('u', ImapSession.MaxLine) + " p", "BAD Command line too long");
        }
        await t.SendAsync("x LOGIN " + new string('u', ImapSession.MaxLine) + " p");
        Assert.StartsWith("x BAD Command line too long", await t.LineAsync());
        Assert.Equal("* BYE Too many errors", await t.LineAsync());
    }

    [Fact]
    public void The_framer_refuses_a_huge_non_synchronising_literal_without_holding_its_octets()
    {
        var framer = new ImapFramer(ImapSession.MaxLine, ImapSession.MaxLiteralBeforeLogin);
        var input = new byte[1 << 20];
        var head = "A LOGIN {10000000+}\r\n"u8.ToArray();
        head.CopyTo(input, 0);
        var buffer = new System.Buffers.ReadOnlySequence<byte>(input);
        Assert.Equal(ImapFrameStatus.NonSyncLiteralTooLarge, framer.Read(ref buffer));
        Assert.Equal(10_000_000, framer.AnnouncedLiteral);
        Assert.Equal("A", framer.RefusedTag);
        Assert.Equal(input.Length - head.Length, buffer.Length); // the literal's octets were not taken
        Assert.True(framer.Capacity <= ImapFramer.KeptCapacity, $"frame buffer {framer.Capacity} octets");
    }

    [Fact]
    public async Task Over_a_socket_a_huge_non_synchronising_LOGIN_literal_gets_BAD_and_the_connection_closes()
    {
        await using var socketLab = ImapLab.Start();
        var ep = socketLab.Runtime!.EndPoint("uc", "IMAP", "starttls");
        await using var c = await ImapLineConnection.Open(new ImapTarget(ep.Address.ToString(), ep.Port, "", ""), CancellationToken.None);
        Assert.StartsWith("* OK", await c.ReadReply(CancellationToken.None));
        // Only the announcement: a server that accepted the literal would wait here for its 10 MB. (Octets
        // sent behind it would make the server's close a TCP reset that can destroy the BAD in flight;
        // the transcript test below sends them.)
        await c.Send("A LOGIN {10000000+}\r\n", CancellationToken.None);
        Assert.Equal($"A BAD [TOOBIG] Literal larger than {ImapSession.MaxLiteralBeforeLogin} octets before login", await c.ReadReply(CancellationToken.None));
        Assert.StartsWith("* BYE", await c.ReadReply(CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => c.ReadReply(CancellationToken.None));
        var closed = await socketLab.WaitForEvent(e => e.Kind == TraceKind.SessionClosed && e.Role == TraceRole.IMAP);
        Assert.Equal("literal too large", closed.Field("Reason"));
    }

    [Fact]
    public async Task A_huge_non_synchronising_literal_before_login_is_refused_while_its_octets_arrive()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"), implicitTls: true);
        await t.SendRawAsync("A LOGIN {10000000+}\r\n" + new string('x', 64 * 1024));
        Assert.Equal($"A BAD [TOOBIG] Literal larger than {ImapSession.MaxLiteralBeforeLogin} octets before login", await t.LineAsync());
        Assert.StartsWith("* BYE", await t.LineAsync());
        Assert.True(await t.ClosedAsync());
        var limit = Assert.Single(lab.Events(TraceKind.LimitExceeded));
        Assert.Equal("literal-before-login", limit.Field("Limit"));
    }

    [Fact]
    public async Task Over_a_socket_a_client_repeating_a_long_refused_LOGIN_is_disconnected()
    {
        await using var socketLab = ImapLab.Start();
        var ep = socketLab.Runtime!.EndPoint("uc", "IMAP", "starttls");
        await using var c = await ImapLineConnection.Open(new ImapTarget(ep.Address.ToString(), ep.Port, "", ""), CancellationToken.None);
        Assert.StartsWith("* OK", await c.ReadReply(CancellationToken.None));
        var user = new string('u', 60_000);
        var replies = new List<string>();
        for (var i = 1; i <= ImapSession.MaxErrorsBeforeLogin; i++)
        {
            await c.Send($"a{i} LOGIN {user} p\r\n", CancellationToken.None);
            replies.Add(await c.ReadReply(CancellationToken.None));
        }
        Assert.All(replies, r => Assert.Matches(@"^a\d+ (BAD|NO) ", r));
        Assert.Equal("* BYE Too many errors", await c.ReadReply(CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => c.ReadReply(CancellationToken.None));
        var closed = await socketLab.WaitForEvent(e => e.Kind == TraceKind.SessionClosed && e.Role == TraceRole.IMAP);
        Assert.Equal("too many errors before login", closed.Field("Reason"));
    }
}
