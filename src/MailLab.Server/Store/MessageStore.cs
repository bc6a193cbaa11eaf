using System.Collections.Concurrent;

namespace MailLab.Server.Store;

/// <summary>
/// The durable message store (RFC 5598 §2.1.3 "MS"): <c>&lt;root&gt;/&lt;domain&gt;/&lt;localpart&gt;/&lt;Folder&gt;/{tmp,new,cur}</c>
/// in Maildir style, with IMAP UIDs, sizes and flags in the file names. One process owns a root; it
/// serialises UID allocation per folder and keeps each folder's listing in memory after the first scan.
/// Invalid addresses and folder names throw <see cref="InvalidMailboxNameException"/>; I/O failures
/// throw <see cref="StoreException"/> or <see cref="IOException"/>. The store does not log: callers do.
/// </summary>
public sealed class MessageStore
{
    /// <summary>UIDs reserved per write of the UID state file unless told otherwise.</summary>
    public const uint DefaultUidReserveBlock = 32;

    private readonly ConcurrentDictionary<string, FolderState> folders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> usersReady = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Action[]> watchers = new(StringComparer.Ordinal);
    private readonly uint reserveBlock;

    /// <summary>A store over <paramref name="root"/> (created on first delivery).</summary>
    public MessageStore(string root) : this(root, DefaultUidReserveBlock) { }

