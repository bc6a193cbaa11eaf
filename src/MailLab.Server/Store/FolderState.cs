using System.IO.Enumeration;

namespace MailLab.Server.Store;

/// <summary>
/// One folder in memory: its lock, UID counter, keywords, \Recent mark and a cache of its listing. Loaded
/// from disk on first use; after that this process owns the folder. Every member except the constructor
/// needs <see cref="Gate"/>.
/// </summary>
internal sealed partial class FolderState(string root, string address, string folder, string path, uint reserveBlock)
{
    // qmail's rule: a file left in tmp/ for 36 hours belongs to a delivery that died.
    private static readonly TimeSpan StaleTmpAge = TimeSpan.FromHours(36);

    public string Address { get; } = address;
    public string Folder { get; } = folder;
    public string Path { get; } = path;
    public string TmpDir { get; } = System.IO.Path.Combine(path, "tmp");
    public string NewDir { get; } = System.IO.Path.Combine(path, "new");
    public string CurDir { get; } = System.IO.Path.Combine(path, "cur");

    /// <summary>Group commit of the fsyncs that make renames into <c>new/</c> durable.</summary>
    public DirectorySync NewDirSync { get; } = new(System.IO.Path.Combine(path, "new"));

    /// <summary>Group commit of the fsyncs that make renames into <c>cur/</c> durable.</summary>
    public DirectorySync CurDirSync { get; } = new(System.IO.Path.Combine(path, "cur"));

    /// <summary>Serialises UID allocation, renames and cache updates for this folder.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public bool Loaded { get; private set; }

    /// <summary>The UID state was read (a first <see cref="Load"/> ran): a delivery can take a UID without the messages.</summary>
    public bool StateRead => stateRead;

    /// <summary>1 while an unload after a delivery is waiting (one at a time, not one per delivery).</summary>
    public int UnloadScheduled;

    /// <summary>The folder was deleted or renamed away; whoever waited for the lock must look it up again.</summary>
    public bool Gone { get; set; }
    public uint UidValidity { get; private set; }
    public uint NextUid { get; private set; }
    public FolderKeywords Keywords { get; private set; } = null!;

    /// <summary>The first UID not yet announced as \Recent to an IMAP session (RFC 3501 §2.3.2).</summary>
    public uint RecentFrom { get; private set; }

    // Ascending UIDs: a delivery always appends (UIDs are allocated under the lock), so a list with
    // binary search costs 8 octets a message where a sorted tree cost 48.
    private List<StoredMessage> messages = [];
    private FolderSnapshot? snapshot;
    private uint reserved;
    private bool stateRead;

    /// <summary>How the last <see cref="Load"/> got the messages (for tests and the bench).</summary>
    public ListingSource LastLoad { get; private set; }

    /// <summary>Messages in memory now.</summary>
    public int Count => messages.Count;

    /// <summary>
    /// Creates the Maildir directories if needed, reads the UID state once, and the messages from the on-disk
    /// listing when it is current, or else from the directories (see <see cref="FolderListing"/>).
    /// </summary>
    public void Load()
    {
        if (Loaded)
        {
            return;
        }
        UidState? state = null;
        if (!stateRead)
        {
            var created = !Directory.Exists(CurDir) || !Directory.Exists(NewDir) || !Directory.Exists(TmpDir);
            Directory.CreateDirectory(TmpDir);
            Directory.CreateDirectory(NewDir);
            Directory.CreateDirectory(CurDir);
            if (created)
            {
                FsyncUpToRoot();
            }
            state = UidState.Read(Path);
            UidValidity = state?.UidValidity ?? UidState.NewUidValidity();
            Keywords = FolderKeywords.Load(Path);
            NextUid = Math.Max(state?.Reserved ?? 1, 1); // never below the persisted mark: gaps are fine, reuse is not
            reserved = state?.Reserved ?? 0;
            RecentFrom = state?.Recent ?? 1; // a new folder: everything in it is new to every session
        }
        // The directories' mtimes before reading them: a change during the scan then shows as a newer mtime.
        var newTicks = Directory.GetLastWriteTimeUtc(NewDir).Ticks;
        var curTicks = Directory.GetLastWriteTimeUtc(CurDir).Ticks;
        var madeTicks = DateTime.UtcNow.Ticks;
        // The listed messages are built straight from the file; a stale listing still spares the stat of known files.
        var listed = new List<StoredMessage>();
        var listing = FolderListing.ReadInto(Path, listed, (e, name) => new StoredMessage(Address, Folder, UidValidity, e.Uid, e.Size,
            e.Flags, new DateTimeOffset(e.ModifiedTicks, TimeSpan.Zero), name, e.InCur ? CurDir : NewDir) { Keywords = e.Keywords });
        if (listing is not null && listing.UidValidity != UidValidity)
        {
            listing = null; // another folder's (or a recreated folder's) listing
            listed.Clear();
        }
        var strays = new List<(FileInfo File, bool InCur)>();
        if (listing is not null && listing.IsCurrent(newTicks, curTicks))
        {
            messages = listed;
            LastLoad = ListingSource.Listing;
        }
        else
        {
            messages = []; // a delivery committed while unloaded is on disk and read again here
            Scan(listed, strays);
            LastLoad = listing is null ? ListingSource.Rebuilt : ListingSource.Merged;
        }
        if (!IsSorted())
        {
            SortByUid(messages); // a listing is already in order; a directory is not
        }
        DropDuplicateUids();
        var maxUid = messages.Count > 0 ? messages[^1].Uid : 0;
        NextUid = Math.Max(NextUid, maxUid == uint.MaxValue ? maxUid : maxUid + 1);
        if (!stateRead && state is null)
        {
            Persist(NextUid);
        }
        stateRead = true;
        AdoptStrays(strays);
        RemoveStaleTmp();
        if (LastLoad != ListingSource.Listing && strays.Count == 0)
        {
            // Adopted strays were renamed after the mtimes were read: the next load lists the directories anyway.
            WriteListing(new FolderListing.Contents(UidValidity, newTicks, curTicks, madeTicks, []), new ListedEntries(messages, CurDir));
        }
        Loaded = true;
    }

