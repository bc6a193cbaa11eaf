using System.Text;
using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

/// <summary>
/// The listing of a big folder: read through a fixed buffer (lines cross its boundaries), written as bytes, and on a
/// stale load merged by UID with the directories (known files keep their listed date and are not re-read).
/// The files are made by hand, as a Maildir copied in, with their directories dated an hour back.
/// </summary>
public class FolderListingStreamTests
{
    private const string Alice = "alice@uc.test";
    private const int Count = 3000; // about 200 KB of listing: several refills of the 64 KB read buffer
    private static readonly CancellationToken None = CancellationToken.None;

    private static (StoreTestDirectory Dir, string Folder) Folder()
    {
        var dir = new StoreTestDirectory();
        var folder = dir.NewStore().MailboxPath(Alice, "INBOX");
        foreach (var sub in new[] { "cur", "new", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }
        File.WriteAllText(Path.Combine(folder, UidState.FileName), $"uidvalidity 1700000000\nreserved {Count + 1}\n");
        for (var i = 1; i <= Count; i++)
        {
            // A non-ASCII unique part now and then: the listing holds its UTF-8 bytes and a load keeps them as they are.
            var unique = i % 500 == 0 ? $"{1_700_000_000 + i}.M{i}é.host" : $"{1_700_000_000 + i}.M{i}P1Q{i}.host";
            var name = i % 3 == 0 ? $"{unique},U={i},S=5" : $"{unique},U={i},S=5:2,S";
            var path = Path.Combine(folder, i % 3 == 0 ? "new" : "cur", name);
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes("x\r\n\r\n"));
            File.SetLastWriteTimeUtc(path, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i));
        }
        Backdate(folder);
        return (dir, folder);
    }

    [Fact]
    public async Task A_listing_bigger_than_the_read_buffer_is_used_whole_and_gives_the_same_messages()
    {
        var (dir, folder) = Folder();
        using var _ = dir;
        var first = dir.NewStore();
        var scanned = await first.ListAsync(Alice, "INBOX", None);
        Assert.Equal(ListingSource.Rebuilt, first.LastLoad(Alice, "INBOX"));
        Assert.Equal(Count, scanned.Count);
        Assert.True(new FileInfo(Path.Combine(folder, FolderListing.FileName)).Length > 2 * 64 * 1024);

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Listing, after.LastLoad(Alice, "INBOX"));
        Assert.Equal(scanned, listed); // every field: name (the non-ASCII ones too), directory, date, flags
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 7, 0, TimeSpan.Zero), listed[6].InternalDate);
        Assert.Equal("1700001000.M1000é.host,U=1000,S=5:2,S", listed[999].FileName);
    }

    [Theory]
    [InlineData("after-end")]
    [InlineData("no-end")]
    [InlineData("long-line")]
    public async Task A_big_listing_damaged_at_its_end_or_with_an_overlong_line_is_not_used(string damage)
    {
        var (dir, folder) = Folder();
        using var _ = dir;
        var scanned = await dir.NewStore().ListAsync(Alice, "INBOX", None);
        var path = Path.Combine(folder, FolderListing.FileName);
        var text = await File.ReadAllTextAsync(path);
        var endAt = text.LastIndexOf("end ", StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, damage switch
        {
            "after-end" => text + "c 1 1 1 0 0 extra\n",
            "no-end" => text[..endAt],
            _ => text[..endAt] + "c 1 1 1 0 0 " + new string('y', 70_000) + "\n" + text[endAt..],
        });
        Assert.Null(FolderListing.Read(folder));
        Backdate(folder);

        var after = dir.NewStore();
        Assert.Equal(scanned, await after.ListAsync(Alice, "INBOX", None));
        Assert.Equal(ListingSource.Rebuilt, after.LastLoad(Alice, "INBOX"));
    }

    [Fact]
    public async Task A_stale_listing_keeps_the_listed_date_of_known_files_and_sees_the_changed_ones()
    {
        var (dir, folder) = Folder();
        using var _ = dir;
        var scanned = await dir.NewStore().ListAsync(Alice, "INBOX", None);
        // A known file whose mtime moved without a directory change: the listing's date is kept (no stat).
        File.SetLastWriteTimeUtc(scanned[10].Path, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        // A file renamed by hand (new flags), one deleted, one dropped in: the directories change, the listing is stale.
        var renamed = scanned[2]; // UID 3, in new/
        File.Move(renamed.Path, Path.Combine(folder, "cur", renamed.FileName + ":2,F"));
        File.Delete(scanned[20].Path);
        var dropped = Path.Combine(folder, "new", "1800000000.hand.host");
        File.WriteAllText(dropped, "y\r\n\r\n");

        var after = dir.NewStore();
        var listed = await after.ListAsync(Alice, "INBOX", None);

        Assert.Equal(ListingSource.Merged, after.LastLoad(Alice, "INBOX"));
        Assert.Equal(Count, listed.Count); // one deleted, one adopted
        Assert.Equal(scanned[10], listed[10]);
        Assert.Equal(MessageFlags.Flagged, listed[2].Flags);
        Assert.Equal(renamed.InternalDate, listed[2].InternalDate);
        Assert.False(listed[2].IsNew);
        Assert.DoesNotContain(listed, m => m.Uid == scanned[20].Uid);
        Assert.Equal((uint)Count + 1, listed[^1].Uid);
        Assert.Equal([.. scanned.Where(m => m.Uid is not (3 or 21))], listed.Where(m => m.Uid is not 3 && m.Uid <= Count));
    }
}
