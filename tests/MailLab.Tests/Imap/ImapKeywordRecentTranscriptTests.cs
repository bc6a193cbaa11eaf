using MailLab.Server.Store;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>User keywords (RFC 3501 §2.3.2, §7.1 PERMANENTFLAGS) and \Recent (§2.3.2) as transcripts.</summary>
public sealed class ImapKeywordRecentTranscriptTests : LabTest
{
    [Fact]
    public async Task A_stored_keyword_is_announced_searchable_copied_and_kept_on_disk()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("one"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("two"));
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var select = await a.Expect("1 SELECT INBOX", "OK [READ-WRITE]");
        Assert.Contains(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)", select);
        Assert.Contains(@"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted", select);
        await b.Expect("1 SELECT INBOX", "OK");

        // Thunderbird's tag and forward keywords; the new keyword is announced before the FETCH (§7.2.6).
        var store = await a.Expect("2 UID STORE 2 +FLAGS ($label1 $Forwarded)", "OK");
        Assert.Equal(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $label1 $Forwarded)", store[0]);
        Assert.Equal(@"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $label1 $Forwarded \*)] Flags permitted", store[1]);
        Assert.Equal(@"* 2 FETCH (UID 2 FLAGS (\Recent $label1 $Forwarded))", store[2]);

        // The other session hears of the keyword and the change at its next command.
        var noop = await b.Expect("2 NOOP", "OK");
        Assert.Contains(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $label1 $Forwarded)", noop);
        Assert.Contains(@"* 2 FETCH (UID 2 FLAGS ($label1 $Forwarded))", noop);
        Assert.Equal("* SEARCH 2", (await b.Expect("3 SEARCH KEYWORD $LABEL1", "OK"))[0]);
        Assert.Equal("* SEARCH 1", (await b.Expect("4 SEARCH UNKEYWORD $label1", "OK"))[0]);
        Assert.Equal("* SEARCH", (await b.Expect("5 SEARCH KEYWORD $never-used", "OK"))[0]);

