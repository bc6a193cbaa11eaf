using System.IO.Hashing;
using System.Text;
using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

/// <summary>
/// File names read from the on-disk listing are kept as its UTF-8 bytes and made into strings on first use: such a
/// message is the same value as one named by a string, and a listing whose names are not UTF-8 is not used.
/// </summary>
public class ListedNameTests
{
    private const string Alice = "alice@uc.test";
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Date = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static StoredMessage Named(string name) => new("a@x.test", "INBOX", 7, 3, 100, MessageFlags.Seen, Date, name, "/m/cur");

    private static StoredMessage Listed(string name) =>
        new("a@x.test", "INBOX", 7, 3, 100, MessageFlags.Seen, Date, new ListingNames(0).Add(Encoding.UTF8.GetBytes(name)), "/m/cur");

    [Theory]
    [InlineData("1700000000.M1P2Q3.host,U=3,S=100:2,S")]
    [InlineData("1700000000.M1é.höst,U=3,S=100:2,S")]
    public void A_listed_name_is_the_same_value_as_a_string_name(string name)
    {
        var listed = Listed(name);
        var named = Named(name);

        Assert.Equal(named.GetHashCode(), listed.GetHashCode()); // first: the hash code makes the name
        Assert.Equal(named, Listed(name));
        Assert.Equal(Listed(name), named);
        Assert.Equal(name, listed.FileName);
        Assert.Same(listed.FileName, listed.FileName); // made once
        Assert.NotEqual(Named(name + "F"), listed);
        Assert.NotEqual(listed with { Uid = 4 }, named);
    }

    [Fact]
    public void A_new_name_given_with_with_replaces_the_listed_one()
    {
        var listed = Listed("1700000000.M1P2Q3.host,U=3,S=100");
        var renamed = listed with { FileName = "1700000000.M1P2Q3.host,U=3,S=100:2,F", Flags = MessageFlags.Flagged };

        Assert.Equal("1700000000.M1P2Q3.host,U=3,S=100:2,F", renamed.FileName);
        Assert.Equal("1700000000.M1P2Q3.host,U=3,S=100", listed.FileName);
        Assert.Equal(Path.Combine("/m/cur", "1700000000.M1P2Q3.host,U=3,S=100:2,F"), renamed.Path);
    }

    [Theory]
    [InlineData(0, 100)]           // a small listing: one chunk of the 4 KiB floor, then more
    [InlineData(3 << 20, 30_000)]  // about 3 MB of names: several 1 MiB chunks, names never split between two
    public void Names_kept_across_chunks_come_back_byte_for_byte(long hint, int count)
    {
        var names = new ListingNames(hint);
        var kept = Enumerable.Range(0, count)
            .Select(i => (Name: $"{1_700_000_000 + i}.M{i}{new string('q', i % 97)}.host,U={i + 1},S={i}:2,S", Ref: default(ListedName)))
            .ToArray();
        for (var i = 0; i < kept.Length; i++)
        {
            kept[i].Ref = names.Add(Encoding.UTF8.GetBytes(kept[i].Name));
        }

        Assert.All(kept, k => Assert.Equal(k.Name, k.Ref.ToString()));
        Assert.True(kept[^1].Ref.At >> 20 >= (hint == 0 ? 1 : 2), "the names fill more than one chunk");
    }

    [Fact]
    public async Task A_listing_with_a_name_that_is_not_utf8_is_not_used_even_with_a_right_checksum()
    {
        var dir = new StoreTestDirectory();
        using var _ = dir;
        var first = dir.NewStore();
        var messages = new[] { await DeliverAsync(first, Alice, "INBOX", Message("one")), await DeliverAsync(first, Alice, "INBOX", Message("two")) };
        var folder = first.MailboxPath(Alice, "INBOX");
        Backdate(folder);
        Assert.Equal(messages, await dir.NewStore().ListAsync(Alice, "INBOX", None));
        var path = Path.Combine(folder, FolderListing.FileName);
        var lines = (await File.ReadAllBytesAsync(path)).AsSpan();
        var body = lines[..lines.LastIndexOf("end "u8)].ToArray();
        var at = body.AsSpan().IndexOf(Encoding.ASCII.GetBytes(messages[1].FileName));
        Assert.True(at > 0);
        body[at + 3] = 0xff; // in the unique part: the line still parses
        await File.WriteAllBytesAsync(path, [.. body, .. Encoding.ASCII.GetBytes($"end {XxHash3.HashToUInt64(body):x16}\n")]);
        Backdate(folder);

        Assert.Null(FolderListing.Read(folder));
        var after = dir.NewStore();
        Assert.Equal(messages, await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Rebuilt, after.LastLoad(Alice, "INBOX"));
    }

