using MailLab.Protocols.Sasl;
using MailLab.Server.Store;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>
/// The command shapes Thunderbird 153 sends (issue 8), each as a transcript: lower-case commands,
/// numeric tags that do not start at 1.
/// </summary>
public sealed class ImapThunderbirdTranscriptTests : LabTest
{
    [Fact]
    public async Task Authenticate_PLAIN_with_continuation_then_namespace_id_and_list()
    {
        await using var t = await ImapTranscript.StartAsync(lab.Site("uc"));
        await t.Expect("3 starttls", "OK");
        await t.HandshakeAsync();
        var caps = await t.Expect("4 capability", "OK");
        Assert.Contains("AUTH=PLAIN", caps[0]);
        Assert.DoesNotContain("LOGINDISABLED", caps[0]);
        await t.SendAsync("5 authenticate PLAIN");
        Assert.Equal("+ ", await t.LineAsync());
        await t.SendAsync(SaslPlain.Encode("", "alice@uc.test", "lab-alice"));
        var ok = await t.UntilTaggedAsync("5");
        Assert.StartsWith("5 OK [CAPABILITY IMAP4rev1", ok[^1]);
        Assert.Contains("IDLE", ok[^1]);

        var ns = await t.Expect("6 namespace", "OK");
        Assert.Equal("* NAMESPACE ((\"\" \"/\")) NIL NIL", ns[0]);
        var id = await t.Expect("7 ID (\"name\" \"Thunderbird\" \"version\" \"153.0\")", "OK");
        Assert.StartsWith("* ID (\"name\" \"MailLab\"", id[0]);

        var list = await t.Expect("8 list (subscribed) \"\" \"*\" return (special-use)", "OK");
        Assert.Contains("* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX", list);
        Assert.Contains("* LIST (\\HasNoChildren \\Subscribed \\Sent) \"/\" Sent", list);
        Assert.Contains("* LIST (\\HasNoChildren \\Subscribed \\Trash) \"/\" Trash", list);
        Assert.Contains("* LIST (\\HasNoChildren \\Subscribed \\Junk) \"/\" Junk", list);
        Assert.Contains("* LIST (\\HasNoChildren \\Subscribed \\Drafts) \"/\" Drafts", list);

        var inbox = await t.Expect("9 list \"\" \"INBOX\"", "OK");
        Assert.Equal(["* LIST (\\HasNoChildren) \"/\" INBOX", "9 OK LIST completed"], inbox);
    }

    [Fact]
    public async Task Select_then_uid_fetch_flags_and_the_header_list()
    {
        for (var i = 1; i <= 3; i++)
        {
            await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("note " + i), flags: i == 1 ? MessageFlags.Seen : MessageFlags.None);
        }
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var select = await t.Expect("12 select \"INBOX\"", "OK [READ-WRITE]");
        Assert.Contains("* 3 EXISTS", select);
        Assert.Contains("* OK [UNSEEN 2] First unseen", select);
        Assert.Contains("* 3 RECENT", select); // the first session to see them (RFC 3501 §2.3.2)
        Assert.Contains(select, l => l.StartsWith("* OK [UIDVALIDITY ", StringComparison.Ordinal));
        Assert.Contains(select, l => l.StartsWith("* OK [UIDNEXT 4]", StringComparison.Ordinal));

        var flags = await t.Expect("13 UID fetch 1:* (FLAGS)", "OK");
        Assert.Equal("* 1 FETCH (UID 1 FLAGS (\\Recent \\Seen))", flags[0]);
        Assert.Equal("* 2 FETCH (UID 2 FLAGS (\\Recent))", flags[1]);
        Assert.Equal(4, flags.Count);

        var headers = await t.Expect("14 UID fetch 1:3 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received)])", "OK");
        Assert.Equal(4, headers.Count);
        Assert.StartsWith("* 2 FETCH (UID 2 RFC822.SIZE ", headers[1]);
        Assert.Contains("BODY[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received)] {", headers[1]);
        Assert.Contains("Subject: note 2\r\n", headers[1]);
        Assert.DoesNotContain("Hello.", headers[1]);
        // PEEK: still unseen.
        Assert.Contains("FLAGS (\\Recent)", headers[1]);

