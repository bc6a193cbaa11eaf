using System.Collections.Concurrent;

namespace MailLab.Server.Store;

/// <summary>
/// The durable message store (RFC 5598 §2.1.3 "MS"): <c>&lt;root&gt;/&lt;domain&gt;/&lt;localpart&gt;/&lt;Folder&gt;/{tmp,new,cur}</c>
/// in Maildir style, with IMAP UIDs, sizes and flags in the file names. One process owns a root; it
/// serialises UID allocation per folder and keeps each folder's listing in memory after the first scan.
/// Invalid addresses and folder names throw <see cref="InvalidMailboxNameException"/>; I/O failures
/// throw <see cref="StoreException"/> or <see cref="IOException"/>. The store does not log: callers do.
/// </summary>
public sealed partial class MessageStore
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
    internal Task<PendingMessage> BeginAsync(string address, string folder, CancellationToken ct) =>
        BeginAsync(address, folder, create: true, ct);

    /// <summary>
    /// Starts a delivery; with <paramref name="create"/> false (IMAP APPEND and COPY, which answer
    /// <c>[TRYCREATE]</c>) throws <see cref="MailboxNotFoundException"/> instead of creating the folder.
    /// </summary>
    internal async Task<PendingMessage> BeginAsync(string address, string folder, bool create, CancellationToken ct)
    {
        // A delivery needs the directories and the UID state, not the messages: a folder no session reads is not
        // loaded for it (100,000 delivered messages kept about 20 MB in memory, issue 19).
        var f = await AcquireAsync(address, folder, create, ct, load: false).ConfigureAwait(false);
        f.Gate.Release(); // the lock only made sure the directories exist; writing tmp files runs in parallel
        var unique = MaildirFileName.NewUnique();
        var tmpPath = Path.Combine(f.TmpDir, unique);
        // A small buffer: the MDA writes a few header lines, then the body in large blocks that bypass it;
        // a 64 KiB buffer per delivery only fed the GC (100 sessions: most of the allocation rate).
        var stream = new FileStream(tmpPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 4 * 1024);
        return new PendingMessage(this, f, unique, tmpPath, stream);
    }

    /// <summary>The user's own directory (not created): for per-user state such as IMAP subscriptions.</summary>
    public string UserDirectory(string address) => UserPath(MailboxNames.NormalizeAddress(address));

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
        UnloadAfterDelivery(f);
        return message;
    }

    private string UserPath(string normalizedAddress)
    {
        var at = normalizedAddress.LastIndexOf('@');
        return Path.Combine(Root, normalizedAddress[(at + 1)..], normalizedAddress[..at]);
    }

    // Returns the folder with its Gate held; the caller releases it. It is loaded, except with load false (a delivery)
    // once its UID state was read: then its messages may be out of memory. Without create, a folder that is not on
    // disk is not made (MailboxNotFoundException); INBOX always exists (RFC 3501 §5.1).
    private async Task<FolderState> AcquireAsync(string address, string folder, bool create, CancellationToken ct, bool load = true)
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
        return await LockAndLoadAsync(normalizedAddress, normalizedFolder, create || normalizedFolder == "INBOX", ct, load).ConfigureAwait(false);
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

    private async Task<FolderState> LockAndLoadAsync(string address, string folder, bool create, CancellationToken ct, bool load = true)
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
                if (load || !f.StateRead)
                {
                    f.Load();
                }
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