    // The listing is a cache: a folder that cannot take it (disk full, read-only copy) still loads, by scan each time.
    private void WriteListing(FolderListing.Contents header, IReadOnlyCollection<FolderListing.Entry> entries)
    {
        try
        {
            FolderListing.Write(Path, header, entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException)
        {
            // Nothing to undo: a listing left from before was not current, and stays so (its mtimes are past).
        }
    }

    /// <summary>
    /// Drops the messages from memory (the folder's last session left); the UID state stays, and the next
    /// <see cref="Load"/> reads the messages again. Returns how many were dropped.
    /// </summary>
    public int Unload()
    {
        var n = messages.Count;
        messages = [];
        snapshot = null;
        Loaded = false;
        return n;
    }

    /// <summary>
    /// Hands out the next UID. The high-water mark is persisted in blocks before any UID of the block is
    /// used, so a crash leaves a gap and never a reuse, at one state write per block instead of per message.
    /// </summary>
    public uint AllocateUid()
    {
        if (NextUid == uint.MaxValue)
        {
            throw new StoreException($"UID space of {Folder} exhausted; the folder needs a new UIDVALIDITY");
        }
        if (NextUid >= reserved)
        {
            Persist((uint)Math.Min((ulong)NextUid + reserveBlock, uint.MaxValue));
        }
        snapshot = null; // UIDNEXT moves
        return NextUid++;
    }

    /// <summary>The message for a file in <paramref name="dir"/> (<see cref="NewDir"/> or <see cref="CurDir"/>, shared strings).</summary>
    private StoredMessage ToMessage(MaildirFileName name, string fileName, DateTime modifiedUtc, string dir) =>
        new(Address, Folder, UidValidity, name.Uid, name.Size, name.Flags,
            new DateTimeOffset(modifiedUtc, TimeSpan.Zero), fileName, dir == NewDir ? NewDir : CurDir)
        { Keywords = name.Keywords };

    /// <summary>The message with this UID.</summary>
    public bool TryGet(uint uid, out StoredMessage message)
    {
        var i = IndexOf(uid);
        message = i >= 0 ? messages[i] : null!;
        return i >= 0;
    }

    /// <summary>Adds a message whose UID is above every other (it was just allocated).</summary>
    public void Append(StoredMessage message)
    {
        if (!Loaded)
        {
            return; // unloaded between the start and the commit of a delivery: the next Load lists it from disk
        }
        if (messages.Count > 0 && messages[^1].Uid >= message.Uid)
        {
            throw new StoreException($"UID {message.Uid} is not above {messages[^1].Uid} in {Folder}");
        }
        messages.Add(message);
        snapshot = null;
    }

    /// <summary>Replaces the message with the same UID (after a flag change).</summary>
    public void Replace(StoredMessage message)
    {
        messages[IndexOf(message.Uid)] = message;
        snapshot = null;
    }

    /// <summary>Removes the message with this UID.</summary>
    public bool Remove(uint uid, out StoredMessage message)
    {
        if (!TryGet(uid, out message))
        {
            return false;
        }
        messages.RemoveAt(IndexOf(uid));
        snapshot = null;
        return true;
    }

    /// <summary>Forgets the cached snapshot (keywords were added).</summary>
    public void Changed() => snapshot = null;

    /// <summary>
    /// The folder now, built once per change and shared by every reader until the next change.
    /// </summary>
    public FolderSnapshot Snapshot()
    {
        if (snapshot is null)
        {
            var unseen = 0;
            var firstUnseen = -1;
            long size = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                var m = messages[i];
                size += m.Size;
                if ((m.Flags & MessageFlags.Seen) == 0)
                {
                    unseen++;
                    if (firstUnseen < 0) firstUnseen = i;
                }
            }
            snapshot = new FolderSnapshot(UidValidity, NextUid, messages.ToArray(), unseen, firstUnseen, size,
                Keywords.Names, RecentFrom);
        }
        return snapshot;
    }

