using System.Globalization;
using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// The per-folder file <c>maillab-listing</c>: what a directory scan found (file name, <c>new/</c> or <c>cur/</c>,
/// mtime), so that loading a big folder after a restart reads one file instead of listing two directories and
/// stat-ing every message. It is a cache, never the truth: it is used whole only when the mtimes of <c>new/</c> and
/// <c>cur/</c> are still those it recorded (see <see cref="Contents.IsCurrent"/>); otherwise the directories are listed again
/// and the listing only spares the stat of the files it already knows. Plain text, one message a line:
/// <code>
/// maillab-listing 1 uidvalidity new-mtime cur-mtime made count     (mtimes and made in .NET ticks, UTC)
/// c 638...ticks uid size flags keywords 1735689600.M1P2Q3.host,U=7,S=10240:2,S
/// end fnv1a64-hex                                                   (over every line before it)
/// </code>
/// A missing, truncated or altered file (bad header, count or checksum) reads as null: the folder is rebuilt from
/// the directories and the listing rewritten.
/// </summary>
internal static class FolderListing
{
    /// <summary>File name inside the folder directory (beside tmp/, new/, cur/; Maildir readers ignore it).</summary>
    public const string FileName = "maillab-listing";

    private const string Magic = "maillab-listing 1";

    /// <summary>The header of a listing and its entries.</summary>
    /// <param name="UidValidity">The folder's UIDVALIDITY when it was written; another value means another folder.</param>
    /// <param name="NewTicks">mtime of <c>new/</c> read before the scan the listing holds.</param>
    /// <param name="CurTicks">mtime of <c>cur/</c> read before that scan.</param>
    /// <param name="MadeTicks">The clock when those mtimes were read.</param>
    /// <param name="Entries">One per message.</param>
    internal sealed record Contents(uint UidValidity, long NewTicks, long CurTicks, long MadeTicks, List<Entry> Entries)
    {
        /// <summary>
        /// True when neither directory changed since the scan. A change sets the directory's mtime from the kernel's
        /// coarse clock, which can still show the tick of the scan itself; so a directory changed less than a second
        /// before the scan is never trusted (the change may share its tick with a later one), and any later change
        /// then shows as a different mtime.
        /// </summary>
        public bool IsCurrent(long newTicks, long curTicks) =>
            newTicks == NewTicks && curTicks == CurTicks
            && NewTicks < MadeTicks - TimeSpan.TicksPerSecond && CurTicks < MadeTicks - TimeSpan.TicksPerSecond;
    }

    /// <summary>One message as listed.</summary>
    internal readonly record struct Entry(bool InCur, long ModifiedTicks, uint Uid, long Size, MessageFlags Flags, uint Keywords, string FileName);

    /// <summary>Reads the listing; null when it is missing, truncated, altered or from another format.</summary>
    public static Contents? Read(string folderPath)
    {
        byte[] bytes;
        try
        {
            // One read and no string per line: a 100,000-message listing is about 7 MB.
            bytes = File.ReadAllBytes(Path.Combine(folderPath, FileName));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var rest = bytes.AsSpan();
        if (!TryTakeLine(ref rest, out var headerBytes))
        {
            return null;
        }
        var header = Encoding.UTF8.GetString(headerBytes);
        var h = header.Split(' ');
        if (h is not { Length: 7 } || $"{h[0]} {h[1]}" != Magic
            || !uint.TryParse(h[2], NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
            || !long.TryParse(h[3], NumberStyles.None, CultureInfo.InvariantCulture, out var newTicks)
            || !long.TryParse(h[4], NumberStyles.None, CultureInfo.InvariantCulture, out var curTicks)
            || !long.TryParse(h[5], NumberStyles.None, CultureInfo.InvariantCulture, out var made)
            || !int.TryParse(h[6], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return null;
        }
        var hash = Fnv.Add(Fnv.Offset, header);
        var entries = new List<Entry>(Math.Min(count, 1 << 20));
        while (TryTakeLine(ref rest, out var line))
        {
            if (line.StartsWith("end "u8))
            {
                var ok = entries.Count == count && rest.Length == 0
                    && line[4..].SequenceEqual(Encoding.ASCII.GetBytes(hash.ToString("x16", CultureInfo.InvariantCulture)));
                return ok ? new Contents(validity, newTicks, curTicks, made, entries) : null;
            }
            if (entries.Count == count || !TryParseEntry(line, out var entry, out var nameStart))
            {
                return null;
            }
            entries.Add(entry);
            hash = Fnv.AddEntryLine(hash, line[..nameStart], entry.FileName);
        }
        return null; // no end line: truncated
    }

    /// <summary>
    /// Writes the listing atomically and durably (temp file, fsync, rename, fsync of the folder). False, and nothing
    /// written, when a file name cannot be kept on one line (a name with a line break dropped in by hand).
    /// </summary>
    public static bool Write(string folderPath, Contents contents)
    {
        if (contents.Entries.Exists(e => e.FileName.AsSpan().IndexOfAny('\r', '\n') >= 0))
        {
            return false;
        }
        DurableFile.WriteAtomic(Path.Combine(folderPath, FileName), stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
            var header = string.Create(CultureInfo.InvariantCulture,
                $"{Magic} {contents.UidValidity} {contents.NewTicks} {contents.CurTicks} {contents.MadeTicks} {contents.Entries.Count}");
            w.WriteLine(header);
            var hash = Fnv.Add(Fnv.Offset, header);
            foreach (var e in contents.Entries)
            {
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{(e.InCur ? 'c' : 'n')} {e.ModifiedTicks} {e.Uid} {e.Size} {(int)e.Flags} {e.Keywords} {e.FileName}");
                w.WriteLine(line);
                hash = Fnv.Add(hash, line);
            }
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"end {hash:x16}"));
        });
        return true;
    }