    /// <summary>
    /// A store that persists the UID high-water mark every <paramref name="uidReserveBlock"/> UIDs
    /// (1 = before every message; larger = fewer fsyncs, a larger UID gap after a restart).
    /// </summary>
    public MessageStore(string root, uint uidReserveBlock)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentOutOfRangeException.ThrowIfZero(uidReserveBlock);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        reserveBlock = uidReserveBlock;
    }

    /// <summary>The absolute root directory.</summary>
    public string Root { get; }

    /// <summary>Folders every user gets on first use.</summary>
    public static IReadOnlyList<string> DefaultFolders { get; } = ["INBOX", "Sent", "Drafts", "Trash", "Junk"];

    /// <summary>Starts a delivery: creates a file in the folder's <c>tmp/</c>. Commit or dispose the result.</summary>
    public async Task<PendingMessage> BeginAsync(string address, string folder, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, ct).ConfigureAwait(false);
        f.Gate.Release(); // the lock only made sure the directories exist; writing tmp files runs in parallel
        var unique = MaildirFileName.NewUnique();
        var tmpPath = Path.Combine(f.TmpDir, unique);
        // A small buffer: the MDA writes a few header lines, then the body in large blocks that bypass it;
        // a 64 KiB buffer per delivery only fed the GC (100 sessions: most of the allocation rate).
        var stream = new FileStream(tmpPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 4 * 1024);
        return new PendingMessage(this, f, unique, tmpPath, stream);
    }

    /// <summary>The folder's messages in ascending UID order.</summary>
    public async Task<IReadOnlyList<StoredMessage>> ListAsync(string address, string folder, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, ct).ConfigureAwait(false);
        try
        {
            return [.. f.Messages.Values];
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>UIDVALIDITY, UIDNEXT and counts of a folder (creating it if needed).</summary>
    public async Task<FolderInfo> GetFolderInfoAsync(string address, string folder, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, ct).ConfigureAwait(false);
        try
        {
            var unseen = f.Messages.Values.Count(m => (m.Flags & MessageFlags.Seen) == 0);
            return new FolderInfo(f.UidValidity, f.NextUid, f.Messages.Count, unseen, f.Messages.Values.Sum(m => m.Size));
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>
    /// Opens the message for reading, found by owner, folder and UID (its <see cref="StoredMessage.Path"/> is
    /// not trusted, and may be stale after a flag change). Null when the message no longer exists.
    /// </summary>
    public async Task<Stream?> OpenReadAsync(StoredMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var f = await AcquireAsync(message.Address, message.Folder, ct).ConfigureAwait(false);
        try
        {
            // Opened under the lock: a later rename or delete does not disturb an open file on Unix.
            return f.Messages.TryGetValue(message.Uid, out var current)
                ? new FileStream(current.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true)
                : null;
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>Replaces the message's flags (a rename into <c>cur/</c>); null when there is no such UID.</summary>
    public Task<StoredMessage?> SetFlagsAsync(string address, string folder, uint uid, MessageFlags flags, CancellationToken ct) =>
        UpdateFlagsAsync(address, folder, uid, _ => flags, ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the flags as stored now, under the folder's lock, so that two
    /// sessions' +FLAGS and -FLAGS both take effect (RFC 3501 §6.4.6 adds to or removes from the current
    /// flags, not a session's older copy); null when there is no such UID.
    /// </summary>
    public async Task<StoredMessage?> UpdateFlagsAsync(string address, string folder, uint uid, Func<MessageFlags, MessageFlags> change,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var f = await AcquireAsync(address, folder, ct).ConfigureAwait(false);
        StoredMessage updated;
        string oldDir;
        try
        {
            if (!f.Messages.TryGetValue(uid, out var m) || !MaildirFileName.TryParse(m.FileName, out var name))
            {
                return null;
            }
            var flags = change(m.Flags);
            var newName = (name with { Flags = flags, HasInfo = true }).ToString();
            var target = Path.Combine(f.CurDir, newName);
            oldDir = Path.GetDirectoryName(m.Path)!;
            if (target == m.Path)
            {
                return m;
            }
            File.Move(m.Path, target);
            updated = m with { Flags = flags, FileName = newName, Path = target };
            f.Messages[uid] = updated;
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
        var f = await AcquireAsync(address, folder, ct).ConfigureAwait(false);
        string dir;
        try
        {
            if (!f.Messages.Remove(uid, out var m))
            {
                return false;
            }
            dir = Path.GetDirectoryName(m.Path)!;
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
        var key = WatchKey(MailboxNames.NormalizeAddress(address), MailboxNames.NormalizeFolder(folder));
        watchers.AddOrUpdate(key, _ => [changed], (_, list) => [.. list, changed]);
        return new Unwatch(() =>
        {
            while (watchers.TryGetValue(key, out var list))
            {
                var rest = list.Where(a => a != changed).ToArray();
                if (rest.Length == 0 ? watchers.TryRemove(new KeyValuePair<string, Action[]>(key, list)) : watchers.TryUpdate(key, rest, list))
                {
                    return;
                }
            }
        });
    }

    /// <summary>
    /// Removes a folder and its messages for good (IMAP DELETE). Sub-folders stay. False when it does not exist.
    /// </summary>
    public async Task<bool> DeleteFolderAsync(string address, string folder, CancellationToken ct)
    {
        var path = MailboxPath(address, folder);
        if (!FolderExists(address, folder))
        {
            return false;
        }
        var f = await AcquireAsync(address, folder, ct).ConfigureAwait(false);
        try
        {
            folders.TryRemove(path, out _);
            // Rename first so a crash never leaves a half-deleted folder that still lists.
            var doomed = Path.Combine(Path.GetDirectoryName(path)!, ".deleted." + MaildirFileName.NewUnique());
            Directory.Move(path, doomed);
            DurableFile.FsyncDirectory(Path.GetDirectoryName(path)!);
            Directory.Delete(doomed, recursive: true);
        }
        finally
        {
            f.Gate.Release();
        }
        Notify(f);
        return true;
    }

    /// <summary>
    /// Renames a folder and its sub-folders (IMAP RENAME, RFC 9051 §6.3.6); UIDVALIDITY moves with it.
    /// False when the source does not exist or the target does.
    /// </summary>
    public async Task<bool> RenameFolderAsync(string address, string from, string to, CancellationToken ct)
    {
        var a = MailboxNames.NormalizeAddress(address);
        var source = MailboxNames.NormalizeFolder(from);
        var target = MailboxNames.NormalizeFolder(to);
        if (!FolderExists(a, source) || FolderExists(a, target))
        {
            return false;
        }
        var moves = ListFolders(a)
            .Where(n => n == source || n.StartsWith(source + MailboxNames.Delimiter, StringComparison.Ordinal))
            .Select(n => (From: n, To: target + n[source.Length..]))
            .ToList();
        foreach (var (oldName, newName) in moves)
        {
            var f = await AcquireAsync(a, oldName, ct).ConfigureAwait(false);
            try
            {
                folders.TryRemove(MailboxPath(a, oldName), out _);
                Directory.Move(MailboxPath(a, oldName), MailboxPath(a, newName));
            }
            finally
            {
                f.Gate.Release();
            }
            Notify(f);
        }
        DurableFile.FsyncDirectory(UserPath(a));
        return true;
    }

    /// <summary>The user's own directory (not created): for per-user state such as IMAP subscriptions.</summary>
    public string UserDirectory(string address) => UserPath(MailboxNames.NormalizeAddress(address));

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

    /// <summary>The folder's directory (not created). Throws <see cref="InvalidMailboxNameException"/> on bad names.</summary>
    public string MailboxPath(string address, string folder)
    {
        var user = UserPath(MailboxNames.NormalizeAddress(address));
        var path = Path.Combine(user, MailboxNames.ToDiskName(MailboxNames.NormalizeFolder(folder)));
        // Defence in depth: validation already rules this out.
        if (!path.StartsWith(user + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidMailboxNameException("folder", folder, "resolves outside the user's directory");
        }
        return path;
    }

    /// <summary>True when the folder exists on disk.</summary>
    public bool FolderExists(string address, string folder) => Directory.Exists(Path.Combine(MailboxPath(address, folder), "cur"));

    /// <summary>The user's folders on disk (IMAP names), INBOX first, then ordinal order.</summary>
    public IReadOnlyList<string> ListFolders(string address)
    {
        var user = UserPath(MailboxNames.NormalizeAddress(address));
        if (!Directory.Exists(user))
        {
            return [];
        }
        return [.. Directory.EnumerateDirectories(user)
            .Where(d => Directory.Exists(Path.Combine(d, "cur")))
            .Select(d => MailboxNames.FromDiskName(Path.GetFileName(d)))
            .OfType<string>()
            .OrderBy(n => n == "INBOX" ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal)];
    }

    /// <summary>Addresses that have a directory in the store.</summary>
    public IReadOnlyList<string> ListUsers()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }
        return [.. Directory.EnumerateDirectories(Root)
            .SelectMany(d => Directory.EnumerateDirectories(d).Select(u => Path.GetFileName(u) + "@" + Path.GetFileName(d)))
            .Where(a => MailboxNames.TryNormalizeAddress(a, out var n, out _) && n == a)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Second phase of <see cref="PendingMessage.CommitAsync"/>: UID, rename, cache, directory fsync.</summary>
    internal async Task<StoredMessage> CommitAsync(FolderState f, string unique, string tmpPath, long size,
        MessageFlags flags, DateTimeOffset internalDate, CancellationToken ct)
    {
        await f.Gate.WaitAsync(ct).ConfigureAwait(false);
        StoredMessage message;
        string dir;
        try
        {
            // The rename happens under the lock too, so messages become visible in UID order
            // (RFC 9051 §2.3.1.1: a message added later never has a lower UID than one already seen).
            var uid = f.AllocateUid();
            var name = new MaildirFileName(unique, uid, size, flags, HasInfo: flags != MessageFlags.None);
            dir = flags == MessageFlags.None ? f.NewDir : f.CurDir;
            var target = Path.Combine(dir, name.ToString());
            File.Move(tmpPath, target);
            message = new StoredMessage(f.Address, f.Folder, f.UidValidity, uid, size, flags, internalDate, name.ToString(), target);
            f.Messages.Add(uid, message);
        }
        finally
        {
            f.Gate.Release();
        }
        // Only after this may the caller say "250": the rename itself is now on disk. Outside the lock,
        // and shared with concurrent deliveries to the folder (one fsync covers every earlier rename).
        await (dir == f.NewDir ? f.NewDirSync : f.CurDirSync).SyncAsync().ConfigureAwait(false);
        Notify(f);
        return message;
    }

    private string UserPath(string normalizedAddress)
    {
        var at = normalizedAddress.LastIndexOf('@');
        return Path.Combine(Root, normalizedAddress[(at + 1)..], normalizedAddress[..at]);
    }

    // Returns the loaded folder with its Gate held; the caller releases it.
    private async Task<FolderState> AcquireAsync(string address, string folder, CancellationToken ct)
    {
        var normalizedAddress = MailboxNames.NormalizeAddress(address);
        var normalizedFolder = MailboxNames.NormalizeFolder(folder);
        if (!usersReady.ContainsKey(normalizedAddress))
        {
            foreach (var name in DefaultFolders)
            {
                (await LockAndLoadAsync(normalizedAddress, name, ct).ConfigureAwait(false)).Gate.Release();
            }
            usersReady.TryAdd(normalizedAddress, true);
        }
        return await LockAndLoadAsync(normalizedAddress, normalizedFolder, ct).ConfigureAwait(false);
    }

    private async Task<FolderState> LockAndLoadAsync(string address, string folder, CancellationToken ct)
    {
        var path = MailboxPath(address, folder);
        var f = folders.GetOrAdd(path, p => new FolderState(Root, address, folder, p, reserveBlock));
        await f.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            f.Load();
            return f;
        }
        catch
        {
            f.Gate.Release();
            throw;
        }
    }
}
