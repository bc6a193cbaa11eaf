using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Unicode;

namespace MailLab.Server.Store;

/// <summary>
/// The per-folder file <c>maillab-listing</c>: what a directory scan found (file name, <c>new/</c> or <c>cur/</c>,
/// mtime), so that loading a big folder after a restart reads one file instead of listing two directories and
/// stat-ing every message. It is a cache, never the truth: it is used whole only when the mtimes of <c>new/</c> and
/// <c>cur/</c> are still those it recorded (see <see cref="Contents.IsCurrent"/>); otherwise the directories are listed again
/// and the listing only spares the stat of the files it already knows. Plain text, one message a line:
/// <code>
/// maillab-listing 2 uidvalidity new-mtime cur-mtime made count     (mtimes and made in .NET ticks, UTC)
/// c 638...ticks uid size flags keywords 1735689600.M1P2Q3.host,U=7,S=10240:2,S
/// end xxh3-64-hex                                                   (over the bytes of every line before it)
/// </code>
/// Version 1 had an FNV-1a checksum over UTF-16 text, which made a load decode every name; its files read as missing.
/// A missing, truncated or altered file (bad header, count or checksum) reads as null: the folder is rebuilt from
/// the directories and the listing rewritten.
/// </summary>
internal static class FolderListing
{
    /// <summary>File name inside the folder directory (beside tmp/, new/, cur/; Maildir readers ignore it).</summary>
    public const string FileName = "maillab-listing";

    private const string Magic = "maillab-listing 2";

    // A line is the prefix (at most 7 fields of 20 digits) and a file name (255 bytes on Linux file systems, but a
    // name may be longer in UTF-16 code units than in bytes: 4 bytes a code unit at most is safe).
    private const int MaxName = 1024;
    private const int MaxLine = 4 * MaxName + 256;

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

    /// <summary>
    /// One message as listed. <see cref="FileName"/> is null while a load reads it (see <see cref="ReadInto"/>), and when
    /// a listing is written from names still in a listing's bytes (<paramref name="Listed"/>).
    /// </summary>
    internal readonly record struct Entry(bool InCur, long ModifiedTicks, uint Uid, long Size, MessageFlags Flags, uint Keywords, string? FileName,
        ListedName Listed = default);

    /// <summary>Reads the listing; null when it is missing, truncated, altered or from another format.</summary>
    public static Contents? Read(string folderPath)
    {
        var entries = new List<Entry>();
        return ReadInto(folderPath, entries, (e, name) => e with { FileName = name.ToString() }) is { } h
            ? new Contents(h.UidValidity, h.NewTicks, h.CurTicks, h.MadeTicks, entries) : null;
    }

    /// <summary>
    /// Reads the listing, appending <paramref name="make"/> of each entry and its name to <paramref name="into"/> (so a load
    /// builds its messages straight from the file, without a list of entries or a string per name in between). Returns
    /// the header with no entries, or null (and <paramref name="into"/> emptied) when the listing is missing, truncated,
    /// altered or from another format.
    /// </summary>
    public static Contents? ReadInto<T>(string folderPath, List<T> into, Func<Entry, ListedName, T> make)
    {
        var start = into.Count;
        var header = ReadCore(folderPath, into, make);
        if (header is null)
        {
            into.RemoveRange(start, into.Count - start);
        }
        return header;
    }

