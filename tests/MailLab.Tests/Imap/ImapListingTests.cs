using MailKit;
using MailKit.Net.Imap;
using MailLab.Server.Store;
using MailLab.Tests.Support;
using StoreFlags = MailLab.Server.Store.MessageFlags;

namespace MailLab.Tests.Imap;

/// <summary>
/// The store's on-disk listing as an IMAP client sees it across a restart of the lab (a new lab over the same data
/// directory): the same UIDVALIDITY and UIDs, files changed behind the server's back seen, and a message file deleted
/// by hand while a session has it answered with NO, not a dropped connection.
/// </summary>
public sealed class ImapListingTests
{
    private const string Alice = "alice@uc.test";

    private static TestLab StartLab(string data)
    {
        var yaml = TestLab.LabYaml();
        var at = yaml.IndexOf("ports: { mta: 0, submission: 0, submissions: 0 }", StringComparison.Ordinal);
        yaml = yaml[..at] + "ports: { mta: 0, submission: 0, submissions: 0, imap: 0 }" + yaml[(at + 48)..];
        return TestLab.FromYaml(yaml, data: data).Start();
    }

    private static async Task<(uint Validity, List<uint> Uids, List<StoreFlags> Flags)> SelectAsync(TestLab lab)
    {
        using var client = await ImapLab.ConnectAsync(lab);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summaries = await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
        var result = (client.Inbox.UidValidity, summaries.Select(s => s.UniqueId.Id).ToList(),
            summaries.Select(s => (s.Flags!.Value.HasFlag(MailKit.MessageFlags.Seen) ? StoreFlags.Seen : 0)
                | (s.Flags!.Value.HasFlag(MailKit.MessageFlags.Flagged) ? StoreFlags.Flagged : 0)).ToList());
        await client.DisconnectAsync(true);
        return result;
    }

    [Fact]
    public async Task A_restarted_lab_serves_the_listing_with_the_same_uids_and_sees_changes_made_by_hand()
    {
        var data = TempDir.New("lab");
        var root = Path.Combine(data, "mail");
        var stored = new List<StoredMessage>();
        var seed = new MessageStore(root);
        for (var i = 0; i < 4; i++)
        {
            stored.Add(await ImapTestMail.PutAsync(seed, ImapTestMail.Simple($"m{i}")));
        }
        var folder = seed.MailboxPath(Alice, "INBOX");
        Directory.SetLastWriteTimeUtc(Path.Combine(folder, "new"), DateTime.UtcNow.AddHours(-1));
        Directory.SetLastWriteTimeUtc(Path.Combine(folder, "cur"), DateTime.UtcNow.AddHours(-1));

        (uint Validity, List<uint> Uids, List<StoreFlags> Flags) first;
        await using (var lab = StartLab(data))
        {
            first = await SelectAsync(lab);
            Assert.Equal(ListingSource.Merged, lab.Store.LastLoad(Alice, "INBOX")); // listed the directories, wrote the listing
        }
        Assert.Equal(stored.Select(m => m.Uid), first.Uids);

        await using (var lab = StartLab(data))
        {
            var again = await SelectAsync(lab);
            Assert.Equal(first.Validity, again.Validity);
            Assert.Equal(first.Uids, again.Uids);
            Assert.Equal(ListingSource.Listing, lab.Store.LastLoad(Alice, "INBOX")); // no directory listed
        }

        // Behind the server's back: one file deleted, one flagged by a rename into cur/, one dropped into new/.
        File.Delete(stored[1].Path);
        File.Move(stored[2].Path, Path.Combine(folder, "cur", stored[2].FileName + ":2,FS"));
        await File.WriteAllTextAsync(Path.Combine(folder, "new", "1700000000.byhand.host"), ImapTestMail.Simple("by hand"));
        await using (var lab = StartLab(data))
        {
            var after = await SelectAsync(lab);
            Assert.Equal(ListingSource.Merged, lab.Store.LastLoad(Alice, "INBOX"));
            Assert.Equal(first.Validity, after.Validity);
            Assert.Equal([stored[0].Uid, stored[2].Uid, stored[3].Uid], after.Uids.Take(3));
            Assert.Equal(4, after.Uids.Count);
            Assert.True(after.Uids[3] > stored[3].Uid);
            Assert.Equal(StoreFlags.Seen | StoreFlags.Flagged, after.Flags[1]);
        }
    }

    [Fact]
    public async Task A_message_file_deleted_by_hand_during_a_session_gets_no_and_the_session_goes_on()
    {
        await using var lab = ImapLab.Start();
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("keep", "Kept."));
        var doomed = await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("doomed", "Gone."));
        using var client = await ImapLab.ConnectAsync(lab);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, client.Inbox.Count);

        File.Delete(doomed.Path);

        await Assert.ThrowsAsync<ImapCommandException>(() => client.Inbox.GetMessageAsync(new UniqueId(doomed.Uid)));
        Assert.True(client.IsConnected);
        Assert.Equal("Kept.", (await client.Inbox.GetMessageAsync(0)).TextBody!.Trim());
    }
}
