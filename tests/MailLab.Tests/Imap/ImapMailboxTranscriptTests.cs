using MailLab.Server.Store;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>Mailbox names, sections and shared state as transcripts.</summary>
public sealed class ImapMailboxTranscriptTests : LabTest
{
    [Fact]
    public async Task Names_that_leave_the_users_directory_are_refused_and_other_users_stay_invisible()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("for bob only"), user: "bob@bank.test");
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 SELECT \"../bob/INBOX\"", "NO [CANNOT]");
        await t.Expect("2 SELECT \"../../bank.test/bob/INBOX\"", "NO [CANNOT]");
        await t.Expect("3 CREATE \"a/../../x\"", "NO [CANNOT]");
        await t.Expect("4 SELECT \"bob@bank.test/INBOX\"", "NO [NONEXISTENT]");
        var list = await t.Expect("5 LIST \"\" \"*\"", "OK");
        Assert.DoesNotContain(list, l => l.Contains("bob", StringComparison.OrdinalIgnoreCase));
        Assert.False(Directory.Exists(Path.Combine(lab.Store.Root, "x")));
    }

    [Theory]
    [InlineData("COPY")]
    [InlineData("MOVE")]
    public async Task A_COPY_or_MOVE_that_fails_half_way_leaves_both_folders_as_they_were(string verb)
    {
        // The target has one UID left (RFC 9051 §2.3.1.1: the next would need a new UIDVALIDITY): the first
        // copy succeeds, the second fails. RFC 3501 §6.4.7: the destination must be as before the COPY.
        const string Alice = "alice@uc.test";
        var full = lab.Store.MailboxPath(Alice, "Full");
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Directory.CreateDirectory(Path.Combine(full, sub));
        }
        new UidState(1234, uint.MaxValue - 1, uint.MaxValue - 1).Write(full);
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("one"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("two"));
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 SELECT INBOX", "OK");
        var reply = await t.Expect($"2 {verb} 1:2 Full", "NO");
        Assert.DoesNotContain(reply, l => l.Contains("EXPUNGE", StringComparison.Ordinal));
        Assert.Empty(await lab.Store.ListAsync(Alice, "Full", default));
        Assert.Equal(2, (await lab.Store.ListAsync(Alice, "INBOX", default)).Count);
        await t.Expect("3 NOOP", "OK");
    }

    [Fact]
    public async Task Modified_utf7_names_are_decoded_for_the_disk_and_encoded_on_the_wire()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 CREATE \"Entw&APw-rfe\"", "OK");
        Assert.True(lab.Store.FolderExists("alice@uc.test", "Entwürfe"));
        var list = await t.Expect("2 LIST \"\" \"Entw*\"", "OK");
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe", list[0]);
        await t.Expect("3 CREATE \"Entwürfe\"", "NO [CANNOT]");
        await t.Expect("4 CREATE \"&AGE-\"", "NO [CANNOT]");
        await t.Expect("5 CREATE \"Entw&APw-rfe\"", "NO [ALREADYEXISTS]");
    }

    [Fact]
    public async Task Rename_moves_children_delete_keeps_INBOX_and_subscriptions_survive()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 CREATE Work", "OK");
        await t.Expect("2 CREATE Work/Projects/", "OK");
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("in projects"), folder: "Work/Projects");
        await t.Expect("3 SUBSCRIBE Work/Projects", "OK");
        await t.Expect("4 RENAME Work Job", "OK");
        var list = await t.Expect("5 LIST \"\" \"Job*\"", "OK");
        Assert.Equal(["* LIST (\\HasChildren) \"/\" Job", "* LIST (\\HasNoChildren) \"/\" Job/Projects", "5 OK LIST completed"], list);
        var status = await t.Expect("6 STATUS Job/Projects (MESSAGES)", "OK");
        Assert.Equal("* STATUS Job/Projects (MESSAGES 1)", status[0]);
        await t.Expect("7 DELETE INBOX", "NO [CANNOT]");
        await t.Expect("8 DELETE Job/Projects", "OK");
        await t.Expect("9 SELECT Job/Projects", "NO [NONEXISTENT]");
        // RFC 3501 §6.3.7: a subscription may outlive its mailbox.
        var lsub = await t.Expect("10 LSUB \"\" \"*\"", "OK");
        Assert.Contains("* LSUB (\\Noselect) \"/\" Work/Projects", lsub);
        var subscribed = await t.Expect("11 LIST (SUBSCRIBED) \"\" \"Work/*\"", "OK");
        Assert.Contains("* LIST (\\NonExistent \\HasNoChildren \\Subscribed) \"/\" Work/Projects", subscribed);
        await t.Expect("12 UNSUBSCRIBE Work/Projects", "OK");
        Assert.Equal(["13 OK LSUB completed"], await t.Expect("13 LSUB \"\" \"Work*\"", "OK"));
        var empty = await t.Expect("14 LIST \"\" \"\"", "OK");
        Assert.Equal("* LIST (\\Noselect) \"/\" \"\"", empty[0]);
    }

    [Fact]
    public async Task Sections_partials_and_the_implicit_Seen_flag()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Multipart);
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 EXAMINE INBOX", "OK [READ-ONLY]");
        var part1 = await t.Expect("2 FETCH 1 (BODY[1])", "OK");
        Assert.Equal("* 1 FETCH (BODY[1] {33}\r\nSee the attachment.\r\nSecond line.)", part1[0]);
        var mime = await t.Expect("3 FETCH 1 (BODY[2.MIME])", "OK");
        Assert.Contains("Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\n)", mime[0]);
        var b64 = await t.Expect("4 FETCH 1 (BODY[2])", "OK");
        Assert.Equal("* 1 FETCH (BODY[2] {8}\r\nAAECAwQ=)", b64[0]);
        var missing = await t.Expect("5 FETCH 1 (BODY[7])", "OK");
        Assert.Equal("* 1 FETCH (BODY[7] \"\")", missing[0]);
        var partial = await t.Expect("6 FETCH 1 (BODY[]<0.5>)", "OK");
        Assert.Equal("* 1 FETCH (BODY[]<0> {5}\r\nFrom:)", partial[0]);
        var not = await t.Expect("7 FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (Content-Type MIME-Version Date Message-ID To)])", "OK");
        Assert.Equal("* 1 FETCH (BODY[HEADER.FIELDS.NOT (Content-Type MIME-Version Date Message-ID To)] {46}\r\nFrom: Bob <bob@bank.test>\r\nSubject: report\r\n\r\n)", not[0]);
        var text = await t.Expect("8 FETCH 1 (RFC822.TEXT)", "OK");
        Assert.StartsWith("* 1 FETCH (RFC822.TEXT {", text[0]);
        Assert.Contains("\r\npreamble\r\n--XX", text[0]);
        var env = await t.Expect("9 FETCH 1 (ENVELOPE)", "OK");
        Assert.Equal("* 1 FETCH (ENVELOPE (\"Sat, 28 Nov 2026 12:00:00 +0000\" \"report\" ((\"Bob\" NIL \"bob\" \"bank.test\")) ((\"Bob\" NIL \"bob\" \"bank.test\")) ((\"Bob\" NIL \"bob\" \"bank.test\")) ((\"Alice\" NIL \"alice\" \"uc.test\")) NIL NIL NIL \"<mp1@test>\"))", env[0]);
        var structure = await t.Expect("10 FETCH 1 (BODYSTRUCTURE)", "OK");
        Assert.Equal("* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 33 2 NIL NIL NIL NIL)(\"application\" \"octet-stream\" (\"NAME\" \"data.bin\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" (\"FILENAME\" \"data.bin\")) NIL NIL) \"mixed\" (\"BOUNDARY\" \"XX\") NIL NIL NIL))", structure[0]);
        // EXAMINE is read-only: BODY[] does not set \Seen.
        await t.Expect("11 FETCH 1 (FLAGS)", "OK");
        Assert.Equal(MessageFlags.None, (await lab.Store.ListAsync("alice@uc.test", "INBOX", default))[0].Flags);
        await t.Expect("12 SELECT INBOX", "OK [READ-WRITE]");
        var seen = await t.Expect("13 FETCH 1 (BODY[TEXT])", "OK");
        // The SELECT after the EXAMINE took \Recent (EXAMINE leaves it, RFC 3501 §6.3.2).
        Assert.EndsWith(" FLAGS (\\Recent \\Seen))", seen[0]);
        Assert.Equal(MessageFlags.Seen, (await lab.Store.ListAsync("alice@uc.test", "INBOX", default))[0].Flags);
        var size = await t.Expect("14 FETCH 1 (RFC822.SIZE INTERNALDATE)", "OK");
        Assert.Matches(@"^\* 1 FETCH \(RFC822.SIZE " + ImapTestMail.Multipart.Length + @" INTERNALDATE ""\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d \+0000""\)$", size[0]);
    }

    [Fact]
    public async Task Expunges_by_another_session_wait_until_a_command_may_announce_them()
    {
        for (var i = 1; i <= 3; i++)
        {
            await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m" + i));
        }
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await a.Expect("1 SELECT INBOX", "OK");
        await b.Expect("1 SELECT INBOX", "OK");
        await b.Expect("2 STORE 2 +FLAGS.SILENT (\\Deleted)", "OK");
        await b.Expect("3 EXPUNGE", "OK");
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m4"));
        // RFC 3501 §7.4.1: no EXPUNGE during FETCH; new mail and flag changes may be told.
        var fetch = await a.Expect("2 FETCH 1:* (UID)", "OK");
        Assert.DoesNotContain(fetch, l => l.EndsWith("EXPUNGE", StringComparison.Ordinal));
        Assert.Contains("* 4 EXISTS", fetch);
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)"], fetch.Take(3));
        var noop = await a.Expect("3 NOOP", "OK");
        Assert.Equal(["* 2 EXPUNGE", "3 OK NOOP completed"], noop);
        var uids = await a.Expect("4 UID SEARCH ALL", "OK");
        Assert.Equal("* SEARCH 1 3 4", uids[0]);
        var seqs = await a.Expect("5 SEARCH ALL", "OK");
        Assert.Equal("* SEARCH 1 2 3", seqs[0]);
    }

    [Fact]
    public async Task Plus_and_minus_flags_from_two_sessions_both_take_effect()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m1"));
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await a.Expect("1 SELECT INBOX", "OK");
        await b.Expect("1 SELECT INBOX", "OK");
        await a.Expect("2 STORE 1 FLAGS.SILENT (\\Seen)", "OK");
        // b has not been told of a's change yet; RFC 3501 §6.4.6: +FLAGS adds to the flags as they are.
        await a.Expect("3 STORE 1 +FLAGS.SILENT (\\Answered)", "OK");
        var minus = await b.Expect("2 STORE 1 -FLAGS (\\Seen)", "OK");
        Assert.Contains("* 1 FETCH (FLAGS (\\Answered))", minus);
        var stored = Assert.Single(await lab.Store.ListAsync("alice@uc.test", "INBOX", default));
        Assert.Equal(MessageFlags.Answered, stored.Flags);
        // a learns of b's change by the end of its next command (the last FLAGS it is told wins);
        // \Recent is a's alone, as a selected first (RFC 3501 §2.3.2), so b was shown none above.
        var seen = await a.Expect("4 FETCH 1 (FLAGS)", "OK");
        Assert.EndsWith("FLAGS (\\Recent \\Answered))", seen.Last(l => l.Contains("FLAGS", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Search_keys_over_flags_sizes_dates_and_text()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("alpha", "needle in here"), flags: MessageFlags.Seen);
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("beta", "nothing" + new string('.', 500)));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Multipart, flags: MessageFlags.Flagged | MessageFlags.Answered);
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 SELECT INBOX", "OK");
        async Task<string> Search(string keys) => (await t.Expect("s SEARCH " + keys, "OK"))[0];
        Assert.Equal("* SEARCH 1", await Search("BODY needle"));
        Assert.Equal("* SEARCH 1 3", await Search("OR SEEN FLAGGED"));
        Assert.Equal("* SEARCH 2", await Search("NOT OR SEEN FLAGGED"));
        Assert.Equal("* SEARCH 2", await Search("LARGER 600"));
        Assert.Equal("* SEARCH 3", await Search("ANSWERED SUBJECT report"));
        Assert.Equal("* SEARCH 1 2 3", await Search("FROM bob SENTON 28-Nov-2026"));
        Assert.Equal("* SEARCH", await Search("SENTBEFORE 1-Jan-2020"));
        Assert.Equal("* SEARCH 2 3", await Search("2:*"));
        Assert.Equal("* SEARCH 1 2 3", await Search("CHARSET UTF-8 TEXT bank.test"));
        await t.Expect("s SEARCH CHARSET KOI8-R ALL", "NO [BADCHARSET");
        Assert.Equal("* SEARCH 3", await Search("UID 3 SINCE 1-Jan-2000"));
    }

    [Fact]
    public async Task Uid_expunge_removes_only_the_named_deleted_messages_and_close_is_silent()
    {
        for (var i = 1; i <= 4; i++)
        {
            await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m" + i), flags: MessageFlags.Deleted);
        }
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 SELECT INBOX", "OK");
        Assert.Equal(["* 2 EXPUNGE", "2 OK UID EXPUNGE completed"], await t.Expect("2 UID EXPUNGE 2", "OK"));
        Assert.Equal(["3 OK CLOSE completed"], await t.Expect("3 CLOSE", "OK"));
        Assert.Empty(await lab.Store.ListAsync("alice@uc.test", "INBOX", default));
        await t.Expect("4 FETCH 1 (FLAGS)", "BAD");
        Assert.Contains(lab.Events(TraceKind.MailboxAccess), e => e.Field("Action") == "expunge" && e.Field("Count") == "3");
    }

    [Fact]
    public async Task Read_only_and_missing_targets_are_refused_with_the_right_codes()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m"));
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 EXAMINE INBOX", "OK");
        await t.Expect("2 STORE 1 +FLAGS (\\Seen)", "NO [READ-ONLY]");
        await t.Expect("3 EXPUNGE", "NO [READ-ONLY]");
        await t.Expect("4 COPY 1 Nowhere", "NO [TRYCREATE]");
        await t.Expect("5 APPEND Nowhere {1+}\r\nx", "NO [TRYCREATE]");
        await t.Expect("6 UNSELECT", "OK");
        await t.Expect("7 ENABLE CONDSTORE", "OK");
        await t.Expect("8 STATUS Nowhere (MESSAGES)", "NO [NONEXISTENT]");
    }

    [Fact]
    public async Task List_wildcards_percent_stops_at_the_delimiter_and_many_wildcards_do_not_hang()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 CREATE a/b/c", "OK");
        var percent = await t.Expect("2 LIST \"\" \"a/%\"", "OK");
        Assert.Equal(["* LIST (\\Noselect \\HasChildren) \"/\" a/b", "2 OK LIST completed"], percent);
        var star = await t.Expect("3 LIST a/ *", "OK");
        Assert.Equal(["* LIST (\\Noselect \\HasChildren) \"/\" a/b", "* LIST (\\HasNoChildren) \"/\" a/b/c", "3 OK LIST completed"], star);
        var inbox = await t.Expect("4 LIST \"\" inbox", "OK");
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" INBOX", inbox[0]);
        var evil = await t.Expect("5 LIST \"\" \"" + string.Concat(Enumerable.Repeat("*%", 200)) + "x\"", "OK");
        Assert.Equal(["5 OK LIST completed"], evil);
    }

    [Fact]
    public async Task Rename_INBOX_moves_its_messages_and_leaves_an_empty_INBOX()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("old 1"), flags: MessageFlags.Seen);
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("old 2"));
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await b.Expect("1 SELECT INBOX", "OK");
        await a.Expect("1 RENAME INBOX \"Old mail\"", "OK");
        await a.Expect("2 RENAME INBOX Drafts", "NO [ALREADYEXISTS]");
        Assert.Equal("* STATUS INBOX (MESSAGES 0)", (await a.Expect("3 STATUS INBOX (MESSAGES)", "OK"))[0]);
        Assert.Equal("* STATUS \"Old mail\" (MESSAGES 2 UNSEEN 1)", (await a.Expect("4 STATUS \"Old mail\" (MESSAGES UNSEEN)", "OK"))[0]);
        // The session that had INBOX open is told the messages left (RFC 3501 §7.4.1).
        Assert.Equal(["* 2 EXPUNGE", "* 1 EXPUNGE", "2 OK NOOP completed"], await b.Expect("2 NOOP", "OK"));
    }
}
