using System.Collections;
using System.IO.Enumeration;
using System.Runtime.InteropServices;

namespace MailLab.Server.Store;

// The directory scan of a load whose on-disk listing was not current (see FolderListing and Store/README.md).
internal sealed partial class FolderState
{
    // Lists new/ and cur/. A file the listing knows (same UID, same unique part) keeps its mtime from there, so only new
    // files are stat-ed (FileSystemEntry reads the mtime lazily, on first use); a file whose name and directory are
    // those listed keeps the listed message itself: no string, no object, no parse for the files that did not change.
    private void Scan(List<StoredMessage> known, List<(FileInfo File, bool InCur)> strays)
    {
        // The UIDs apart, in one array: a binary search over it stays in cache, one over the messages does not.
        var knownUids = new uint[known.Count];
        for (var i = 0; i < knownUids.Length; i++)
        {
            knownUids[i] = known[i].Uid;
        }
        foreach (var (dir, inCur) in new[] { (NewDir, false), (CurDir, true) })
        {
            var files = new FileSystemEnumerable<(string? Name, StoredMessage? Same, uint KnownUid, long Ticks)>(dir,
                (ref FileSystemEntry e) =>
                {
                    var name = e.FileName;
                    if (Known(known, knownUids, name) is not { } k)
                    {
                        return (name.ToString(), null, 0u, e.LastWriteTimeUtc.UtcTicks);
                    }
                    return ReferenceEquals(k.Directory, dir) && k.NameEquals(name)
                        ? (null, k, k.Uid, k.InternalDate.UtcTicks)
                        : (name.ToString(), null, k.Uid, k.InternalDate.UtcTicks);
                }, new EnumerationOptions()) { ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory };
            foreach (var (found, same, knownUid, ticks) in files)
            {
                if (same is not null)
                {
                    messages.Add(same);
                    continue;
                }
                var fileName = found!; // null only beside a known message
                if (MaildirFileName.TryParse(fileName, out var name))
                {
                    // Known under another UID (copied in by hand): not the file the listing saw, so its own mtime.
                    var modified = knownUid == 0 || knownUid == name.Uid
                        ? ticks : File.GetLastWriteTimeUtc(System.IO.Path.Combine(dir, fileName)).Ticks;
                    messages.Add(ToMessage(name, fileName, new DateTime(modified, DateTimeKind.Utc), dir));
                }
                else if (!fileName.StartsWith('.'))
                {
                    strays.Add((new FileInfo(System.IO.Path.Combine(dir, fileName)), inCur));
                }
            }
        }
    }

    // The listed message (in UID order, with its UIDs in uids) with the UID this name carries (",U=<uid>" after the unique part)
    // and the same unique part; null when there is none. Looked up by number: no string per name, no hashing.
    private static StoredMessage? Known(List<StoredMessage> known, uint[] uids, ReadOnlySpan<char> name)
    {
        var comma = name.IndexOf(',');
        if (comma <= 0 || !name[(comma + 1)..].StartsWith("U="))
        {
            return null;
        }
        var digits = name[(comma + 3)..];
        var end = digits.IndexOfAny(',', ':');
        if (!uint.TryParse(end < 0 ? digits : digits[..end], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var uid))
        {
            return null;
        }
        var i = uids.AsSpan().BinarySearch(uid); // the listing is in UID order (a hand-made one that is not only misses)
        return i >= 0 && known[i].NameStartsWith(name[..(comma + 1)]) ? known[i] : null;
    }

    // By a key array: no comparison delegate per step (a scanned directory comes in hash order).
    private static void SortByUid(List<StoredMessage> list)
    {
        var items = CollectionsMarshal.AsSpan(list);
        var keys = new uint[items.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = items[i].Uid;
        }
        keys.AsSpan().Sort(items);
    }

    /// <summary>The messages as listing entries, made one at a time while the listing is written (no list in between).</summary>
    private sealed class ListedEntries(List<StoredMessage> list, string curDir) : IReadOnlyCollection<FolderListing.Entry>
    {
        public int Count => list.Count;

        public IEnumerator<FolderListing.Entry> GetEnumerator()
        {
            foreach (var m in list)
            {
                // A name still in the listing's bytes is written from them, not made into a string to be encoded back.
                var listed = m.Listed;
                yield return new FolderListing.Entry(ReferenceEquals(m.Directory, curDir) || m.Directory == curDir, m.InternalDate.UtcTicks,
                    m.Uid, m.Size, m.Flags, m.Keywords, listed.Names is null ? m.FileName : null, listed);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
