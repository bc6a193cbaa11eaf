using System.Text;
using MailLab.Protocols.Pop3;
using MailLab.Server.Store;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Pop3;

/// <summary>
/// Every POP3 command in every state, in memory, transcript style. Each test runs twice: whole
/// lines, and every line written one octet at a time.
/// </summary>
public sealed class Pop3TranscriptTests
{
    private const string Alice = "alice@uc.test";
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static async Task<Pop3Transcript> Tls(TestLab lab, bool byteByByte)
    {
        var t = await Pop3Transcript.StartAsync(lab.Site("uc"), byteByByte: byteByByte);
        await t.StlsAsync();
        return t;
    }

    private static async Task<List<StoredMessage>> ThreeMessages(TestLab lab)
    {
        var list = new List<StoredMessage>();
        list.Add(await Pop3Transcript.Deliver(lab.Store, Alice, "From: bob@bank.test\r\nSubject: one\r\n\r\nfirst\r\n"));
        list.Add(await Pop3Transcript.Deliver(lab.Store, Alice, "From: bob@bank.test\r\nSubject: two\r\n\r\n.leading dot\r\n.\r\nsecond\r\n"));
        list.Add(await Pop3Transcript.Deliver(lab.Store, Alice, "From: bob@bank.test\r\nSubject: three\r\n\r\nthird\r\n"));
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Plaintext_port_offers_STLS_and_refuses_passwords_until_TLS(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await using var t = await Pop3Transcript.StartAsync(lab.Site("uc"), byteByByte: byteByByte);
        Assert.Matches(@"^\+OK mx\.uc\.test POP3 MailLab ready <\d+\.\d+\.\d+@mx\.uc\.test>$", t.Greeting);
        var (_, capa) = await t.ExpectMulti("CAPA");
        Assert.Equal(["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "IMPLEMENTATION MailLab"], capa);
        await t.Expect("USER alice@uc.test", "-ERR [AUTH] Plaintext login is disabled");
        await t.Expect("AUTH PLAIN " + B64($"\0{Alice}\0lab-alice"), "-ERR [AUTH]");
        await t.Expect($"APOP {Alice} {Pop3Apop.Digest(t.Timestamp, "lab-alice")}", "-ERR [AUTH] APOP is disabled before STLS");
        await t.Expect("PASS lab-alice", "-ERR PASS must follow a successful USER");
        await t.Expect("STAT", "-ERR STAT is only valid in the TRANSACTION state");
        await t.Expect("NOOP", "-ERR NOOP is only valid in the TRANSACTION state");
        await t.Expect("XYZZY", "-ERR Unknown command");
        Assert.Empty(lab.Events(TraceKind.AuthSucceeded));
        Assert.Empty(lab.Events(TraceKind.AuthFailed)); // refused before any password was checked

        await t.StlsAsync();
        var (_, capa2) = await t.ExpectMulti("CAPA");
        Assert.Equal(["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN", "IMPLEMENTATION MailLab"], capa2);
        await t.Expect("STLS", "-ERR TLS already active");
        await t.LoginAsync(Alice, "lab-alice");
        var (_, capa3) = await t.ExpectMulti("CAPA");
        Assert.DoesNotContain("USER", capa3);
        await t.Expect("QUIT", "+OK");
        Assert.True(await t.ClosedAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Transaction_commands_list_and_retrieve_byte_for_byte(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        var stored = await ThreeMessages(lab);
        await using var t = await Tls(lab, byteByByte);
        await t.Expect("USER alice@uc.test", "+OK");
        var login = await t.Expect("PASS lab-alice", "+OK");
        var total = stored.Sum(m => m.Size);
        Assert.Contains($"3 messages ({total} octets)", login);
        await t.Expect("STAT", $"+OK 3 {total}");
        var (_, list) = await t.ExpectMulti("LIST");
        Assert.Equal(stored.Select((m, i) => $"{i + 1} {m.Size}"), list);
        await t.Expect("LIST 2", $"+OK 2 {stored[1].Size}");
        await t.Expect("LIST 4", "-ERR no such message");
        var (_, uidl) = await t.ExpectMulti("UIDL");
        Assert.Equal(stored.Select((m, i) => $"{i + 1} {m.UniqueId}"), uidl);
        await t.Expect("UIDL 3", $"+OK 3 {stored[2].UniqueId}");
        await t.Expect("UIDL 9", "-ERR no such message");

        await t.Expect("RETR 2", $"+OK {stored[1].Size} octets");
        var raw = await t.RawBodyAsync();
        // Lines starting with "." were stuffed; unstuffed, the body is exactly what the store holds.
        Assert.Equal("From: bob@bank.test\r\nSubject: two\r\n\r\n..leading dot\r\n..\r\nsecond\r\n.\r\n", Encoding.UTF8.GetString(raw));
        var unstuffed = Encoding.UTF8.GetString(raw[..^3]).Replace("\r\n..", "\r\n.");
        await using (var s = (await lab.Store.OpenReadAsync(stored[1], default))!)
        {
            Assert.Equal(await new StreamReader(s).ReadToEndAsync(), unstuffed);
        }
        await t.Expect("TOP 2 0", "+OK");
        Assert.Equal(["From: bob@bank.test", "Subject: two", ""], await t.BodyAsync());
        await t.Expect("TOP 2 1", "+OK");
        Assert.Equal(["From: bob@bank.test", "Subject: two", "", "..leading dot"], await t.BodyAsync());
        await t.Expect("TOP 7 1", "-ERR no such message");
        await t.Expect("RETR 0", "-ERR Invalid message number");
        await t.Expect("NOOP", "+OK");
        await t.Expect("USER bob", "-ERR USER is only valid before login");
        await t.Expect("STLS", "-ERR STLS is only valid before login");
        await t.Expect("QUIT", "+OK mx.uc.test POP3 server signing off (0 messages deleted, 3 left)");
        Assert.Equal(3, (await lab.Store.ListAsync(Alice, "INBOX", default)).Count);
        Assert.Contains(lab.Events(TraceKind.MailboxAccess), e => e.Field("Action") == "retrieve" && e.Field("UniqueId") == stored[1].UniqueId
            && e.Field("Octets") == stored[1].Size.ToString() && e.Role == TraceRole.POP3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DELE_marks_RSET_unmarks_and_QUIT_deletes_durably(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        var stored = await ThreeMessages(lab);
        await using (var t = await Tls(lab, byteByByte))
        {
            await t.LoginAsync(Alice, "lab-alice");
            await t.Expect("DELE 1", "+OK message 1 deleted");
            await t.Expect("DELE 1", "-ERR message 1 already deleted");
            await t.Expect("RETR 1", "-ERR message 1 already deleted");
            await t.Expect("LIST 1", "-ERR message 1 already deleted");
            await t.Expect("STAT", $"+OK 2 {stored[1].Size + stored[2].Size}");
            await t.Expect("RSET", "+OK maildrop has 3 messages");
            await t.Expect("STAT", $"+OK 3 ");
            await t.Expect("DELE 1", "+OK");
            await t.Expect("DELE 3", "+OK");
            var (_, list) = await t.ExpectMulti("LIST");
            Assert.Equal([$"2 {stored[1].Size}"], list); // numbers do not shift (RFC 1939 §5)
            await t.Expect("QUIT", "+OK mx.uc.test POP3 server signing off (2 messages deleted, 1 left)");
        }
        // A fresh store over the same directory reads the disk, not the cache.
        var reloaded = new MessageStore(lab.Store.Root);
        var left = Assert.Single(await reloaded.ListAsync(Alice, "INBOX", default));
        Assert.Equal(stored[1].UniqueId, left.UniqueId);
        Assert.False(File.Exists(Path.Combine(lab.Store.MailboxPath(Alice, "INBOX"), "pop3-update")));
        Assert.Equal(2, lab.Events(TraceKind.MailboxAccess).Count(e => e.Field("Action") == "delete"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DELE_then_a_dropped_connection_deletes_nothing(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await ThreeMessages(lab);
        var t = await Tls(lab, byteByByte);
        await t.LoginAsync(Alice, "lab-alice");
        await t.Expect("DELE 1", "+OK");
        await t.Expect("DELE 2", "+OK");
        await t.DisposeAsync(); // no QUIT: RFC 1939 §6, no UPDATE state
        Assert.Equal(3, (await new MessageStore(lab.Store.Root).ListAsync(Alice, "INBOX", default)).Count);
        Assert.DoesNotContain(lab.Events(TraceKind.MailboxAccess), e => e.Field("Action") == "delete");
        // And the lock went with the session.
        await using var again = await Tls(lab, byteByByte);
        await again.LoginAsync(Alice, "lab-alice");
        await again.Expect("STAT", "+OK 3 ");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_interrupted_UPDATE_is_finished_at_the_next_login(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        var stored = await ThreeMessages(lab);
        // What a crash after writing the intent file and before the deletions leaves behind.
        var maildrop = lab.Store.MailboxPath(Alice, "INBOX");
        await File.WriteAllTextAsync(Path.Combine(maildrop, "pop3-update"), $"{stored[0].UniqueId}\n{stored[2].UniqueId}\n");
        await using var t = await Tls(lab, byteByByte);
        await t.LoginAsync(Alice, "lab-alice");
        await t.Expect("STAT", $"+OK 1 {stored[1].Size}");
        await t.Expect("UIDL 1", $"+OK 1 {stored[1].UniqueId}");
        Assert.False(File.Exists(Path.Combine(maildrop, "pop3-update")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Second_session_for_the_same_maildrop_gets_IN_USE(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await ThreeMessages(lab);
        await using var first = await Tls(lab, byteByByte);
        await first.LoginAsync(Alice, "lab-alice");
        await using var second = await Tls(lab, byteByByte);
        await second.Expect("USER alice@uc.test", "+OK");
        await second.Expect("PASS lab-alice", "-ERR [IN-USE]");
        await second.Expect("STAT", "-ERR"); // back in AUTHORIZATION
        await first.Expect("QUIT", "+OK");
        Assert.True(await first.ClosedAsync());
        await second.LoginAsync(Alice, "lab-alice");
        Assert.Contains(lab.Events(TraceKind.MailboxAccess), e => e.Field("Action") == "login-refused");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_session_sees_the_maildrop_as_it_was_at_login(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        var stored = await ThreeMessages(lab);
        await using (var t = await Tls(lab, byteByByte))
        {
            await t.LoginAsync(Alice, "lab-alice");
            var late = await Pop3Transcript.Deliver(lab.Store, Alice, "Subject: late\r\n\r\narrived during the session\r\n");
            await t.Expect("STAT", $"+OK 3 {stored.Sum(m => m.Size)}");
            await t.Expect("LIST 4", "-ERR no such message");
            await t.Expect("DELE 1", "+OK");
            await t.Expect("QUIT", "+OK");
            Assert.Contains(late.UniqueId, (await lab.Store.ListAsync(Alice, "INBOX", default)).Select(m => m.UniqueId));
        }
        await using var next = await Tls(lab, byteByByte);
        await next.LoginAsync(Alice, "lab-alice");
        await next.Expect("STAT", "+OK 3 ");
        await next.Expect("UIDL 3", "+OK 3 " + (await lab.Store.ListAsync(Alice, "INBOX", default))[2].UniqueId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AUTH_PLAIN_initial_response_continuation_and_cancel(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await using var t = await Tls(lab, byteByByte);
        await t.Expect("AUTH CRAM-MD5", "-ERR Unrecognized authentication mechanism");
        await t.Expect("AUTH PLAIN", "+ ");
        await t.Expect("*", "-ERR Authentication cancelled");
        await t.Expect("AUTH PLAIN", "+ ");
        await t.Expect("!!!notbase64", "-ERR Cannot decode");
        await t.Expect("AUTH PLAIN " + B64($"ceo@bank.test\0{Alice}\0lab-alice"), "-ERR [AUTH] Authorization identity not permitted");
        await t.Expect("AUTH PLAIN", "+ ");
        await t.Expect(B64($"\0{Alice}\0lab-alice"), "+OK alice@uc.test has 0 messages");
        await t.Expect("AUTH PLAIN", "-ERR AUTH is only valid before login");
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Field("Mechanism") == "PLAIN" && e.Field("User") == Alice && e.Role == TraceRole.POP3);
        await using var t2 = await Tls(lab, byteByByte);
        await t2.Expect("AUTH PLAIN " + B64($"\0{Alice}\0lab-alice"), "-ERR [IN-USE]");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Failed_logins_are_counted_and_the_third_closes_the_session(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await using var t = await Tls(lab, byteByByte);
        await t.Expect("USER alice@uc.test", "+OK");
        await t.Expect("PASS wrong", "-ERR [AUTH] Authentication failed");
        await t.Expect("PASS wrong", "-ERR PASS must follow a successful USER"); // back to AUTHORIZATION
        await t.Expect("AUTH PLAIN " + B64($"\0{Alice}\0wrong"), "-ERR [AUTH] Authentication failed");
        await t.Expect($"APOP {Alice} {new string('0', 32)}", "-ERR [AUTH] Too many failed logins");
        Assert.True(await t.ClosedAsync());
        Assert.Equal(3, lab.Events(TraceKind.AuthFailed).Count);
        Assert.Contains(lab.Events(TraceKind.LimitExceeded), e => e.Field("Limit") == "max-auth-failures");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APOP_over_TLS_and_in_plaintext_only_with_the_switch(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await using (var t = await Tls(lab, byteByByte))
        {
            await t.Expect($"APOP {Alice} {Pop3Apop.Digest(t.Timestamp, "wrong")}", "-ERR [AUTH]");
            await t.Expect($"APOP {Alice} {Pop3Apop.Digest(t.Timestamp, "lab-alice")}", "+OK");
            await t.Expect("QUIT", "+OK");
        }
        await using var open = Pop3Lab.Create(apop: true);
        await using var p = await Pop3Transcript.StartAsync(open.Site("uc"), byteByByte: byteByByte);
        var (_, capa) = await p.ExpectMulti("CAPA");
        Assert.DoesNotContain("USER", capa); // the switch opens APOP only
        await p.Expect($"APOP {Alice} {Pop3Apop.Digest(p.Timestamp, "lab-alice")}", "+OK");
        Assert.Contains(open.Events(TraceKind.AuthSucceeded), e => e.Field("Mechanism") == "APOP" && e.Field("Tls") == "False");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Plaintext_switch_allows_USER_PASS_without_TLS(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create(plaintextAuth: true);
        await using var t = await Pop3Transcript.StartAsync(lab.Site("uc"), byteByByte: byteByByte);
        var (_, capa) = await t.ExpectMulti("CAPA");
        Assert.Contains("USER", capa);
        Assert.Contains("SASL PLAIN", capa);
        Assert.Contains("STLS", capa);
        await t.LoginAsync(Alice, "lab-alice");
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Text.Contains("over plaintext"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Implicit_TLS_has_no_STLS_and_logs_in(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await using var t = await Pop3Transcript.StartAsync(lab.Site("uc"), implicitTls: true, byteByByte: byteByByte);
        var (_, capa) = await t.ExpectMulti("CAPA");
        Assert.DoesNotContain("STLS", capa);
        Assert.Contains("USER", capa);
        await t.Expect("STLS", "-ERR TLS already active");
        await t.LoginAsync(Alice, "lab-alice");
        Assert.Contains(lab.Events(TraceKind.TlsEstablished), e => e.Role == TraceRole.POP3);
    }

    [Fact]
    public async Task Commands_pipelined_after_STLS_are_discarded_not_run()
    {
        await using var lab = Pop3Lab.Create();
        await using var t = await Pop3Transcript.StartAsync(lab.Site("uc"));
        await t.SendRawAsync("STLS\r\nUSER alice@uc.test\r\nPASS lab-alice\r\n");
        Assert.StartsWith("+OK Begin TLS", await t.LineAsync());
        await t.HandshakeAsync();
        await t.Expect("STAT", "-ERR STAT is only valid in the TRANSACTION state"); // the injected login did not happen
        var injection = Assert.Single(lab.Events(TraceKind.PlaintextInjection));
        Assert.Equal(Tracer.Redacted, injection.Field("Preview"));
        Assert.Empty(lab.Events(TraceKind.AuthSucceeded));
    }

    [Fact]
    public async Task Pipelined_commands_are_answered_in_order()
    {
        await using var lab = Pop3Lab.Create();
        await ThreeMessages(lab);
        await using var t = await Tls(lab, false);
        await t.SendRawAsync("USER alice@uc.test\r\nPASS lab-alice\r\nSTAT\r\nLIST 1\r\nDELE 1\r\nNOOP\r\n");
        Assert.StartsWith("+OK send PASS", await t.LineAsync());
        Assert.StartsWith("+OK alice@uc.test has 3", await t.LineAsync());
        Assert.StartsWith("+OK 3 ", await t.LineAsync());
        Assert.StartsWith("+OK 1 ", await t.LineAsync());
        Assert.StartsWith("+OK message 1 deleted", await t.LineAsync());
        Assert.Equal("+OK ok", await t.LineAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lines_over_255_octets_are_refused_and_the_session_goes_on(bool byteByByte)
    {
        await using var lab = Pop3Lab.Create();
        await using var t = await Tls(lab, byteByByte);
        // A SASL response may be longer than a command line.
        await t.Expect("AUTH PLAIN", "+ ");
        await t.Expect(B64($"\0{Alice}\0" + new string('p', 400)), "-ERR [AUTH] Authentication failed");
        await t.Expect("USER " + new string('a', 251), "-ERR Line too long"); // 5 + 251 + CRLF = 258 octets
        await t.Expect("USER " + new string('a', 248), "+OK");                // 255 octets: allowed
        await t.Expect("AUTH PLAIN", "-ERR AUTH is not valid after USER; send PASS or QUIT");
        Assert.Contains(lab.Events(TraceKind.LimitExceeded), e => e.Field("Limit") == "command-line");
    }

    [Fact]
    public async Task Idle_session_is_closed_without_a_reply_and_without_UPDATE()
    {
        await using var lab = Pop3Lab.Create(idleTimeout: "1s");
        await ThreeMessages(lab);
        await using var t = await Tls(lab, false);
        await t.LoginAsync(Alice, "lab-alice");
        await t.Expect("DELE 1", "+OK");
        Assert.True(await t.ClosedAsync()); // RFC 1939 §3: autologout, no response
        Assert.Equal(3, (await lab.Store.ListAsync(Alice, "INBOX", default)).Count);
        Assert.Contains(lab.Events(TraceKind.LimitExceeded), e => e.Field("Limit") == "pop3-idle-timeout");
    }

    [Fact]
    public async Task Lab_shutdown_says_SYS_TEMP_and_deletes_nothing()
    {
        await using var lab = Pop3Lab.Create();
        await ThreeMessages(lab);
        await using var t = await Tls(lab, false);
        await t.LoginAsync(Alice, "lab-alice");
        await t.Expect("DELE 1", "+OK");
        t.Shutdown();
        Assert.StartsWith("-ERR [SYS/TEMP]", await t.LineAsync());
        Assert.Equal(3, (await lab.Store.ListAsync(Alice, "INBOX", default)).Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secrets_are_redacted_unless_the_lab_reveals_them(bool reveal)
    {
        await using var lab = Pop3Lab.Create(revealSecrets: reveal);
        await Pop3Transcript.Deliver(lab.Store, Alice, "Subject: private\r\n\r\nthe body text\r\n");
        await using var t = await Tls(lab, false);
        await t.Expect("USER alice@uc.test", "+OK");
        await t.Expect("PASS not-it", "-ERR");
        await t.Expect("AUTH PLAIN " + B64($"\0{Alice}\0lab-alice"), "+OK");
        await t.Expect("RETR 1", "+OK");
        await t.BodyAsync();
        var all = string.Join("\n", lab.Events().Select(e => e.Text + " " + string.Join(" ", e.Fields.Values.Select(v => v is string[] a ? string.Join(",", a) : v))));
        Assert.Equal(reveal, all.Contains("not-it"));
        Assert.Equal(reveal, all.Contains(B64($"\0{Alice}\0lab-alice")));
        Assert.DoesNotContain("the body text", all); // bodies are summarised, never logged
        Assert.Contains(lab.Events(TraceKind.ReplySent), e => e.Field("BodyOctets") is not null);
        Assert.Contains(lab.Events(TraceKind.CommandReceived), e => e.Field("Verb") == "RETR" && e.Role == TraceRole.POP3);
    }
}
