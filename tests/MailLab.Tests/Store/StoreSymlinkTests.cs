using System.Text;
using MailLab.Server.Imap;
using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

/// <summary>
/// The store's small state files (<c>maillab-uids</c>, <c>maillab-listing</c>, <c>maillab-keywords</c>) are written
/// through a temp file beside them. A symlink planted at that temp name must not make the lab write through it:
/// the file outside the store stays untouched and the store keeps working.
/// </summary>
public class StoreSymlinkTests
{
    private const string Alice = "alice@uc.test";
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly byte[] Victim = Encoding.ASCII.GetBytes("outside the store, must stay as it is\n");

    [Fact]
    public async Task Symlinks_planted_at_the_temp_names_are_replaced_and_their_targets_left_alone()
    {
        using var dir = new StoreTestDirectory();
        var first = dir.NewStore();
        var delivered = new[]
        {
            await DeliverAsync(first, Alice, "INBOX", Message("one")),
            await DeliverAsync(first, Alice, "INBOX", Message("two")),
        };
        var folder = first.MailboxPath(Alice, "INBOX");
        var outside = Path.Combine(dir.Root, "..", "maillab-victim-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(outside, Victim);
        try
        {
            foreach (var name in new[] { FolderListing.FileName, UidState.FileName })
            {
                File.CreateSymbolicLink(Path.Combine(folder, name + ".tmp"), outside);
            }
            // A restart with a UID block of 1: the load rewrites the listing, every delivery the UID state.
            var second = dir.NewStore(1);
            Assert.Equal(delivered, await second.ListAsync(Alice, "INBOX", None));
            var third = await DeliverAsync(second, Alice, "INBOX", Message("three"));

            Assert.Equal(Victim, await File.ReadAllBytesAsync(outside));
            foreach (var name in new[] { FolderListing.FileName, UidState.FileName })
            {
                Assert.False(File.Exists(Path.Combine(folder, name + ".tmp")), name + ".tmp left behind");
                Assert.Null(new FileInfo(Path.Combine(folder, name)).LinkTarget);
            }
            Assert.NotNull(FolderListing.Read(folder));
            Assert.Equal(third.Uid + 1, UidState.Read(folder)!.Value.Reserved);
            Assert.Equal([.. delivered, third], await dir.NewStore().ListAsync(Alice, "INBOX", None));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public void A_dangling_symlink_at_the_temp_name_creates_nothing_at_its_target()
    {
        using var dir = new StoreTestDirectory();
        var path = Path.Combine(dir.Root, "state");
        var outside = Path.Combine(dir.Root, "elsewhere", "created-through-the-link");
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        File.CreateSymbolicLink(path + ".tmp", outside);

        DurableFile.WriteAllTextAtomic(path, "new\n");

        Assert.False(File.Exists(outside));
        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task A_symlink_at_the_final_name_is_replaced_not_written_through()
    {
        using var dir = new StoreTestDirectory();
        var path = Path.Combine(dir.Root, "state");
        var outside = Path.Combine(dir.Root, "victim");
        await File.WriteAllBytesAsync(outside, Victim);
        File.CreateSymbolicLink(path, outside);

        DurableFile.WriteAllTextAtomic(path, "new\n");

        Assert.Equal(Victim, await File.ReadAllBytesAsync(outside));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("new\n", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_symlink_at_the_subscriptions_temp_name_is_not_written_through()
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        await DeliverAsync(store, Alice, "INBOX", Message("one")); // creates the user's directory
        var outside = Path.Combine(dir.Root, "victim");
        await File.WriteAllBytesAsync(outside, Victim);
        File.CreateSymbolicLink(Path.Combine(store.UserDirectory(Alice), ".subscriptions.tmp"), outside);

        Assert.True(await ImapSubscriptions.SetAsync(store, Alice, "INBOX", subscribed: true, None));

        Assert.Equal(Victim, await File.ReadAllBytesAsync(outside));
        Assert.Equal(["INBOX"], await ImapSubscriptions.ReadAsync(store, Alice, None));
    }
}
