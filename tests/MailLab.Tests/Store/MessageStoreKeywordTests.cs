using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

/// <summary>User keywords and the \Recent mark as the store keeps them on disk (a new store = a restart).</summary>
public class MessageStoreKeywordTests
{
    private const string Alice = "alice@uc.test";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public void Keyword_letters_follow_the_system_letters_in_ascii_order()
    {
        Assert.Equal("FSac", MaildirInfo.ToLetters(MessageFlags.Flagged | MessageFlags.Seen, 0b101));
        Assert.Equal(0b101u, MaildirInfo.KeywordsFromLetters("FSac"));
        Assert.Equal("z", MaildirInfo.ToLetters(MessageFlags.None, 1u << 25));
        Assert.True(MaildirFileName.TryParse("1735689600.M12P34Q5.mx1,U=7,S=10240:2,RSbd", out var n));
        Assert.Equal(MessageFlags.Answered | MessageFlags.Seen, n.Flags);
        Assert.Equal(0b1010u, n.Keywords);
        Assert.Equal("1735689600.M12P34Q5.mx1,U=7,S=10240:2,RSbd", n.ToString());
    }

    [Fact]
    public async Task Keywords_survive_a_restart_in_the_file_name_and_the_keyword_file()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var m = await DeliverAsync(store, Alice, "INBOX", Message("tagged"));
        var (complete, mask, names) = await store.KeywordsAsync(Alice, "INBOX", ["$Forwarded", "$label1"], create: true, None);
        Assert.True(complete);
        Assert.Equal(["$Forwarded", "$label1"], names);
        var updated = await store.UpdateFlagsAsync(Alice, "INBOX", m.Uid, (f, k) => (f | MessageFlags.Seen, k | mask), None);
        Assert.EndsWith(":2,Sab", updated!.FileName);

        var after = dir.NewStore();
        var listed = Assert.Single(await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(0b11u, listed.Keywords);
        var snapshot = await after.SnapshotAsync(Alice, "INBOX", claimRecent: false, None);
        Assert.Equal(["$Forwarded", "$label1"], snapshot.Keywords);
        Assert.Contains("a $Forwarded", File.ReadAllText(Path.Combine(after.MailboxPath(Alice, "INBOX"), FolderKeywords.FileName)));
        // Case-insensitive lookup, no second letter for the same keyword; SetFlagsAsync keeps keywords.
        Assert.Equal(0b10u, (await after.KeywordsAsync(Alice, "INBOX", ["$LABEL1"], create: true, None)).Mask);
        Assert.Equal(0b11u, (await after.SetFlagsAsync(Alice, "INBOX", m.Uid, MessageFlags.None, None))!.Keywords);
    }

    [Fact]
    public async Task A_folder_holds_26_keywords_and_refuses_the_27th()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var first = await store.KeywordsAsync(Alice, "INBOX", Enumerable.Range(1, 26).Select(i => "$k" + i), create: true, None);
        Assert.True(first.Complete);
        Assert.Equal(uint.MaxValue >> 6, first.Mask);
        var full = await store.KeywordsAsync(Alice, "INBOX", ["$k1", "$one-too-many"], create: true, None);
        Assert.False(full.Complete);
        Assert.Equal(1u, full.Mask); // the known one is still named
        Assert.False((await store.KeywordsAsync(Alice, "INBOX", [new string('k', FolderKeywords.MaxLength + 1)], create: true, None)).Complete);
    }

    [Fact]
    public async Task Appended_keywords_are_defined_in_the_target_folder()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await using var pending = await store.BeginAsync(Alice, "Sent", None);
        await pending.Content.WriteAsync(Message("sent"));
        var m = await pending.CommitAsync(MessageFlags.Seen, ["$MDNSent"], null, None);
        Assert.Equal(1u, m.Keywords);
        Assert.Equal(["$MDNSent"], (await store.SnapshotAsync(Alice, "Sent", false, None)).Keywords);
    }

    [Fact]
    public async Task Recent_goes_to_one_claimer_and_the_mark_survives_a_restart()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await DeliverAsync(store, Alice, "INBOX", Message("1"));
        await DeliverAsync(store, Alice, "INBOX", Message("2"));
        Assert.Equal(2, (await store.GetFolderInfoAsync(Alice, "INBOX", None)).Recent);
        var claimed = await store.SnapshotAsync(Alice, "INBOX", claimRecent: true, None);
        Assert.Equal(2, claimed.RecentCount);
        Assert.Equal(0, (await store.SnapshotAsync(Alice, "INBOX", claimRecent: true, None)).RecentCount);

        var after = dir.NewStore();
        Assert.Equal(0, (await after.GetFolderInfoAsync(Alice, "INBOX", None)).Recent);
        await DeliverAsync(after, Alice, "INBOX", Message("3"));
        Assert.Equal(1, (await after.GetFolderInfoAsync(Alice, "INBOX", None)).Recent);
    }

    [Fact]
    public async Task Readers_share_one_snapshot_until_the_folder_changes()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var m = await DeliverAsync(store, Alice, "INBOX", Message("1"));
        var a = await store.ListAsync(Alice, "INBOX", None);
        Assert.Same(a, await store.ListAsync(Alice, "INBOX", None));
        await store.SetFlagsAsync(Alice, "INBOX", m.Uid, MessageFlags.Seen, None);
        var b = await store.ListAsync(Alice, "INBOX", None);
        Assert.NotSame(a, b);
        Assert.Equal(MessageFlags.None, a[0].Flags); // the old snapshot is unchanged
        Assert.Equal(MessageFlags.Seen, b[0].Flags);
    }

    [Fact]
    public void A_uid_state_file_from_before_the_recent_mark_announces_nothing_old_as_recent()
    {
        using var dir = new StoreTestDirectory();
        File.WriteAllText(Path.Combine(dir.Root, UidState.FileName), "uidvalidity 1700000000\nreserved 65\n");
        Assert.Equal(new UidState(1700000000, 65, 65), UidState.Read(dir.Root));
    }
}