    /// <summary>
    /// Announces every message so far as \Recent to the caller (RFC 3501 §2.3.2: to one session only) and
    /// returns the previous mark. Persisted, so a restart does not announce them again.
    /// </summary>
    public uint ClaimRecent()
    {
        var from = RecentFrom;
        if (RecentFrom < NextUid)
        {
            RecentFrom = NextUid;
            Persist(reserved);
            snapshot = null;
        }
        return from;
    }

    // Two files with one UID can only come from copying files by hand; keep the one with flags (cur/).
    private void DropDuplicateUids()
    {
        for (var i = messages.Count - 1; i > 0; i--)
        {
            if (messages[i].Uid == messages[i - 1].Uid)
            {
                messages.RemoveAt(messages[i].Directory == CurDir ? i - 1 : i);
            }
        }
    }

    private bool IsSorted()
    {
        for (var i = 1; i < messages.Count; i++)
        {
            if (messages[i - 1].Uid > messages[i].Uid)
            {
                return false;
            }
        }
        return true;
    }

    private int IndexOf(uint uid)
    {
        var i = FolderSnapshot.LowerBound(messages, uid);
        return i < messages.Count && messages[i].Uid == uid ? i : -1;
    }

    private void Persist(uint newReserved)
    {
        new UidState(UidValidity, newReserved, RecentFrom).Write(Path);
        reserved = newReserved;
    }

    // Files dropped into new/ or cur/ by hand (plain Maildir delivery) get a UID, oldest first.
    private void AdoptStrays(List<(FileInfo File, bool InCur)> strays)
    {
        foreach (var (file, inCur) in strays.OrderBy(s => s.File.LastWriteTimeUtc).ThenBy(s => s.File.Name, StringComparer.Ordinal))
        {
            var colon = file.Name.IndexOf(':', StringComparison.Ordinal);
            var unique = (colon >= 0 ? file.Name[..colon] : file.Name).Replace(',', '_');
            var flags = colon >= 0 && file.Name.AsSpan(colon).StartsWith(":2,")
                ? MaildirInfo.FromLetters(file.Name.AsSpan(colon + 3)) : MessageFlags.None;
            var name = new MaildirFileName(unique, AllocateUid(), file.Length, flags, HasInfo: inCur);
            var target = System.IO.Path.Combine(inCur ? CurDir : NewDir, name.ToString());
            File.Move(file.FullName, target);
            messages.Add(ToMessage(name, name.ToString(), File.GetLastWriteTimeUtc(target), inCur ? CurDir : NewDir));
        }
        if (strays.Count > 0)
        {
            DurableFile.FsyncDirectory(NewDir);
            DurableFile.FsyncDirectory(CurDir);
        }
    }

    private void RemoveStaleTmp()
    {
        foreach (var file in new DirectoryInfo(TmpDir).EnumerateFiles())
        {
            if (DateTime.UtcNow - file.LastWriteTimeUtc > StaleTmpAge)
            {
                file.Delete();
            }
        }
    }

    // A new folder (and maybe a new user and domain) must survive a crash before mail is acknowledged in it.
    private void FsyncUpToRoot()
    {
        var fullRoot = System.IO.Path.TrimEndingDirectorySeparator(root);
        for (var dir = Path; dir is not null && dir.Length >= fullRoot.Length; dir = System.IO.Path.GetDirectoryName(dir))
        {
            DurableFile.FsyncDirectory(dir);
        }
    }
}
