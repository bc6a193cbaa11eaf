using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

/// <summary>
/// The on-disk listing <c>maillab-listing</c>: written when a folder was listed from its directories, used whole
/// after a restart while new/ and cur/ are unchanged, and never trusted over the files. A new store over the same
/// root stands for a restart. The directories' mtimes are set an hour back before the load that writes the listing,
/// as for any folder not changed in the last second (a directory changed within a second of the scan is never trusted).
/// </summary>
public class MessageStoreListingTests
{
    private const string Alice = "alice@uc.test";
    private static readonly CancellationToken None = CancellationToken.None;

    // Three messages delivered by one process, then a restart that lists the directories and writes a trusted listing.
    private static async Task<(StoreTestDirectory Dir, string Folder, StoredMessage[] Messages)> ListedAsync()
    {
        var dir = new StoreTestDirectory();
        var first = dir.NewStore();
        var messages = new[]
        {
            await DeliverAsync(first, Alice, "INBOX", Message("one", 100)),
            await DeliverAsync(first, Alice, "INBOX", Message("two", 200), MessageFlags.Seen),
            await DeliverAsync(first, Alice, "INBOX", Message("three", 300)),
        };
        var folder = first.MailboxPath(Alice, "INBOX");
        Backdate(folder);
        var second = dir.NewStore();
        Assert.Equal(messages, await second.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Merged, second.LastLoad(Alice, "INBOX")); // the listing of the empty new folder was stale
        return (dir, folder, messages);
    }

