namespace MailLab.Server.Store;

/// <summary>
/// A delivery in progress (two-phase, as in Maildir: write into <c>tmp/</c>, then rename). Write the whole
/// message into <see cref="Content"/>, then <see cref="CommitAsync(MessageFlags, DateTimeOffset?, CancellationToken)"/> or <see cref="AbortAsync"/>.
/// Disposing without a commit aborts. A crash before the commit leaves only a file in <c>tmp/</c>,
/// which is never listed as a message.
/// </summary>
internal sealed class PendingMessage : IAsyncDisposable
{
    private enum State { Open, Committing, Committed, Aborted }

    private readonly MessageStore store;
    private readonly FolderState folder;
    private readonly string unique;
    private readonly FileStream file;
    private State state = State.Open;

    internal PendingMessage(MessageStore store, FolderState folder, string unique, string tmpPath, FileStream file)
    {
        this.store = store;
        this.folder = folder;
        this.unique = unique;
        this.file = file;
        TmpPath = tmpPath;
        Content = new PendingContentStream(file);
    }

    /// <summary>Where the message bytes go (headers and body, as they will be served). Disposing it is harmless.</summary>
    public Stream Content { get; }

    /// <summary>The file in <c>tmp/</c> being written.</summary>
    public string TmpPath { get; }

    /// <summary>
    /// Flushes and fsyncs the content without making it visible, so that a caller delivering several
    /// copies can have all of them on disk before it commits any (the commit's own fsync is then cheap).
    /// </summary>
    public async Task SyncAsync(CancellationToken ct = default)
    {
        if (state != State.Open)
        {
            throw new InvalidOperationException($"Message is {state.ToString().ToLowerInvariant()}, cannot sync");
        }
        await file.FlushAsync(ct).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Makes the message durable and visible: flush and fsync the file, allocate the UID (its counter is on
    /// disk first), rename into <c>new/</c> (or <c>cur/</c> when flags are given), fsync the directory.
    /// On failure the tmp file is removed and the exception is rethrown; the message was not delivered.
    /// Throws <see cref="InvalidOperationException"/> when already committed or aborted.
    /// </summary>
    public Task<StoredMessage> CommitAsync(MessageFlags flags = MessageFlags.None, DateTimeOffset? internalDate = null,
        CancellationToken ct = default) => CommitAsync(flags, null, internalDate, ct);

    /// <summary>
    /// <see cref="CommitAsync(MessageFlags, DateTimeOffset?, CancellationToken)"/> with user keywords, defined
    /// in the folder if needed; those the folder has no room for are left out.
    /// </summary>
    public async Task<StoredMessage> CommitAsync(MessageFlags flags, IEnumerable<string>? keywords, DateTimeOffset? internalDate,
        CancellationToken ct = default)
    {
        if (state != State.Open)
        {
            throw new InvalidOperationException($"Message is {state.ToString().ToLowerInvariant()}, cannot commit");
        }
        state = State.Committing;
        try
        {
            await file.FlushAsync(ct).ConfigureAwait(false);
            if (internalDate is { } date)
            {
                File.SetLastWriteTimeUtc(file.SafeFileHandle, date.UtcDateTime);
            }
            file.Flush(flushToDisk: true); // fsync: the bytes are on disk before the name points at them
            var size = file.Length;
            var mtime = new DateTimeOffset(File.GetLastWriteTimeUtc(file.SafeFileHandle), TimeSpan.Zero);
            await file.DisposeAsync().ConfigureAwait(false);
            var message = await store.CommitAsync(folder, unique, TmpPath, size, flags, keywords, mtime, ct).ConfigureAwait(false);
            state = State.Committed;
            return message;
        }
        catch
        {
            await AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drops the message: closes and deletes the tmp file. Safe to call more than once.</summary>
    public async ValueTask AbortAsync()
    {
        if (state is State.Committed or State.Aborted)
        {
            return;
        }
        state = State.Aborted;
        await file.DisposeAsync().ConfigureAwait(false);
        File.Delete(TmpPath); // no fsync: if the unlink is lost, a leftover tmp file is harmless
    }

    /// <summary>Aborts unless committed.</summary>
    public ValueTask DisposeAsync() => AbortAsync();
}
