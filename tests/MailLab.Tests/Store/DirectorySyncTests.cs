using MailLab.Server.Store;

namespace MailLab.Tests.Store;

public class DirectorySyncTests
{
    [Fact]
    public async Task Concurrent_callers_all_complete()
    {
        using var dir = new StoreTestDirectory();
        var sync = new DirectorySync(dir.Root);

        var calls = Enumerable.Range(0, 200).Select(_ => Task.Run(sync.SyncAsync)).ToArray();
        var all = Task.WhenAll(calls);

        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.All(calls, c => Assert.True(c.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task A_failed_fsync_fails_its_callers_and_a_later_call_tries_again()
    {
        using var dir = new StoreTestDirectory();
        var missing = Path.Combine(dir.Root, "new");
        var sync = new DirectorySync(missing);

        // No directory: the caller must not be told its rename is durable.
        await Assert.ThrowsAsync<StoreException>(sync.SyncAsync);

        Directory.CreateDirectory(missing);
        await sync.SyncAsync();
    }
}
