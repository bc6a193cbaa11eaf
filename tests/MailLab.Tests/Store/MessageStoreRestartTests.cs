using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

/// <summary>A new <see cref="MessageStore"/> over the same directory stands for a restart.</summary>
public class MessageStoreRestartTests
{
    private const string Alice = "alice@uc.test";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Uidvalidity_and_uids_survive_a_restart()
    {
        using var dir = new StoreTestDirectory();
        var before = dir.NewStore();
        var m1 = await DeliverAsync(before, Alice, "INBOX", Message("1", 300));
        var m2 = await DeliverAsync(before, Alice, "INBOX", Message("2", 400));
        var infoBefore = await before.GetFolderInfoAsync(Alice, "INBOX", None);

        var after = dir.NewStore();
        var infoAfter = await after.GetFolderInfoAsync(Alice, "INBOX", None);
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(infoBefore.UidValidity, infoAfter.UidValidity);
        Assert.Equal([m1, m2], listed); // every field, the internal date included, rebuilt from the disk
        Assert.Equal(Message("2", 400), await ReadAllAsync(after, listed[1]));
        var m3 = await DeliverAsync(after, Alice, "INBOX", Message("3"));
        Assert.True(m3.Uid > m2.Uid);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(MessageStore.DefaultUidReserveBlock)]
    public async Task Deleted_uids_are_not_reused_after_restart(uint reserveBlock)
    {
        using var dir = new StoreTestDirectory();
        var before = dir.NewStore(reserveBlock);
        await DeliverAsync(before, Alice, "INBOX", Message("keep"));
        var last = await DeliverAsync(before, Alice, "INBOX", Message("delete me"));
        Assert.True(await before.DeleteAsync(Alice, "INBOX", last.Uid, None));

        var after = dir.NewStore(reserveBlock);
        var next = await DeliverAsync(after, Alice, "INBOX", Message("new"));

        Assert.True(next.Uid > last.Uid, $"UID {next.Uid} reuses or precedes deleted UID {last.Uid}");
        Assert.True((await after.GetFolderInfoAsync(Alice, "INBOX", None)).UidNext > next.Uid);
    }

    [Fact]
    public async Task Uid_counter_is_on_disk_before_the_message_is_visible()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore(reserveBlock: 1);
        var m = await DeliverAsync(store, Alice, "INBOX", Message("x"));

        var state = UidState.Read(store.MailboxPath(Alice, "INBOX"));
        Assert.NotNull(state);
        Assert.True(state.Value.Reserved > m.Uid);
        Assert.Equal(m.UidValidity, state.Value.UidValidity);
    }

    [Fact]
    public async Task Flags_round_trip_and_survive_a_restart()
    {
        using var dir = new StoreTestDirectory();
        var before = dir.NewStore();
        var m = await DeliverAsync(before, Alice, "INBOX", Message("flag me"));
        Assert.True(m.IsNew);
        var all = MessageFlags.Seen | MessageFlags.Answered | MessageFlags.Flagged | MessageFlags.Deleted | MessageFlags.Draft;

        var updated = await before.SetFlagsAsync(Alice, "INBOX", m.Uid, all, None);

        Assert.NotNull(updated);
        Assert.Equal(all, updated.Flags);
        Assert.EndsWith(":2,DFRST", updated.FileName);
        Assert.False(updated.IsNew);
        Assert.False(File.Exists(m.Path));
        Assert.Equal(m.InternalDate, updated.InternalDate);
        Assert.Equal(Message("flag me"), await ReadAllAsync(before, m)); // stale Path still finds the message

        var after = dir.NewStore();
        var listed = Assert.Single(await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(all, listed.Flags);
        Assert.Equal(m.Uid, listed.Uid);

        var cleared = await after.SetFlagsAsync(Alice, "INBOX", m.Uid, MessageFlags.Flagged, None);
        Assert.Equal(MessageFlags.Flagged, cleared!.Flags);
        Assert.Equal(MessageFlags.Flagged, Assert.Single(await dir.NewStore().ListAsync(Alice, "INBOX", None)).Flags);
        Assert.Null(await after.SetFlagsAsync(Alice, "INBOX", 999_999, MessageFlags.Seen, None));
    }

    [Fact]
    public async Task File_dropped_into_new_by_hand_gets_a_uid_on_load()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var existing = await DeliverAsync(store, Alice, "INBOX", Message("existing"));
        var dropped = Path.Combine(store.MailboxPath(Alice, "INBOX"), "new", "1700000000.handmade.host");
        await File.WriteAllBytesAsync(dropped, Message("by hand"));

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(2, listed.Count);
        Assert.True(listed[1].Uid > existing.Uid);
        Assert.Equal(Message("by hand"), await ReadAllAsync(after, listed[1]));
        Assert.False(File.Exists(dropped)); // renamed to carry its UID
        Assert.Equal(listed, await dir.NewStore().ListAsync(Alice, "INBOX", None));
    }

    [Fact]
    public async Task Folders_keep_separate_uid_spaces_and_users_stay_apart()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var inbox = await DeliverAsync(store, Alice, "INBOX", Message("a"));
        var work = await DeliverAsync(store, Alice, "Work/Projects", Message("b"));
        var bob = await DeliverAsync(store, "bob@uc.test", "INBOX", Message("c"));

        Assert.Single(await store.ListAsync(Alice, "INBOX", None));
        Assert.Single(await store.ListAsync("bob@uc.test", "INBOX", None));
        Assert.StartsWith(Path.Combine(dir.Root, "uc.test", "bob") + Path.DirectorySeparatorChar, bob.Path);
        Assert.Equal(Path.Combine(dir.Root, "uc.test", "alice", "Work.Projects"), store.MailboxPath(Alice, "Work/Projects"));
        Assert.Contains("Work/Projects", store.ListFolders(Alice));
        Assert.Equal(inbox.Uid, work.Uid); // each folder counts on its own
        Assert.Single(await dir.NewStore().ListAsync(Alice, "Work/Projects", None));
    }
}