    private static bool TryTakeLine(ref Span<byte> rest, out ReadOnlySpan<byte> line)
    {
        var nl = rest.IndexOf((byte)'\n');
        line = nl < 0 ? default : rest[..nl];
        rest = nl < 0 ? rest : rest[(nl + 1)..];
        return nl >= 0;
    }

    // "c ticks uid size flags keywords name": the numbers first, so a name with spaces needs no quoting.
    private static bool TryParseEntry(ReadOnlySpan<byte> line, out Entry entry, out int nameStart)
    {
        entry = default;
        nameStart = 0;
        if (line.Length < 3 || line[0] is not ((byte)'c' or (byte)'n') || line[1] != ' ')
        {
            return false;
        }
        var rest = line[2..];
        if (!TryTake(ref rest, out var ticks) || !TryTake(ref rest, out var uid) || !TryTake(ref rest, out var size)
            || !TryTake(ref rest, out var flags) || !TryTake(ref rest, out var keywords)
            || rest.Length == 0 || uid is 0 or > uint.MaxValue || flags > 31 || keywords > uint.MaxValue
            // A name, never a path: the checksum is no secret, and a hand-made "../../elsewhere" must not be served.
            || rest[0] == (byte)'.' || rest.IndexOfAny((byte)'/', (byte)0) >= 0)
        {
            return false;
        }
        nameStart = line.Length - rest.Length;
        entry = new Entry(line[0] == 'c', ticks, (uint)uid, size, (MessageFlags)flags, (uint)keywords, Encoding.UTF8.GetString(rest));
        return true;
    }

    // Decimal digits up to the next space (at most 18: no overflow), no sign.
    private static bool TryTake(ref ReadOnlySpan<byte> rest, out long value)
    {
        var space = rest.IndexOf((byte)' ');
        value = 0;
        if (space is <= 0 or > 18)
        {
            return false;
        }
        foreach (var b in rest[..space])
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            value = value * 10 + (b - '0');
        }
        rest = rest[(space + 1)..];
        return true;
    }

    // FNV-1a, 64 bits, over each line's UTF-16 code units and a line feed: catches a flipped digit or a lost line.
    private static class Fnv
    {
        public const ulong Offset = 14695981039346656037;
        private const ulong Prime = 1099511628211;

        public static ulong Add(ulong hash, string line)
        {
            foreach (var c in line)
            {
                hash = (hash ^ c) * Prime;
            }
            return (hash ^ '\n') * Prime;
        }

        // The same as Add over the line as text: its ASCII prefix byte by byte (one char each), then the decoded
        // name (a name that was not valid UTF-8 decodes differently from what was written, so the sum fails).
        public static ulong AddEntryLine(ulong hash, ReadOnlySpan<byte> prefix, string name)
        {
            foreach (var b in prefix)
            {
                hash = (hash ^ b) * Prime;
            }
            foreach (var c in name)
            {
                hash = (hash ^ c) * Prime;
            }
            return (hash ^ '\n') * Prime;
        }
    }
}

/// <summary>Where a folder's messages came from when it was loaded.</summary>
internal enum ListingSource
{
    /// <summary>Not loaded yet.</summary>
    None,

    /// <summary>The on-disk listing was current: no directory was listed.</summary>
    Listing,

    /// <summary>The listing was stale: the directories were listed, files it knew were not stat-ed, and it was rewritten.</summary>
    Merged,

    /// <summary>No usable listing (missing, truncated, altered): directories listed, every file stat-ed, listing written.</summary>
    Rebuilt,
}
