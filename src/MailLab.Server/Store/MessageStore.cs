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

    /// <summary>Starts a delivery: creates a file in the folder's <c>tmp/</c> (and the folder if needed). Commit or dispose the result.</summary>
    public Task<PendingMessage> BeginAsync(string address, string folder, CancellationToken ct) =>
        BeginAsync(address, folder, create: true, ct);

    /// <summary>
    /// Starts a delivery; with <paramref name="create"/> false (IMAP APPEND and COPY, which answer
    /// <c>[TRYCREATE]</c>) throws <see cref="MailboxNotFoundException"/> instead of creating the folder.
    /// </summary>
    public async Task<PendingMessage> BeginAsync(string address, string folder, bool create, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, create, ct).ConfigureAwait(false);
        f.Gate.Release(); // the lock only made sure the directories exist; writing tmp files runs in parallel
        var unique = MaildirFileName.NewUnique();
        var tmpPath = Path.Combine(f.TmpDir, unique);
        // A small buffer: the MDA writes a few header lines, then the body in large blocks that bypass it;
        // a 64 KiB buffer per delivery only fed the GC (100 sessions: most of the allocation rate).
        var stream = new FileStream(tmpPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 4 * 1024);
        return new PendingMessage(this, f, unique, tmpPath, stream);
    }

    /// <summary>The folder's messages in ascending UID order (a shared, unchanging list).</summary>
    public async Task<IReadOnlyList<StoredMessage>> ListAsync(string address, string folder, CancellationToken ct) =>
        (await SnapshotAsync(address, folder, claimRecent: false, ct).ConfigureAwait(false)).Messages;

    /// <summary>
    /// The folder as it is now, shared with other readers until it changes (<see cref="MailboxNotFoundException"/>
    /// when it does not exist; INBOX always does). With
    /// <paramref name="claimRecent"/> the caller is the session that announces the messages from
    /// <see cref="FolderSnapshot.RecentFrom"/> on as \Recent; no later caller gets them as recent (RFC 3501 §2.3.2).
    /// </summary>
    public async Task<FolderSnapshot> SnapshotAsync(string address, string folder, bool claimRecent, CancellationToken ct)
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

    /// <summary>UIDVALIDITY, UIDNEXT and counts of a folder (<see cref="MailboxNotFoundException"/> when it does not exist).</summary>
    public async Task<FolderInfo> GetFolderInfoAsync(string address, string folder, CancellationToken ct)
    {
        var s = await SnapshotAsync(address, folder, claimRecent: false, ct).ConfigureAwait(false);
        return new FolderInfo(s.UidValidity, s.UidNext, s.Messages.Count, s.Unseen, s.TotalSize, s.RecentCount);
    }

    /// <summary>Creates the folder if it does not exist (IMAP CREATE) and returns its UIDVALIDITY, UIDNEXT and counts.</summary>
    public async Task<FolderInfo> CreateFolderAsync(string address, string folder, CancellationToken ct)
    {
        (await AcquireAsync(address, folder, create: true, ct).ConfigureAwait(false)).Gate.Release();
        return await GetFolderInfoAsync(address, folder, ct).ConfigureAwait(false);
    }

    /// <summary>The folder's UIDVALIDITY, or null when it does not exist (deleted by another session).</summary>
    public async Task<uint?> UidValidityAsync(string address, string folder, CancellationToken ct)
    {
        try
        {
            var f = await AcquireAsync(address, folder, create: false, ct).ConfigureAwait(false);
            f.Gate.Release();
            return f.UidValidity;
        }
        catch (MailboxNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The keyword mask for <paramref name="names"/> in the folder, adding unknown names when
    /// <paramref name="create"/> is set and the folder has room for all of them (<see cref="MaildirInfo.MaxKeywords"/>).
    /// Complete is false when a name is not (and could not be) defined; nothing was added then.
    /// </summary>
    public async Task<(bool Complete, uint Mask, IReadOnlyList<string> Names)> KeywordsAsync(string address, string folder,
        IEnumerable<string> names, bool create, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, create: false, ct).ConfigureAwait(false);
        try
        {
            var before = f.Keywords.Names.Count;
            var complete = f.Keywords.TryMask(names, create, out var mask);
            if (f.Keywords.Names.Count != before)
            {
                f.Changed();
            }
            return (complete, mask, f.Keywords.Names);
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>
    /// True when the folder already has, or has room for, every keyword in <paramref name="names"/>; nothing
    /// is defined (APPEND checks first and defines them with the message, so a failed APPEND defines none).
    /// </summary>
    public async Task<bool> CanDefineKeywordsAsync(string address, string folder, IEnumerable<string> names, CancellationToken ct)
    {
        var f = await AcquireAsync(address, folder, create: false, ct).ConfigureAwait(false);
        try
        {
            return f.Keywords.CanDefine(names);
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
            return f.TryGet(message.Uid, out var current)
                ? new FileStream(current.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true)
                : null;
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>Replaces the message's system flags, keeping its keywords (a rename into <c>cur/</c>); null when there is no such UID.</summary>
    public Task<StoredMessage?> SetFlagsAsync(string address, string folder, uint uid, MessageFlags flags, CancellationToken ct) =>
        UpdateFlagsAsync(address, folder, uid, (_, keywords) => (flags, keywords), ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the system flags and keyword mask as stored now, under the
    /// folder's lock, so that two sessions' +FLAGS and -FLAGS both take effect (RFC 3501 §6.4.6 adds to or
    /// removes from the current flags, not a session's older copy); null when there is no such UID.
    /// </summary>
    public async Task<StoredMessage?> UpdateFlagsAsync(string address, string folder, uint uid,
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
        FolderState f;
        try
        {
            f = await AcquireAsync(address, folder, create: false, ct).ConfigureAwait(false);
        }
        catch (MailboxNotFoundException)
        {
            return false; // deleted by someone else meanwhile
        }
        try
        {
            folders.TryRemove(path, out _);
            f.Gone = true;
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
            var f = await AcquireAsync(a, oldName, create: false, ct).ConfigureAwait(false);
            try
            {
                folders.TryRemove(MailboxPath(a, oldName), out _);
                f.Gone = true;
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

    /// <summary>Second phase of <see cref="PendingMessage.CommitAsync(MessageFlags, IEnumerable{string}, DateTimeOffset?, CancellationToken)"/>: UID, rename, cache, directory fsync.</summary>
    internal async Task<StoredMessage> CommitAsync(FolderState f, string unique, string tmpPath, long size,
        MessageFlags flags, IEnumerable<string>? keywordNames, DateTimeOffset internalDate, CancellationToken ct)
    {
        await f.Gate.WaitAsync(ct).ConfigureAwait(false);
        StoredMessage message;
        string dir;
        try
        {
            if (f.Gone)
            {
                throw new MailboxNotFoundException(f.Folder); // deleted while the message was being written
            }
            // The rename happens under the lock too, so messages become visible in UID order
            // (RFC 9051 §2.3.1.1: a message added later never has a lower UID than one already seen).
            // The UID first: when none is left (StoreException) no keyword has been defined for nothing.
            var uid = f.AllocateUid();
            // Keywords the folder has no room for are left out (RFC 3501 §6.4.7 lets COPY drop them; APPEND checks first).
            uint keywords = 0;
            if (keywordNames is not null)
            {
                _ = f.Keywords.TryMask(keywordNames, create: true, out keywords, allOrNothing: false);
            }
            var hasInfo = flags != MessageFlags.None || keywords != 0;
            var name = new MaildirFileName(unique, uid, size, flags, hasInfo, keywords);
            dir = hasInfo ? f.CurDir : f.NewDir;
            File.Move(tmpPath, Path.Combine(dir, name.ToString()));
            message = new StoredMessage(f.Address, f.Folder, f.UidValidity, uid, size, flags, internalDate, name.ToString(), dir)
            {
                Keywords = keywords,
            };
            f.Append(message);
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

    // Returns the loaded folder with its Gate held; the caller releases it. Without create, a folder that is
    // not on disk is not made (MailboxNotFoundException); INBOX always exists (RFC 3501 §5.1).
    private async Task<FolderState> AcquireAsync(string address, string folder, bool create, CancellationToken ct)
    {
        var normalizedAddress = MailboxNames.NormalizeAddress(address);
        var normalizedFolder = MailboxNames.NormalizeFolder(folder);
        if (!usersReady.ContainsKey(normalizedAddress))
        {
            foreach (var name in DefaultFolders)
            {
                (await LockAndLoadAsync(normalizedAddress, name, create: true, ct).ConfigureAwait(false)).Gate.Release();
            }
            usersReady.TryAdd(normalizedAddress, true);
        }
        return await LockAndLoadAsync(normalizedAddress, normalizedFolder, create || normalizedFolder == "INBOX", ct).ConfigureAwait(false);
    }

    // The same, null when the folder does not exist.
    private async Task<FolderState?> TryAcquireAsync(string address, string folder, CancellationToken ct)
    {
        try
        {
            return await AcquireAsync(address, folder, create: false, ct).ConfigureAwait(false);
        }
        catch (MailboxNotFoundException)
        {
            return null;
        }
    }

    private async Task<FolderState> LockAndLoadAsync(string address, string folder, bool create, CancellationToken ct)
    {
        var path = MailboxPath(address, folder);
        while (true)
        {
            var f = folders.GetOrAdd(path, p => new FolderState(Root, address, folder, p, reserveBlock));
            await f.Gate.WaitAsync(ct).ConfigureAwait(false);
            if (f.Gone)
            {
                // Deleted or renamed while we waited: it is out of the table, look again (a new one, or none).
                f.Gate.Release();
                continue;
            }
            try
            {
                if (!f.Loaded && !create && !Directory.Exists(f.CurDir))
                {
                    throw new MailboxNotFoundException(folder);
                }
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
}
