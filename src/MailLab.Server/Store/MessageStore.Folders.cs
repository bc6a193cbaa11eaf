namespace MailLab.Server.Store;

// Folders of a user: counts and UIDVALIDITY, keywords, create, delete, rename, and the listings of folders and users.
public sealed partial class MessageStore
{
    /// <summary>UIDVALIDITY, UIDNEXT and counts of a folder (<see cref="MailboxNotFoundException"/> when it does not exist).</summary>
    internal async Task<FolderInfo> GetFolderInfoAsync(string address, string folder, CancellationToken ct)
    {
        var s = await SnapshotAsync(address, folder, claimRecent: false, ct).ConfigureAwait(false);
        return new FolderInfo(s.UidValidity, s.UidNext, s.Messages.Count, s.Unseen, s.TotalSize, s.RecentCount);
    }

    /// <summary>Creates the folder if it does not exist (IMAP CREATE) and returns its UIDVALIDITY, UIDNEXT and counts.</summary>
    internal async Task<FolderInfo> CreateFolderAsync(string address, string folder, CancellationToken ct)
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
}
