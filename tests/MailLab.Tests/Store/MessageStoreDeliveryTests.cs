using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

public class MessageStoreDeliveryTests
{
    private const string Alice = "alice@uc.test";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Commit_makes_message_visible_with_exact_bytes_and_ascending_uids()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var first = Message("one", 10_000);
        var second = Message("two", 50);

        var m1 = await DeliverAsync(store, Alice, "INBOX", first);
        var m2 = await DeliverAsync(store, Alice, "INBOX", second);

        Assert.True(m2.Uid > m1.Uid);
        Assert.Equal(first.Length, m1.Size);
        var listed = await store.ListAsync(Alice, "INBOX", None);
        Assert.Equal([m1.Uid, m2.Uid], listed.Select(m => m.Uid));
        Assert.Equal(first, await ReadAllAsync(store, listed[0]));
        Assert.Equal(second, await ReadAllAsync(store, listed[1]));
        Assert.Equal(first, await File.ReadAllBytesAsync(m1.Path));
        Assert.Equal(Path.Combine(store.MailboxPath(Alice, "INBOX"), "new", m1.FileName), m1.Path);
        Assert.Contains($",U={m1.Uid},S={first.Length}", m1.FileName);
        Assert.Empty(Directory.GetFiles(Path.Combine(store.MailboxPath(Alice, "INBOX"), "tmp")));
    }

    [Fact]
    public async Task Message_is_not_visible_before_commit()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await using var pending = await store.BeginAsync(Alice, "INBOX", None);
        await pending.Content.WriteAsync(Message("pending"));
        await pending.Content.FlushAsync();

        Assert.True(File.Exists(pending.TmpPath));
        Assert.Empty(await store.ListAsync(Alice, "INBOX", None));
        var m = await pending.CommitAsync();
        Assert.Single(await store.ListAsync(Alice, "INBOX", None));
        Assert.False(File.Exists(pending.TmpPath));
        Assert.True(File.Exists(m.Path));
    }

    [Fact]
    public async Task Sync_puts_the_bytes_on_disk_but_only_commit_makes_them_visible()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await using var pending = await store.BeginAsync(Alice, "INBOX", None);
        await pending.Content.WriteAsync(Message("synced"));
        await pending.SyncAsync();

        Assert.Equal(Message("synced"), await File.ReadAllBytesAsync(pending.TmpPath));
        Assert.Empty(await store.ListAsync(Alice, "INBOX", None));
        await pending.CommitAsync();
        Assert.Single(await store.ListAsync(Alice, "INBOX", None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => pending.SyncAsync());
    }

    [Fact]
    public async Task Abort_and_dispose_leave_nothing_behind()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        string abortedTmp, disposedTmp;
        await using (var aborted = await store.BeginAsync(Alice, "INBOX", None))
        {
            await aborted.Content.WriteAsync(Message("aborted"));
            abortedTmp = aborted.TmpPath;
            await aborted.AbortAsync();
            await Assert.ThrowsAsync<InvalidOperationException>(() => aborted.CommitAsync());
        }
        await using (var disposed = await store.BeginAsync(Alice, "INBOX", None))
        {
            await disposed.Content.WriteAsync(Message("disposed"));
            disposedTmp = disposed.TmpPath;
        }

        var box = store.MailboxPath(Alice, "INBOX");
        Assert.False(File.Exists(abortedTmp));
        Assert.False(File.Exists(disposedTmp));
        Assert.Empty(Directory.GetFiles(Path.Combine(box, "tmp")));
        Assert.Empty(Directory.GetFiles(Path.Combine(box, "new")));
        Assert.Empty(Directory.GetFiles(Path.Combine(box, "cur")));
        Assert.Empty(await store.ListAsync(Alice, "INBOX", None));
    }

    [Fact]
    public async Task Commit_twice_is_refused_and_disposing_content_is_harmless()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await using var pending = await store.BeginAsync(Alice, "INBOX", None);
        await using (var content = pending.Content)
        {
            await content.WriteAsync(Message("x"));
        }
        var m = await pending.CommitAsync();
        Assert.Equal(Message("x").Length, m.Size);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pending.CommitAsync());
        await pending.DisposeAsync(); // must not delete the committed message
        Assert.True(File.Exists(m.Path));
    }

    [Fact]
    public async Task Cancelled_commit_delivers_nothing_and_removes_tmp()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await using var pending = await store.BeginAsync(Alice, "INBOX", None);
        await pending.Content.WriteAsync(Message("x"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => pending.CommitAsync(ct: new CancellationToken(canceled: true)));
        Assert.False(File.Exists(pending.TmpPath));
        Assert.Empty(await store.ListAsync(Alice, "INBOX", None));
    }

    [Fact]
    public async Task Fifty_parallel_commits_get_fifty_distinct_uids_and_files()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore(reserveBlock: 7); // several reservation blocks under contention
        var bodies = Enumerable.Range(0, 50).Select(i => Message("msg " + i, 1000 + i)).ToArray();

        var delivered = await Task.WhenAll(bodies.Select(b => Task.Run(() => DeliverAsync(store, Alice, "INBOX", b))));

        Assert.Equal(50, delivered.Select(m => m.Uid).Distinct().Count());
        Assert.Equal(50, Directory.GetFiles(Path.Combine(store.MailboxPath(Alice, "INBOX"), "new")).Length);
        var listed = await store.ListAsync(Alice, "INBOX", None);
        Assert.Equal(listed.Select(m => m.Uid).Order(), listed.Select(m => m.Uid));
        Assert.Equal(50, listed.Count);
        foreach (var m in delivered)
        {
            Assert.Equal(bodies[Array.FindIndex(bodies, b => b.Length == m.Size)], await ReadAllAsync(store, m));
        }
    }

    [Fact]
    public async Task Leftover_tmp_file_from_a_crash_is_not_a_message()
    {
        using var dir = new StoreTestDirectory();
        var crashed = dir.NewStore();
        var pending = await crashed.BeginAsync(Alice, "INBOX", None);
        await pending.Content.WriteAsync(Message("never committed"));
        await pending.Content.FlushAsync(); // the process "dies" here: no commit, no dispose

        var restarted = dir.NewStore();
        Assert.Empty(await restarted.ListAsync(Alice, "INBOX", None));
        Assert.Equal(0, (await restarted.GetFolderInfoAsync(Alice, "INBOX", None)).Count);
        Assert.True(File.Exists(pending.TmpPath)); // younger than 36 h: a delivery may still be writing it
        await pending.AbortAsync();
    }

    [Fact]
    public async Task Commit_with_flags_goes_to_cur_with_info_suffix_and_internal_date()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var date = new DateTimeOffset(2024, 3, 1, 12, 30, 45, TimeSpan.FromHours(2));

        var m = await DeliverAsync(store, Alice, "Sent", Message("sent"), MessageFlags.Seen | MessageFlags.Answered, date);

        Assert.Equal(Path.Combine(store.MailboxPath(Alice, "Sent"), "cur", m.FileName), m.Path);
        Assert.EndsWith(":2,RS", m.FileName);
        Assert.False(m.IsNew);
        Assert.Equal(date, m.InternalDate);
        Assert.Equal(date.UtcDateTime, File.GetLastWriteTimeUtc(m.Path));
    }

    [Fact]
    public async Task Folder_info_counts_messages_unseen_and_next_uid()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var empty = await store.GetFolderInfoAsync(Alice, "INBOX", None);
        Assert.Equal(0, empty.Count);
        Assert.NotEqual(0u, empty.UidValidity);

        var a = await DeliverAsync(store, Alice, "INBOX", Message("a"));
        var b = await DeliverAsync(store, Alice, "INBOX", Message("b"), MessageFlags.Seen);
        var info = await store.GetFolderInfoAsync(Alice, "INBOX", None);

        Assert.Equal(2, info.Count);
        Assert.Equal(1, info.Unseen);
        Assert.Equal(a.Size + b.Size, info.TotalSize);
        Assert.Equal(b.Uid + 1, info.UidNext);
        Assert.Equal(empty.UidValidity, info.UidValidity);
        Assert.Equal($"{info.UidValidity}-{a.Uid}", a.UniqueId);
    }

    [Fact]
    public async Task Delete_removes_file_and_listing_entry()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        var m = await DeliverAsync(store, Alice, "INBOX", Message("gone"));

        Assert.True(await store.DeleteAsync(Alice, "INBOX", m.Uid, None));
        Assert.False(File.Exists(m.Path));
        Assert.Empty(await store.ListAsync(Alice, "INBOX", None));
        Assert.False(await store.DeleteAsync(Alice, "INBOX", m.Uid, None));
        Assert.Null(await store.OpenReadAsync(m, None));
    }

    [Fact]
    public async Task Default_folders_are_created_on_first_use()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await DeliverAsync(store, "Bob@UC.Test", "INBOX", Message("hi"));

        Assert.Equal(MessageStore.DefaultFolders.ToHashSet(), store.ListFolders("Bob@uc.test").ToHashSet());
        Assert.Equal("INBOX", store.ListFolders("Bob@uc.test")[0]);
        foreach (var folder in MessageStore.DefaultFolders)
        {
            foreach (var sub in new[] { "tmp", "new", "cur" })
            {
                Assert.True(Directory.Exists(Path.Combine(dir.Root, "uc.test", "Bob", folder, sub)), $"{folder}/{sub}");
            }
        }
        Assert.Equal(["Bob@uc.test"], store.ListUsers());
    }
}