        await a.Expect("3 UID STORE 2 -FLAGS ($Forwarded)", "OK");
        await a.Expect("4 CREATE Tagged", "OK");
        var copy = await a.Expect("5 UID COPY 2 Tagged", "OK [COPYUID");
        var copied = Assert.Single(await lab.Store.ListAsync("alice@uc.test", "Tagged", default));
        Assert.Equal(["$label1"], FolderKeywords.NamesOf((await lab.Store.SnapshotAsync("alice@uc.test", "Tagged", false, default)).Keywords, copied.Keywords));
        var onDisk = Assert.Single(await lab.Store.ListAsync("alice@uc.test", "INBOX", default), m => m.Uid == 2);
        Assert.Equal(1u, onDisk.Keywords); // $label1 = letter a; $Forwarded removed
        Assert.EndsWith(":2,a", onDisk.FileName);
    }

    [Fact]
    public async Task A_store_names_keywords_another_session_defined_meanwhile()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("one"));
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await a.Expect("1 SELECT INBOX", "OK");
        await b.Expect("1 SELECT INBOX", "OK");
        await a.Expect("2 STORE 1 +FLAGS.SILENT ($Important)", "OK");
        // b has not heard of $Important; its own STORE result must not drop it.
        var store = await b.Expect(@"2 STORE 1 +FLAGS (\Seen)", "OK");
        Assert.Equal(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)", store[0]);
        Assert.Contains(@"* 1 FETCH (FLAGS (\Seen $Important))", store);
    }

    [Fact]
    public async Task A_fetch_that_sets_seen_names_keywords_another_session_defined_meanwhile()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("one"));
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await a.Expect("1 SELECT INBOX", "OK");
        await b.Expect("1 SELECT INBOX", "OK");
        await a.Expect("2 STORE 1 +FLAGS.SILENT ($Important)", "OK");
        var fetch = await b.Expect("2 FETCH 1 (BODY[TEXT])", "OK");
        Assert.Equal(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)", fetch[0]);
        Assert.EndsWith(@" FLAGS (\Seen $Important))", fetch.Single(l => l.StartsWith("* 1 FETCH (BODY[TEXT]", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Append_with_keywords_and_the_keyword_limit()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var body = ImapTestMail.Simple("sent");
        await t.Expect($"1 APPEND Sent (\\Seen $MDNSent) {{{body.Length}+}}\r\n{body}", "OK [APPENDUID");
        var select = await t.Expect("2 SELECT Sent", "OK");
        Assert.Contains(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $MDNSent)", select);
        Assert.Equal(@"* 1 FETCH (FLAGS (\Recent \Seen $MDNSent))", (await t.Expect("3 FETCH 1 FLAGS", "OK"))[0]);

        // 25 more fill the 26 letters; \* goes from PERMANENTFLAGS and a 27th keyword is refused.
        var full = await t.Expect("4 STORE 1 +FLAGS (" + string.Join(' ', Enumerable.Range(2, 25).Select(i => "$k" + i)) + ")", "OK");
        Assert.Contains(full, l => l.StartsWith("* OK [PERMANENTFLAGS (", StringComparison.Ordinal) && !l.Contains(@"\*", StringComparison.Ordinal));
        await t.Expect("5 STORE 1 +FLAGS ($one-too-many)", "NO [LIMIT]");
        await t.Expect($"6 APPEND Sent ($another) {{{body.Length}+}}\r\n{body}", "NO [LIMIT]");
        await t.Expect("7 STORE 1 -FLAGS ($not-defined)", "OK"); // removing an unknown keyword changes nothing
        await t.Expect(@"8 STORE 1 +FLAGS (\Recent)", "BAD"); // \Recent is the server's (RFC 3501 §2.3.2)
        Assert.Single(await lab.Store.ListAsync("alice@uc.test", "Sent", default));
    }

    [Fact]
    public async Task A_refused_APPEND_or_STORE_defines_no_keyword()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var body = ImapTestMail.Simple("tagged");
        var many = string.Join(' ', Enumerable.Range(1, 27).Select(i => "$k" + i)); // one more than the 26 letters
        await t.Expect($"1 APPEND Sent ({many}) {{{body.Length}+}}\r\n{body}", "NO [LIMIT]");
        Assert.Empty((await lab.Store.SnapshotAsync("alice@uc.test", "Sent", false, default)).Keywords);
        Assert.Empty(await lab.Store.ListAsync("alice@uc.test", "Sent", default));
        // A keyword that cannot be kept (too long) refuses the whole list, valid names included.
        await t.Expect($"2 APPEND Sent ($fine {new string('k', 200)}) {{{body.Length}+}}\r\n{body}", "NO [LIMIT]");
        Assert.Empty((await lab.Store.SnapshotAsync("alice@uc.test", "Sent", false, default)).Keywords);

        await t.Expect($"3 APPEND Sent ($one) {{{body.Length}+}}\r\n{body}", "OK [APPENDUID");
        var select = await t.Expect("4 SELECT Sent", "OK");
        Assert.Contains(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $one)", select);
        var store = await t.Expect($"5 STORE 1 +FLAGS ({many})", "NO [LIMIT]");
        Assert.DoesNotContain(store, l => l.StartsWith("* FLAGS", StringComparison.Ordinal));
        Assert.Equal(["$one"], (await lab.Store.SnapshotAsync("alice@uc.test", "Sent", false, default)).Keywords);
        Assert.Equal(@"* 1 FETCH (FLAGS (\Recent $one))", (await t.Expect("6 FETCH 1 FLAGS", "OK"))[0]);
        // 25 more fit exactly.
        await t.Expect("7 STORE 1 +FLAGS (" + string.Join(' ', Enumerable.Range(2, 25).Select(i => "$k" + i)) + ")", "OK");
        Assert.Equal(26, (await lab.Store.SnapshotAsync("alice@uc.test", "Sent", false, default)).Keywords.Count);
    }

    [Fact]
    public async Task An_APPEND_that_fails_in_the_store_defines_no_keyword()
    {
        // A folder whose UIDs are used up (the next one would need a new UIDVALIDITY): the APPEND fails at commit.
        var full = lab.Store.MailboxPath("alice@uc.test", "Full");
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Directory.CreateDirectory(Path.Combine(full, sub));
        }
        new UidState(1234, uint.MaxValue, uint.MaxValue).Write(full);
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var body = ImapTestMail.Simple("no room");
        await t.Expect($"1 APPEND Full ($fresh) {{{body.Length}+}}\r\n{body}", "NO [SERVERBUG]");
        Assert.Empty((await lab.Store.SnapshotAsync("alice@uc.test", "Full", false, default)).Keywords);
        Assert.Empty(await lab.Store.ListAsync("alice@uc.test", "Full", default));
    }

    [Fact]
    public async Task Recent_goes_to_the_first_session_and_examine_leaves_it()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("one"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("two"), flags: MessageFlags.Seen);
        await using var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        Assert.Equal("* STATUS INBOX (RECENT 2)", (await a.Expect("1 STATUS INBOX (RECENT)", "OK"))[0]);
        Assert.Contains("* 2 RECENT", await b.Expect("2 EXAMINE INBOX", "OK [READ-ONLY]"));
        Assert.Contains("* 2 RECENT", await a.Expect("3 SELECT INBOX", "OK [READ-WRITE]"));
        Assert.Contains("* 0 RECENT", await b.Expect("3 SELECT INBOX", "OK [READ-WRITE]"));
        // The trace says which session took them.
        Assert.Equal(["2", "0"], lab.Events(TraceKind.MailboxAccess).Where(e => e.Field("Action") == "select").Select(e => e.Field("Recent")));
        Assert.Equal("* SEARCH 1", (await a.Expect("4 SEARCH NEW", "OK"))[0]);
        Assert.Equal("* SEARCH", (await a.Expect("5 SEARCH OLD", "OK"))[0]);
        Assert.Equal("* SEARCH 1 2", (await b.Expect("4 SEARCH OLD", "OK"))[0]);
        Assert.Equal("* STATUS INBOX (RECENT 0)", (await b.Expect("5 STATUS INBOX (RECENT)", "OK"))[0]);

        // A delivery goes to whichever session looks first; the other sees it as not recent.
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("three"));
        var noop = await b.Expect("6 NOOP", "OK");
        Assert.Equal(["* 3 EXISTS", "* 1 RECENT", "6 OK NOOP completed"], noop);
        Assert.Equal(["* 3 EXISTS", "* 2 RECENT", "6 OK NOOP completed"], await a.Expect("6 NOOP", "OK"));
        Assert.Equal(@"* 3 FETCH (FLAGS (\Recent))", (await b.Expect("7 FETCH 3 FLAGS", "OK"))[0]);
        Assert.Equal("* 3 FETCH (FLAGS ())", (await a.Expect("7 FETCH 3 FLAGS", "OK"))[0]);
    }

    [Fact]
    public async Task A_long_flags_fetch_answers_every_message_in_the_same_form()
    {
        // Past the first 20 responses (traced one by one) FETCH takes its fast path; the octets must not change.
        var sizes = new List<long>();
        for (var i = 1; i <= 30; i++)
        {
            var flags = i % 3 == 0 ? MessageFlags.Seen : i % 5 == 0 ? MessageFlags.Flagged | MessageFlags.Seen : MessageFlags.None;
            sizes.Add((await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("m" + i), flags: flags)).Size);
        }
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 SELECT INBOX", "OK");
        await t.Expect("2 UID STORE 29 +FLAGS ($label1)", "OK");
        var lines = await t.Expect("3 UID FETCH 1:* (UID RFC822.SIZE FLAGS)", "OK");
        Assert.Equal(31, lines.Count);
        for (var i = 1; i <= 30; i++)
        {
            var system = i % 3 == 0 ? @" \Seen" : i % 5 == 0 ? @" \Flagged \Seen" : "";
            var keyword = i == 29 ? " $label1" : "";
            Assert.Equal($@"* {i} FETCH (UID {i} RFC822.SIZE {sizes[i - 1]} FLAGS (\Recent{system}{keyword}))", lines[i - 1]);
        }
        var plain = await t.Expect("4 FETCH 1:30 FLAGS", "OK");
        Assert.Equal(@"* 30 FETCH (FLAGS (\Recent \Seen))", plain[29]);
    }
}