    // Streamed through one pooled buffer: the file of a 100,000-message folder is about 7 MB, and a fresh process
    // pays for every new page it touches (fault and zeroing), which took more CPU than the parse itself.
    private static Contents? ReadCore<T>(string folderPath, List<T> into, Func<Entry, ListedName, T> make)
    {
        FileStream file;
        try
        {
            file = new FileStream(Path.Combine(folderPath, FileName), FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using (file)
            {
                return Parse(file, buffer, new ListingNames(file.Length), into, make);
            }
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Contents? Parse<T>(FileStream file, byte[] buffer, ListingNames names, List<T> into, Func<Entry, ListedName, T> make)
    {
        int filled = 0, at = 0, hashed = 0; // buffer[hashed..at] is read but not yet in the checksum
        Contents? header = null;
        var hash = new XxHash3();
        var count = 0;
        var entries = 0;
        while (true)
        {
            var nl = buffer.AsSpan(at, filled - at).IndexOf((byte)'\n');
            if (nl < 0)
            {
                // Keep the partial line, refill behind it; a line longer than the buffer is no listing of ours.
                hash.Append(buffer.AsSpan(hashed, at - hashed));
                buffer.AsSpan(at, filled - at).CopyTo(buffer);
                filled -= at;
                at = hashed = 0;
                var n = filled == buffer.Length ? 0 : file.Read(buffer, filled, buffer.Length - filled);
                if (n == 0)
                {
                    return null; // no end line: truncated (or an overlong line)
                }
                filled += n;
                continue;
            }
            var line = buffer.AsSpan(at, nl);
            var lineStart = at;
            at += nl + 1;
            if (header is null)
            {
                header = ParseHeader(line, out count);
                if (header is null)
                {
                    return null;
                }
                into.Capacity = Math.Max(into.Capacity, into.Count + Math.Min(count, 1 << 20));
            }
            else if (line.StartsWith("end "u8))
            {
                hash.Append(buffer.AsSpan(hashed, lineStart - hashed));
                Span<byte> expected = stackalloc byte[16];
                hash.GetCurrentHashAsUInt64().TryFormat(expected, out _, "x16", CultureInfo.InvariantCulture);
                var ok = entries == count && at == filled && file.Read(buffer, 0, 1) == 0 && line[4..].SequenceEqual(expected);
                return ok ? header : null;
            }
            else
            {
                if (entries == count || !TryParseEntry(line, out var entry, out var name))
                {
                    return null;
                }
                into.Add(make(entry, names.Add(name)));
                entries++;
            }
        }
    }

    private static Contents? ParseHeader(ReadOnlySpan<byte> line, out int count)
    {
        count = 0;
        if (!Ascii.IsValid(line))
        {
            return null;
        }
        var h = Encoding.ASCII.GetString(line).Split(' ');
        return h is { Length: 7 } && $"{h[0]} {h[1]}" == Magic
            && uint.TryParse(h[2], NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
            && long.TryParse(h[3], NumberStyles.None, CultureInfo.InvariantCulture, out var newTicks)
            && long.TryParse(h[4], NumberStyles.None, CultureInfo.InvariantCulture, out var curTicks)
            && long.TryParse(h[5], NumberStyles.None, CultureInfo.InvariantCulture, out var made)
            && int.TryParse(h[6], NumberStyles.None, CultureInfo.InvariantCulture, out count)
            ? new Contents(validity, newTicks, curTicks, made, []) : null;
    }

    /// <summary>
    /// Writes the listing atomically and durably (temp file, fsync, rename, fsync of the folder). False, and nothing
    /// written, when a file name cannot be kept on one line (a name with a line break dropped in by hand) or is not
    /// Unicode text (a lone surrogate: its UTF-8 would read back as another name).
    /// </summary>
    public static bool Write(string folderPath, Contents contents) => Write(folderPath, contents, contents.Entries);

    /// <summary>The same with the entries given apart (enumerated twice: checked, then written), so no list is built.</summary>
    public static bool Write(string folderPath, Contents header, IReadOnlyCollection<Entry> entries)
    {
        foreach (var e in entries)
        {
            if (e.FileName is null
                ? e.Listed.Length > 4 * MaxName // read from a listing line: one line, valid UTF-8
                : e.FileName.AsSpan().IndexOfAny('\r', '\n') >= 0 || e.FileName.Length > MaxName || !IsText(e.FileName))
            {
                return false;
            }
        }
        DurableFile.WriteAtomic(Path.Combine(folderPath, FileName), stream =>
        {
            // Each line formatted as bytes into one buffer, no string per line (a stale load rewrites 100,000 of them).
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                var used = 0;
                var headerLine = buffer.AsSpan();
                Utf8.TryWrite(headerLine, CultureInfo.InvariantCulture,
                    $"{Magic} {header.UidValidity} {header.NewTicks} {header.CurTicks} {header.MadeTicks} {entries.Count}\n", out used);
                var hash = new XxHash3();
                foreach (var e in entries)
                {
                    if (buffer.Length - used < MaxLine)
                    {
                        hash.Append(buffer.AsSpan(0, used));
                        stream.Write(buffer, 0, used);
                        used = 0;
                    }
                    var line = buffer.AsSpan(used);
                    Utf8.TryWrite(line, CultureInfo.InvariantCulture,
                        $"{(e.InCur ? 'c' : 'n')} {e.ModifiedTicks} {e.Uid} {e.Size} {(int)e.Flags} {e.Keywords} ", out var prefix);
                    var name = e.FileName is null ? Copy(e.Listed.Utf8, line[prefix..]) : Encoding.UTF8.GetBytes(e.FileName, line[prefix..]);
                    line[prefix + name] = (byte)'\n';
                    used += prefix + name + 1;
                }
                hash.Append(buffer.AsSpan(0, used));
                stream.Write(buffer, 0, used);
                stream.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"end {hash.GetCurrentHashAsUInt64():x16}\n")));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
        return true;
    }

    // "c ticks uid size flags keywords name": the numbers first, so a name with spaces needs no quoting.
    private static bool TryParseEntry(ReadOnlySpan<byte> line, out Entry entry, out ReadOnlySpan<byte> name)
    {
        entry = default;
        name = default;
        if (line.Length < 3 || line[0] is not ((byte)'c' or (byte)'n') || line[1] != ' ')
        {
            return false;
        }
        var rest = line[2..];
        if (!TryTake(ref rest, out var ticks) || !TryTake(ref rest, out var uid) || !TryTake(ref rest, out var size)
            || !TryTake(ref rest, out var flags) || !TryTake(ref rest, out var keywords)
            || rest.Length == 0 || uid is 0 or > uint.MaxValue || flags > 31 || keywords > uint.MaxValue
            // A name, never a path: the checksum is no secret, and a hand-made "../../elsewhere" must not be served.
            || rest[0] == (byte)'.' || rest.IndexOfAny((byte)'/', (byte)0) >= 0
            // The name is made into a string later: bytes that are not UTF-8 would come back as another name.
            || !Utf8.IsValid(rest))
        {
            return false;
        }
        name = rest;
        entry = new Entry(line[0] == 'c', ticks, (uint)uid, size, (MessageFlags)flags, (uint)keywords, null);
        return true;
    }

    private static int Copy(ReadOnlySpan<byte> from, Span<byte> to)
    {
        from.CopyTo(to);
        return from.Length;
    }

    // No lone surrogate: the name's UTF-8 decodes to the same name.
    private static bool IsText(string name)
    {
        Span<byte> scratch = stackalloc byte[4 * MaxName];
        return Ascii.IsValid(name) || Utf8.FromUtf16(name, scratch, out _, out _, replaceInvalidSequences: false) == OperationStatus.Done;
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
