using MailLab.Server.Store;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>
/// Issue 20 item 13: a folder deleted by one session is never brought back by another that still had
/// it selected (RFC 3501 §6.3.4; RFC 2180 §3 lets the server end the other session with BYE).
/// </summary>
public sealed class ImapFolderDeletionTests : LabTest
{
    private const string Alice = "alice@uc.test";

    private async Task<(ImapTranscript A, ImapTranscript B)> SelectedAndDeletedAsync()
    {
        var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await a.Expect("1 CREATE Doomed", "OK");
        var body = ImapTestMail.Simple("in doomed");
        await a.Expect($"2 APPEND Doomed {{{body.Length}+}}\r\n{body}", "OK");
        await a.Expect("3 SELECT Doomed", "OK");
        await b.Expect("1 DELETE Doomed", "OK");
        Assert.False(lab.Store.FolderExists(Alice, "Doomed"));
        return (a, b);
    }

    private async Task AssertGoneAsync(ImapTranscript b)
    {
        Assert.False(lab.Store.FolderExists(Alice, "Doomed"));
        Assert.DoesNotContain("Doomed", lab.Store.ListFolders(Alice));
        var list = await b.Expect("L LIST \"\" \"*\"", "OK");
        Assert.DoesNotContain(list, l => l.Contains("Doomed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("FETCH 1 (FLAGS BODY.PEEK[])")]
    [InlineData("UID FETCH 1 (ENVELOPE)")]
    [InlineData("STORE 1 +FLAGS (\\Flagged)")]
    [InlineData("UID STORE 1 +FLAGS ($label1)")]
    [InlineData("FETCH 1 (BODY[TEXT])")]
    [InlineData("NOOP")]
    [InlineData("SEARCH ALL")]
    [InlineData("EXPUNGE")]
    [InlineData("COPY 1 INBOX")]
    [InlineData("MOVE 1 INBOX")]
    public async Task The_other_session_gets_BYE_and_the_folder_stays_deleted(string command)
    {
        var (a, b) = await SelectedAndDeletedAsync();
        await using (a)
        await using (b)
        {
            await a.SendAsync("4 " + command);
            var lines = new List<string>();
            try
            {
                while (true)
                {
                    lines.Add(await a.LineAsync());
                }
            }
            catch (IOException)
            {
                // EndOfStreamException: the server closed the connection after its BYE
            }
            Assert.Contains("* BYE Selected mailbox was deleted by another session", lines);
            Assert.DoesNotContain(lines, l => l.StartsWith("4 OK", StringComparison.Ordinal));
            await AssertGoneAsync(b);
            // Nothing was copied out of the deleted folder either.
            Assert.Empty(await lab.Store.ListAsync(Alice, "INBOX", default));
            Assert.Contains(lab.Events(TraceKind.SessionClosed), e => e.Field("Reason") == "selected mailbox deleted");
        }
    }

    [Fact]
    public async Task A_session_in_IDLE_gets_BYE_at_once()
    {
        var a = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        var b = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await using (a)
        await using (b)
        {
            await a.Expect("1 CREATE Doomed", "OK");
            await a.Expect("2 SELECT Doomed", "OK");
            await a.SendAsync("3 IDLE");
            Assert.Equal("+ idling", await a.LineAsync());
            await b.Expect("1 DELETE Doomed", "OK");
            Assert.Equal("* BYE Selected mailbox was deleted by another session", await a.LineAsync());
            Assert.True(await a.ClosedAsync());
            await AssertGoneAsync(b);
        }
    }

    [Fact]
    public async Task Deleted_and_created_again_is_a_new_mailbox_the_old_selection_does_not_see()
    {
        var (a, b) = await SelectedAndDeletedAsync();
        await using (a)
        await using (b)
        {
            await b.Expect("2 CREATE Doomed", "OK");
            var fresh = await lab.Store.GetFolderInfoAsync(Alice, "Doomed", default);
            Assert.Equal(0, fresh.Count);
            await a.SendAsync("4 FETCH 1 (FLAGS)");
            Assert.Equal("* BYE Selected mailbox was deleted by another session", await a.LineAsync());
            Assert.True(await a.ClosedAsync());
            Assert.Equal(0, (await lab.Store.GetFolderInfoAsync(Alice, "Doomed", default)).Count);
        }
    }

    [Fact]
    public async Task The_store_does_not_create_a_folder_by_reading_or_flagging_in_it()
    {
        var m = await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("x"), folder: "Gone");
        Assert.True(await lab.Store.DeleteFolderAsync(Alice, "Gone", default));
        Assert.Null(await lab.Store.OpenReadAsync(m, default));
        Assert.Null(await lab.Store.SetFlagsAsync(Alice, "Gone", m.Uid, MessageFlags.Seen, default));
        Assert.False(await lab.Store.DeleteAsync(Alice, "Gone", m.Uid, default));
        await Assert.ThrowsAsync<MailboxNotFoundException>(() => lab.Store.SnapshotAsync(Alice, "Gone", claimRecent: true, default));
        await Assert.ThrowsAsync<MailboxNotFoundException>(() => lab.Store.KeywordsAsync(Alice, "Gone", ["$x"], create: true, default));
        await Assert.ThrowsAsync<MailboxNotFoundException>(() => lab.Store.BeginAsync(Alice, "Gone", create: false, default));
        Assert.False(lab.Store.FolderExists(Alice, "Gone"));
        // INBOX always exists (RFC 3501 §5.1), and delivery creates the folder it delivers to.
        Assert.NotNull(await lab.Store.SnapshotAsync("carol@uc.test", "INBOX", claimRecent: false, default));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("y"), folder: "Gone");
        Assert.True(lab.Store.FolderExists(Alice, "Gone"));
    }
}