        var body = await t.Expect("15 UID fetch 2 (UID RFC822.SIZE FLAGS BODY.PEEK[])", "OK");
        Assert.Contains("Hello.\r\n)", body[0]);
        var size = long.Parse(body[0].Split("RFC822.SIZE ")[1].Split(' ')[0]);
        Assert.Contains($"BODY[] {{{size}}}", body[0]);
    }

    [Fact]
    public async Task Append_to_Sent_with_a_non_synchronising_literal_answers_APPENDUID()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var message = ImapTestMail.Simple("sent by me");
        await t.SendRawAsync($"21 append \"Sent\" (\\Seen) {{{message.Length}+}}\r\n{message}\r\n");
        var reply = await t.UntilTaggedAsync("21");
        Assert.Matches(@"^21 OK \[APPENDUID \d+ 1\] APPEND completed$", reply[^1]);
        var sent = Assert.Single(await lab.Store.ListAsync("alice@uc.test", "Sent", default));
        Assert.Equal(MessageFlags.Seen, sent.Flags);
        Assert.Equal(message.Length, sent.Size);
    }

    [Fact]
    public async Task Append_with_a_synchronising_literal_waits_for_the_continuation()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var message = ImapTestMail.Simple("draft");
        await t.SendAsync($"22 APPEND Drafts (\\Draft) \"28-Nov-2026 12:00:00 +0100\" {{{message.Length}}}");
        Assert.StartsWith("+ ", await t.LineAsync());
        await t.SendRawAsync(message + "\r\n");
        Assert.StartsWith("22 OK [APPENDUID", (await t.UntilTaggedAsync("22"))[^1]);
        var draft = Assert.Single(await lab.Store.ListAsync("alice@uc.test", "Drafts", default));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero), draft.InternalDate);
    }

    [Fact]
    public async Task Uid_store_uid_move_create_subscribe_expunge_and_status()
    {
        for (var i = 1; i <= 3; i++)
        {
            await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m" + i));
        }
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("30 select INBOX", "OK");
        var store = await t.Expect("31 uid store 1 +FLAGS (\\Seen \\Flagged)", "OK");
        Assert.Equal("* 1 FETCH (UID 1 FLAGS (\\Recent \\Flagged \\Seen))", store[0]);
        await t.Expect("32 create \"Archive/2026\"", "OK");
        await t.Expect("33 subscribe \"Archive/2026\"", "OK");
        var move = await t.Expect("34 uid move 2 \"Archive/2026\"", "OK");
        Assert.Matches(@"^\* OK \[COPYUID \d+ 2 1\] Moved$", move[0]);
        Assert.Equal("* 2 EXPUNGE", move[1]);
        await t.Expect("35 uid store 3 +FLAGS.SILENT (\\Deleted)", "OK");
        var expunge = await t.Expect("36 expunge", "OK");
        Assert.Equal(["* 2 EXPUNGE", "36 OK EXPUNGE completed"], expunge);
        var status = await t.Expect("37 STATUS \"Archive/2026\" (MESSAGES UIDNEXT UNSEEN)", "OK");
        Assert.Equal("* STATUS Archive/2026 (MESSAGES 1 UIDNEXT 2 UNSEEN 1)", status[0]);
        var list = await t.Expect("38 list \"\" \"*\"", "OK");
        Assert.Contains("* LIST (\\Noselect \\HasChildren) \"/\" Archive", list);
        Assert.Contains("* LIST (\\HasNoChildren) \"/\" Archive/2026", list);
        var flags = await t.Expect("39 UID fetch 1:* (FLAGS)", "OK");
        Assert.Equal(["* 1 FETCH (UID 1 FLAGS (\\Recent \\Flagged \\Seen))", "39 OK UID FETCH completed"], flags);
    }

    [Fact]
    public async Task Fallback_uid_search_by_message_id_after_append()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("a", messageId: "first"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("b", messageId: "wanted"));
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("40 select INBOX", "OK");
        var search = await t.Expect("41 UID SEARCH UNDELETED HEADER Message-ID <wanted@test>", "OK");
        Assert.Equal("* SEARCH 2", search[0]);
    }

    [Fact]
    public async Task Idle_is_answered_with_a_continuation_and_ends_with_DONE()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("50 select INBOX", "OK");
        await t.SendAsync("51 IDLE");
        Assert.Equal("+ idling", await t.LineAsync());
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("while idle"));
        Assert.Equal("* 1 EXISTS", await t.LineAsync());
        Assert.Equal("* 1 RECENT", await t.LineAsync());
        await t.SendAsync("DONE");
        Assert.Equal("51 OK IDLE terminated", await t.LineAsync());
    }

    [Fact]
    public async Task A_message_delivered_just_before_IDLE_is_announced_after_the_continuation()
    {
        // Issue 20 section 3: Thunderbird selects, its last command completes, mail arrives, then it sends
        // IDLE. RFC 2177 §3 shows untagged responses after "+ idling"; sent before it, Thunderbird races.
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("old"));
        await t.Expect("60 select \"INBOX\"", "OK");
        await t.Expect("61 UID fetch 1:* (FLAGS)", "OK");
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("new mail"));
        await t.SendAsync("62 IDLE");
        Assert.Equal("+ idling", await t.LineAsync());
        Assert.Equal("* 2 EXISTS", await t.LineAsync());
        Assert.Equal("* 2 RECENT", await t.LineAsync());
        // DONE and the next command in one write, as Thunderbird sends them: the tagged OK comes first.
        await t.SendRawAsync("DONE\r\n63 UID fetch 2:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\r\n");
        Assert.Equal("62 OK IDLE terminated", await t.LineAsync());
        var fetched = await t.UntilTaggedAsync("63");
        Assert.StartsWith("63 OK", fetched[^1]);
        Assert.Contains("Subject: new mail", fetched[0]);
    }

    [Fact]
    public async Task IDLE_terminated_is_sent_at_once_after_DONE()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("70 select INBOX", "OK");
        await t.SendAsync("71 IDLE");
        Assert.Equal("+ idling", await t.LineAsync());
        // DONE, then a command whose line is not complete yet: the OK must not wait for it.
        await t.SendRawAsync("DONE\r\n72 NO");
        Assert.Equal("71 OK IDLE terminated", await t.LineAsync());
        await t.SendRawAsync("OP\r\n");
        Assert.Equal("72 OK NOOP completed", await t.LineAsync());
    }
}
