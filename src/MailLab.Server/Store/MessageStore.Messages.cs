namespace MailLab.Server.Store;

// A folder's messages: listing, snapshots for POP3 and IMAP, reading, flags, deletion and change watchers.
public sealed partial class MessageStore
{
    /// <summary>The folder's messages in ascending UID order (a shared, unchanging list).</summary>
    public async Task<IReadOnlyList<StoredMessage>> ListAsync(string address, string folder, CancellationToken ct) =>
        (await SnapshotAsync(address, folder, claimRecent: false, ct).ConfigureAwait(false)).Messages;

    /// <summary>
    /// The folder as it is now, shared with other readers until it changes (<see cref="MailboxNotFoundException"/>
    /// when it does not exist; INBOX always does). With
    /// <paramref name="claimRecent"/> the caller is the session that announces the messages from
    /// <see cref="FolderSnapshot.RecentFrom"/> on as \Recent; no later caller gets them as recent (RFC 3501 §2.3.2).
    /// </summary>
    internal async Task<FolderSnapshot> SnapshotAsync(string address, string folder, bool claimRecent, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, create: false, ct).ConfigureAwait(false);
        try
        {
            var snapshot = f.Snapshot();
            if (claimRecent)
            {
                f.ClaimRecent();
            }
            return snapshot;
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>
    /// Opens the message for reading, found by owner, folder and UID (its <see cref="StoredMessage.Path"/> is
    /// not trusted, and may be stale after a flag change). Null when the message (or its folder) no longer exists.
    /// </summary>
    public async Task<Stream?> OpenReadAsync(StoredMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var f = await TryAcquireAsync(message.Address, message.Folder, ct).ConfigureAwait(false);
        if (f is null)
        {
            return null;
        }
        try
        {
            // Opened under the lock: a later rename or delete does not disturb an open file on Unix.
            return f.TryGet(message.Uid, out var current) ? OpenFile(current.Path) : null;
        }
        finally
        {
            f.Gate.Release();
        }
    }

    // Null when the file went behind the store's back (deleted by hand since the folder was listed): the caller
    // answers as for a message expunged meanwhile, never with a crash.
    private static FileStream? OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Replaces the message's system flags, keeping its keywords (a rename into <c>cur/</c>); null when there is no such UID.</summary>
    internal Task<StoredMessage?> SetFlagsAsync(string address, string folder, uint uid, MessageFlags flags, CancellationToken ct) =>
        UpdateFlagsAsync(address, folder, uid, (_, keywords) => (flags, keywords), ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the system flags and keyword mask as stored now, under the
    /// folder's lock, so that two sessions' +FLAGS and -FLAGS both take effect (RFC 3501 §6.4.6 adds to or
    /// removes from the current flags, not a session's older copy); null when there is no such UID.
    /// </summary>
    internal async Task<StoredMessage?> UpdateFlagsAsync(string address, string folder, uint uid,
        Func<MessageFlags, uint, (MessageFlags Flags, uint Keywords)> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var f = await TryAcquireAsync(address, folder, ct).ConfigureAwait(false);
        if (f is null)
        {
            return null;
        }
        StoredMessage updated;
        string oldDir;
        try
        {
            if (!f.TryGet(uid, out var m) || !MaildirFileName.TryParse(m.FileName, out var name))
            {
                return null;
            }
            var (flags, keywords) = change(m.Flags, m.Keywords);
            if (flags == m.Flags && keywords == m.Keywords && m.Directory == f.CurDir)
            {
                return m;
            }
            var newName = (name with { Flags = flags, Keywords = keywords, HasInfo = true }).ToString();
            oldDir = m.Directory;
            File.Move(m.Path, Path.Combine(f.CurDir, newName));
            updated = m with { Flags = flags, FileName = newName, Directory = f.CurDir, Keywords = keywords };
            f.Replace(updated);
        }
        finally
        {
            f.Gate.Release();
        }
        DurableFile.FsyncDirectory(f.CurDir);
        if (oldDir != f.CurDir)
        {
            DurableFile.FsyncDirectory(oldDir);
        }
        Notify(f);
        return updated;
    }

    /// <summary>Removes the message for good (IMAP EXPUNGE, POP3 DELE at QUIT). False when there is no such UID.</summary>
    public async Task<bool> DeleteAsync(string address, string folder, uint uid, CancellationToken ct)
    {
        var f = await TryAcquireAsync(address, folder, ct).ConfigureAwait(false);
        if (f is null)
        {
            return false;
        }
        string dir;
        try
        {
            if (!f.Remove(uid, out var m))
            {
                return false;
            }
            dir = m.Directory;
            File.Delete(m.Path);
        }
        finally
        {
            f.Gate.Release();
        }
        DurableFile.FsyncDirectory(dir);
        Notify(f);
        return true;
    }

    /// <summary>
    /// Calls <paramref name="changed"/> after every message added to, re-flagged in or removed from the
    /// folder, by any caller (SMTP delivery, POP3, another IMAP session), outside the folder's lock.
    /// The callback must be quick and must not throw; dispose the result to stop watching.
    /// </summary>
    public IDisposable Watch(string address, string folder, Action changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        var normalizedAddress = MailboxNames.NormalizeAddress(address);
        var normalizedFolder = MailboxNames.NormalizeFolder(folder);
        var key = WatchKey(normalizedAddress, normalizedFolder);
        watchers.AddOrUpdate(key, _ => [changed], (_, list) => [.. list, changed]);
        return new Unwatch(() =>
        {
            while (watchers.TryGetValue(key, out var list))
            {
                var rest = list.Where(a => a != changed).ToArray();
                if (rest.Length == 0 && watchers.TryRemove(new KeyValuePair<string, Action[]>(key, list)))
                {
                    _ = UnloadIfUnwatchedAsync(normalizedAddress, normalizedFolder); // the last session left
                    return;
                }
                if (rest.Length > 0 && watchers.TryUpdate(key, rest, list))
                {
                    return;
                }
            }
        });
    }

    private static string WatchKey(string address, string folder) => address + "\0" + folder;

    private void Notify(FolderState f)
    {
        if (watchers.TryGetValue(WatchKey(f.Address, f.Folder), out var list))
        {
            foreach (var changed in list)
            {
                changed();
            }
        }
    }

    private sealed class Unwatch(Action undo) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
            {
                undo();
            }
        }
    }
}
