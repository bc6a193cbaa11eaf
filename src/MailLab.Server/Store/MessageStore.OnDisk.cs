using System.IO.Enumeration;

namespace MailLab.Server.Store;

// A store that only reads what another process wrote: the classroom dashboard shows the mailboxes of the site
// containers, whose data volumes it mounts read-only. It never loads a FolderState (that adopts stray files,
// clears old tmp/ files and writes the UID state: the owning process's work, and impossible on a read-only
// mount); each peek lists new/ and cur/ afresh, by name: Maildir names carry the UID, size and flags.
public sealed partial class MessageStore
{
    /// <summary>A read-only view of another process's store at <paramref name="root"/> (see <see cref="ReadOnly"/>).</summary>
    public static MessageStore ReadOnlyView(string root) => new(root) { ReadOnly = true };

    /// <summary>
    /// True for <see cref="ReadOnlyView"/>: the peek methods list the directories on every call and nothing is
    /// written; files the owner has not given a UID yet (still being adopted) are not shown.
    /// </summary>
    public bool ReadOnly { get; private init; }

    private FolderSnapshot? ScanOnDisk(string address, string folder)
    {
        string path = MailboxPath(address, folder);
        string cur = Path.Combine(path, "cur"), fresh = Path.Combine(path, "new");
        if (!Directory.Exists(cur)) return null;
        var state = UidState.Read(path);
        uint validity = state?.UidValidity ?? 1;
        var messages = new List<StoredMessage>();
        var uids = new HashSet<uint>();
        // cur/ first: a message caught between new/ and cur/ by a rename is shown once, with its flags.
        foreach (var dir in new[] { cur, fresh })
        {
            try
            {
                foreach (var (fileName, modified) in new FileSystemEnumerable<(string, DateTime)>(dir,
                    (ref FileSystemEntry e) => (e.FileName.ToString(), e.LastWriteTimeUtc.UtcDateTime), new EnumerationOptions()))
                {
                    if (MaildirFileName.TryParse(fileName, out var name) && uids.Add(name.Uid))
                    {
                        messages.Add(new StoredMessage(MailboxNames.NormalizeAddress(address), MailboxNames.NormalizeFolder(folder), validity,
                            name.Uid, name.Size, name.Flags, new DateTimeOffset(modified, TimeSpan.Zero), fileName, dir) { Keywords = name.Keywords });
                    }
                }
            }
            catch (DirectoryNotFoundException)
            {
                return null; // the folder was deleted while it was listed
            }
        }
        messages.Sort((a, b) => a.Uid.CompareTo(b.Uid));
        int unseen = 0, firstUnseen = -1;
        for (int i = 0; i < messages.Count; i++)
        {
            if ((messages[i].Flags & MessageFlags.Seen) != 0) continue;
            unseen++;
            if (firstUnseen < 0) firstUnseen = i;
        }
        uint next = Math.Max(state?.Reserved ?? 1, messages.Count > 0 ? messages[^1].Uid + 1 : 1);
        return new FolderSnapshot(validity, next, messages, unseen, firstUnseen, messages.Sum(m => m.Size),
            FolderKeywords.Load(path).Names, state?.Recent ?? next);
    }

    private (StoredMessage Message, Stream Content)? OpenOnDisk(string address, string folder, uint uid)
    {
        // A flag change renames the file between the listing and the open: list again, once.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (ScanOnDisk(address, folder) is not { } s) return null;
            int at = FolderSnapshot.LowerBound(s.Messages, uid);
            if (at == s.Messages.Count || s.Messages[at].Uid != uid) return null;
            var m = s.Messages[at];
            try
            {
                return (m, new FileStream(m.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true));
            }
            catch (FileNotFoundException)
            {
            }
        }
        return null;
    }
}