    [Fact]
    public async Task A_listing_of_the_first_format_is_rebuilt_in_the_current_one()
    {
        var dir = new StoreTestDirectory();
        using var _ = dir;
        var first = dir.NewStore();
        var message = await DeliverAsync(first, Alice, "INBOX", Message("one"));
        var folder = first.MailboxPath(Alice, "INBOX");
        Backdate(folder);
        Assert.Equal([message], await dir.NewStore().ListAsync(Alice, "INBOX", None));
        var path = Path.Combine(folder, FolderListing.FileName);
        var text = await File.ReadAllTextAsync(path);
        Assert.StartsWith("maillab-listing 2 ", text);
        // As MailLab before this format wrote it (an FNV-1a checksum, here not even checked: the header already differs).
        await File.WriteAllTextAsync(path, "maillab-listing 1 " + text["maillab-listing 2 ".Length..]);
        Backdate(folder);

        var after = dir.NewStore();
        Assert.Equal([message], await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Rebuilt, after.LastLoad(Alice, "INBOX"));
        Assert.StartsWith("maillab-listing 2 ", await File.ReadAllTextAsync(path));
        Assert.NotNull(FolderListing.Read(folder));
    }

    [Fact]
    public async Task A_stale_load_keeps_the_unchanged_names_as_bytes_and_writes_them_back_as_they_were()
    {
        var dir = new StoreTestDirectory();
        using var _ = dir;
        var first = dir.NewStore();
        var messages = new List<StoredMessage>();
        foreach (var subject in new[] { "one", "two", "three" })
        {
            messages.Add(await DeliverAsync(first, Alice, "INBOX", Message(subject)));
        }
        var folder = first.MailboxPath(Alice, "INBOX");
        Backdate(folder);
        Assert.Equal(messages, await dir.NewStore().ListAsync(Alice, "INBOX", None)); // writes the listing
        File.Delete(messages[1].Path); // the directory changes: the listing is stale
        Backdate(folder); // (dated back as if changed before; a directory changed within a second is never trusted)

        var stale = dir.NewStore();
        var merged = await stale.ListAsync(Alice, "INBOX", None);
        Assert.Equal(ListingSource.Merged, stale.LastLoad(Alice, "INBOX"));
        Assert.All(merged, m => Assert.NotNull(m.Listed.Names)); // compared and rewritten without a string
        Assert.Equal([messages[0], messages[2]], merged); // (this comparison makes the strings)

        var after = dir.NewStore();
        Assert.Equal(merged, await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Listing, after.LastLoad(Alice, "INBOX"));
    }

    [Fact]
    public void A_name_with_a_lone_surrogate_is_never_written_to_a_listing()
    {
        var dir = new StoreTestDirectory();
        using var _ = dir;
        Directory.CreateDirectory(dir.Root);
        var entry = new FolderListing.Entry(true, Date.UtcTicks, 1, 100, MessageFlags.None, 0, "1700000000.M1\ud800.host,U=1,S=100");

        Assert.False(FolderListing.Write(dir.Root, new FolderListing.Contents(7, 1, 1, 1, [entry])));
        Assert.False(File.Exists(Path.Combine(dir.Root, FolderListing.FileName)));
        Assert.True(FolderListing.Write(dir.Root, new FolderListing.Contents(7, 1, 1, 1, [entry with { FileName = "1700000000.M1é.host,U=1,S=100" }])));
        Assert.Equal("1700000000.M1é.host,U=1,S=100", Assert.Single(FolderListing.Read(dir.Root)!.Entries).FileName);
    }
}
