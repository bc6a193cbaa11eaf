namespace MailLab.Server.Store;

// Big folders leave memory when their last IMAP session leaves: with the on-disk listing (FolderListing) loading
// them again is one file read, so a 100,000-message INBOX need not stay cached (about 26 MB) after its user logged out.
public sealed partial class MessageStore
{
    /// <summary>
    /// A folder with at least this many messages is dropped from memory when its last watcher (IMAP session) goes;
    /// smaller ones stay cached (they cost little and are loaded on every login). Tests set it lower.
    /// </summary>
    internal int UnloadFrom { get; init; } = 1_000;

    /// <summary>
    /// How long a folder stays in memory after its last watcher went: a client that logs in again soon (a script, a
    /// phone that reconnects) finds it still there. Tests set zero.
    /// </summary>
    internal TimeSpan UnloadAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After dropping at least this many messages, a full compacting collection gives the memory back to the system.</summary>
    internal int CollectFrom { get; init; } = 10_000;

    /// <summary>Raised after a folder was dropped from memory: owner, folder, messages dropped (tests wait on it).</summary>
    internal event Action<string, string, int>? FolderUnloaded;

    /// <summary>Where the folder's messages came from when it was last loaded (tests and the bench tell listing from scan).</summary>
    internal ListingSource LastLoad(string address, string folder) =>
        folders.TryGetValue(MailboxPath(address, folder), out var f) ? f.LastLoad : ListingSource.None;

    /// <summary>True while the folder's messages are in memory.</summary>
    internal bool IsLoaded(string address, string folder) =>
        folders.TryGetValue(MailboxPath(address, folder), out var f) && f.Loaded;

    // A big folder that a delivery loaded (the first after a start) and no session watches leaves memory too, once
    // (UnloadScheduled): later deliveries to it do not load it again (BeginAsync).
    private void UnloadAfterDelivery(FolderState f)
    {
        if (f.Loaded && f.Count >= UnloadFrom && !watchers.ContainsKey(WatchKey(f.Address, f.Folder))
            && Interlocked.Exchange(ref f.UnloadScheduled, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await UnloadIfUnwatchedAsync(f.Address, f.Folder).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref f.UnloadScheduled, 0);
                }
            });
        }
    }

    private async Task UnloadIfUnwatchedAsync(string address, string folder)
    {
        if (UnloadAfter > TimeSpan.Zero)
        {
            await Task.Delay(UnloadAfter).ConfigureAwait(false);
        }
        if (!folders.TryGetValue(MailboxPath(address, folder), out var f))
        {
            return;
        }
        await f.Gate.WaitAsync().ConfigureAwait(false);
        var dropped = 0;
        try
        {
            // A session may have selected it again meanwhile.
            if (!f.Gone && f.Loaded && f.Count >= UnloadFrom && !watchers.ContainsKey(WatchKey(address, folder)))
            {
                dropped = f.Unload();
            }
        }
        finally
        {
            f.Gate.Release();
        }
        if (dropped == 0)
        {
            return;
        }
        if (dropped >= CollectFrom)
        {
            // Rare (a big folder's last session left) and worth it: the listing was tens of MB of long-lived
            // objects; without a full collection the process keeps that memory committed until some later one.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        FolderUnloaded?.Invoke(address, folder, dropped);
    }
}
