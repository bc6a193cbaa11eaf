using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// The file names of one folder read from its on-disk listing, kept as the listing's UTF-8 bytes in a few large
/// chunks. A load of 100,000 messages then makes one array a megabyte instead of 100,000 strings: in a freshly
/// started process most of a load's time went to touching new memory, and the names were more than half of it
/// (issue 19 part 3). Filled by one load under the folder's lock, read-only after it.
/// </summary>
internal sealed class ListingNames(long sizeHint)
{
    private const int ChunkBits = 20;
    private const int ChunkSize = 1 << ChunkBits;

    // Never larger than the listing itself (a small folder does not reserve a megabyte), nor than a chunk.
    private readonly int chunkSize = (int)Math.Clamp(sizeHint, 4096, ChunkSize);
    private readonly List<byte[]> chunks = [];
    private int used;

    /// <summary>Keeps a copy of <paramref name="utf8"/> (valid UTF-8, at most 64 KiB: a line of the listing).</summary>
    public ListedName Add(ReadOnlySpan<byte> utf8)
    {
        if (chunks.Count == 0 || used + utf8.Length > chunks[^1].Length)
        {
            // Uninitialised: every byte a name takes is written before it is read, and untouched pages stay unmapped.
            chunks.Add(GC.AllocateUninitializedArray<byte>(Math.Max(chunkSize, utf8.Length)));
            used = 0;
        }
        utf8.CopyTo(chunks[^1].AsSpan(used));
        var name = new ListedName(this, ((chunks.Count - 1) << ChunkBits) | used, utf8.Length);
        used += utf8.Length;
        return name;
    }

    internal ReadOnlySpan<byte> Bytes(int at, int length) => chunks[at >> ChunkBits].AsSpan(at & (ChunkSize - 1), length);
}

/// <summary>One file name kept by <see cref="ListingNames"/>; <see cref="ToString"/> makes its string.</summary>
internal readonly record struct ListedName(ListingNames Names, int At, int Length)
{
    /// <summary>The name's bytes, as the listing held them.</summary>
    public ReadOnlySpan<byte> Utf8 => Names.Bytes(At, Length);

    /// <summary>The name as a string (a new one each call).</summary>
    public override string ToString() => Encoding.UTF8.GetString(Utf8);
}
