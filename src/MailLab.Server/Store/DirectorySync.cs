namespace MailLab.Server.Store;

/// <summary>
/// Group commit of directory fsyncs. A rename is durable once its directory has been fsynced after
/// the rename; one fsync covers every rename done before it starts. So concurrent deliveries into
/// one folder join a batch, and one fsync, started after all of them joined, completes the batch,
/// instead of each blocking a thread in its own fsync. The caller renames first, then awaits
/// <see cref="SyncAsync"/>; only then may it say 250.
/// </summary>
internal sealed class DirectorySync(string directory)
{
    private readonly Lock gate = new();
    private TaskCompletionSource? waiting; // callers whose renames precede the next fsync
    private bool running;

    /// <summary>Completes once an fsync of the directory that started after this call has finished.</summary>
    public Task SyncAsync()
    {
        Task joined;
        lock (gate)
        {
            waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            joined = waiting.Task;
            if (running)
            {
                return joined; // the fsync in flight may predate our rename: the next one covers it
            }
            running = true;
        }
        // The first caller runs one batch on its own thread (the fsync it would have done anyway);
        // batches that gather meanwhile run on the thread pool, so this caller is not held up by them.
        RunBatch();
        return joined;
    }

    private void RunBatch()
    {
        TaskCompletionSource batch;
        lock (gate)
        {
            batch = waiting!;
            waiting = null;
        }
        try
        {
            // Every member of the batch renamed before joining, and joined before this point.
            DurableFile.FsyncDirectory(directory);
            batch.SetResult();
        }
        catch (Exception ex)
        {
            batch.SetException(ex); // each waiter fails its own delivery; a later batch tries again
        }
        lock (gate)
        {
            if (waiting is null)
            {
                running = false;
                return;
            }
        }
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.RunBatch(), this, preferLocal: false);
    }
}