    [Fact]
    public async Task A_restart_uses_the_listing_and_keeps_uids_and_uidvalidity()
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        var listing = FolderListing.Read(folder);
        Assert.NotNull(listing);
        Assert.Equal(messages.Select(m => m.FileName), listing.Entries.Select(e => e.FileName));
        var before = await dir.NewStore().GetFolderInfoAsync(Alice, "INBOX", None);

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Listing, after.LastLoad(Alice, "INBOX"));
        Assert.Equal(messages, listed); // every field, the internal date included
        var info = await after.GetFolderInfoAsync(Alice, "INBOX", None);
        Assert.Equal(messages[0].UidValidity, info.UidValidity);
        Assert.Equal(before.UidNext, info.UidNext);
        Assert.Equal(Message("two", 200), await ReadAllAsync(after, listed[1]));
        var next = await DeliverAsync(after, Alice, "INBOX", Message("four"));
        Assert.True(next.Uid > messages[^1].Uid);
    }

    [Fact]
    public async Task A_file_dropped_into_new_behind_the_stores_back_appears_with_a_new_uid()
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        await File.WriteAllBytesAsync(Path.Combine(folder, "new", "1700000000.hand.host"), Message("by hand"));

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Merged, after.LastLoad(Alice, "INBOX"));
        Assert.Equal(4, listed.Count);
        Assert.Equal(messages, listed.Take(3));
        Assert.True(listed[3].Uid > messages[^1].Uid);
        Assert.Equal(Message("by hand"), await ReadAllAsync(after, listed[3]));
    }

    [Fact]
    public async Task A_file_deleted_behind_the_stores_back_disappears()
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        File.Delete(messages[1].Path);

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Merged, after.LastLoad(Alice, "INBOX"));
        Assert.Equal([messages[0], messages[2]], listed);
    }

    [Fact]
    public async Task Flags_changed_by_renaming_a_file_by_hand_are_seen()
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        var m = messages[0];
        Assert.True(m.IsNew);
        File.Move(m.Path, Path.Combine(folder, "cur", m.FileName + ":2,FS"));

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Merged, after.LastLoad(Alice, "INBOX"));
        Assert.Equal(m.Uid, listed[0].Uid);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, listed[0].Flags);
        Assert.Equal(m.InternalDate, listed[0].InternalDate);
        Assert.False(listed[0].IsNew);
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("digit")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public async Task A_damaged_listing_is_rebuilt_from_the_files_with_the_same_uids(string damage)
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        var path = Path.Combine(folder, FolderListing.FileName);
        var text = await File.ReadAllTextAsync(path);
        var broken = damage switch
        {
            "truncate" => text[..(text.Length * 2 / 3)],
            // One digit of the second message's UID: the line still parses, only the checksum tells.
            "digit" => text.Replace($" {messages[1].Uid} {messages[1].Size} ", $" {messages[1].Uid + 5} {messages[1].Size} "),
            "garbage" => "\0\u0001not a listing\n" + text,
            _ => "",
        };
        Assert.NotEqual(text, broken);
        await File.WriteAllTextAsync(path, broken);
        Backdate(folder); // the directories look untouched: only the listing itself can tell

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Rebuilt, after.LastLoad(Alice, "INBOX"));
        Assert.Equal(messages, listed);
        Assert.Equal(messages.Select(m => m.FileName), FolderListing.Read(folder)!.Entries.Select(e => e.FileName));
    }

    [Fact]
    public async Task A_listing_from_another_uidvalidity_is_not_used()
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        var listing = FolderListing.Read(folder)!;
        Assert.True(FolderListing.Write(folder, listing with
        {
            UidValidity = listing.UidValidity + 1,
            Entries = [.. listing.Entries.Select(e => e with { Uid = e.Uid + 100 })],
        }));

        var after = dir.NewStore();

        Assert.Equal(messages, await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Rebuilt, after.LastLoad(Alice, "INBOX"));
    }

    [Theory]
    [InlineData("../../../../etc/passwd,U=1,S=100")]
    [InlineData("../INBOX.other/cur/x,U=1,S=100")]
    [InlineData(".hidden,U=1,S=100")]
    public async Task A_listing_that_names_a_path_instead_of_a_file_is_not_used(string name)
    {
        var (dir, folder, messages) = await ListedAsync();
        using var _ = dir;
        var listing = FolderListing.Read(folder)!;
        // Correct checksum, current mtimes: only the name gives it away.
        Assert.True(FolderListing.Write(folder, listing with { Entries = [listing.Entries[0] with { FileName = name }, .. listing.Entries.Skip(1)] }));
        Assert.Null(FolderListing.Read(folder));

        var after = dir.NewStore();
        Assert.Equal(messages, await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Rebuilt, after.LastLoad(Alice, "INBOX"));
    }

    [Fact]
    public async Task A_message_file_deleted_while_loaded_reads_as_gone_not_as_an_error()
    {
        var (dir, _, messages) = await ListedAsync();
        using var __ = dir;
        var store = dir.NewStore();
        Assert.Equal(3, (await store.ListAsync(Alice, "INBOX", None)).Count);
        File.Delete(messages[2].Path);

        Assert.Null(await store.OpenReadAsync(messages[2], None));
        Assert.Null(await store.PeekMessageAsync(Alice, "INBOX", messages[2].Uid, None));
        Assert.Equal(Message("one", 100), await ReadAllAsync(store, messages[0]));
    }

    [Fact]
    public async Task A_folder_leaves_memory_when_its_last_watcher_goes_and_comes_back_the_same()
    {
        var (dir, _, messages) = await ListedAsync();
        using var __ = dir;
        var store = new MessageStore(dir.Root) { UnloadFrom = 2, UnloadAfter = TimeSpan.Zero };
        var info = await store.GetFolderInfoAsync(Alice, "INBOX", None);
        var unloaded = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.FolderUnloaded += (_, folder, n) => unloaded.TrySetResult(folder == "INBOX" ? n : -1);
        var first = store.Watch(Alice, "INBOX", () => { });
        var second = store.Watch(Alice, "INBOX", () => { });

        first.Dispose();
        Assert.True(store.IsLoaded(Alice, "INBOX")); // one watcher left
        second.Dispose();

        Assert.Equal(3, await unloaded.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(store.IsLoaded(Alice, "INBOX"));
        Assert.Equal(messages, await store.ListAsync(Alice, "INBOX", None));
        Assert.Equal(info, await store.GetFolderInfoAsync(Alice, "INBOX", None)); // UIDNEXT did not jump
        var next = await DeliverAsync(store, Alice, "INBOX", Message("four"));
        Assert.Equal(info.UidNext, next.Uid);
    }

    [Fact]
    public async Task A_delivery_committed_while_its_folder_was_unloaded_is_listed()
    {
        var (dir, _, messages) = await ListedAsync();
        using var __ = dir;
        var store = new MessageStore(dir.Root) { UnloadFrom = 1, UnloadAfter = TimeSpan.Zero };
        await using var pending = await store.BeginAsync(Alice, "INBOX", None);
        await pending.Content.WriteAsync(Message("late"));
        var unloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.FolderUnloaded += (_, _, _) => unloaded.TrySetResult();
        store.Watch(Alice, "INBOX", () => { }).Dispose();
        await unloaded.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var late = await pending.CommitAsync();

        var listed = await store.ListAsync(Alice, "INBOX", None);
        Assert.Equal([.. messages, late], listed);
    }

    [Fact]
    public async Task A_big_folder_nobody_reads_leaves_memory_after_a_delivery_and_later_deliveries_do_not_load_it()
    {
        var (dir, _, messages) = await ListedAsync();
        using var __ = dir;
        var store = new MessageStore(dir.Root) { UnloadFrom = 2, UnloadAfter = TimeSpan.Zero };
        var unloaded = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.FolderUnloaded += (_, _, n) => unloaded.TrySetResult(n);

        // The first delivery after a start reads the folder (its UID state with it); nobody watches it, so it leaves.
        var four = await DeliverAsync(store, Alice, "INBOX", Message("four"));
        Assert.Equal(4, await unloaded.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(store.IsLoaded(Alice, "INBOX"));
        var five = await DeliverAsync(store, Alice, "INBOX", Message("five"));
        Assert.False(store.IsLoaded(Alice, "INBOX")); // delivered without loading the folder
        Assert.Equal(four.Uid + 1, five.Uid);
        Assert.Equal([.. messages, four, five], await store.ListAsync(Alice, "INBOX", None));

        // A folder a session watches stays, deliveries or not.
        using (store.Watch(Alice, "INBOX", () => { }))
        {
            var six = await DeliverAsync(store, Alice, "INBOX", Message("six"));
            Assert.True(store.IsLoaded(Alice, "INBOX"));
            Assert.Equal([.. messages, four, five, six], await store.ListAsync(Alice, "INBOX", None));
        }
    }
}
