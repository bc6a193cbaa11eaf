using MailLab.Server.Store;

namespace MailLab.Tests.Store;

public class MailboxNamesTests
{
    [Theory]
    [InlineData("../bob")]
    [InlineData("a/../../x")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("/etc/passwd")]
    [InlineData("INBOX/")]
    [InlineData("a//b")]
    [InlineData("a\0b")]
    [InlineData("a\r\nb")]
    [InlineData("a\\..\\b")]
    [InlineData("*")]
    [InlineData("%")]
    [InlineData("")]
    public async Task Bad_folder_names_are_refused(string folder)
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        Assert.False(MailboxNames.TryNormalizeFolder(folder, out _, out var reason));
        Assert.NotEmpty(reason);
        Assert.Throws<InvalidMailboxNameException>(() => store.MailboxPath("alice@uc.test", folder));
        await Assert.ThrowsAsync<InvalidMailboxNameException>(() => store.BeginAsync("alice@uc.test", folder, CancellationToken.None));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Root)); // nothing was created anywhere
    }

    [Theory]
    [InlineData("../bob@uc.test")]
    [InlineData("bob@../uc.test")]
    [InlineData("a/b@uc.test")]
    [InlineData("..@uc.test")]
    [InlineData(".bob@uc.test")]
    [InlineData("bob@uc.test/../../etc")]
    [InlineData("bob@")]
    [InlineData("@uc.test")]
    [InlineData("bob")]
    [InlineData("bo\0b@uc.test")]
    [InlineData("bob@[127.0.0.1]")]
    [InlineData("\"a b\"@uc.test")]
    [InlineData("bob@-uc.test")]
    public async Task Bad_addresses_are_refused(string address)
    {
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore();
        Assert.False(MailboxNames.TryNormalizeAddress(address, out _, out _));
        var ex = Assert.Throws<InvalidMailboxNameException>(() => store.MailboxPath(address, "INBOX"));
        Assert.IsAssignableFrom<ArgumentException>(ex);
        await Assert.ThrowsAsync<InvalidMailboxNameException>(() => store.ListAsync(address, "INBOX", CancellationToken.None));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Root));
    }

    [Fact]
    public void Exception_message_escapes_control_characters()
    {
        var ex = Assert.Throws<InvalidMailboxNameException>(() => MailboxNames.NormalizeFolder("a\0b"));
        Assert.DoesNotContain('\0', ex.Message);
        Assert.Contains("\\x00", ex.Message);
    }

    [Theory]
    [InlineData("Alice@UC.Test", "Alice@uc.test")]
    [InlineData("first.last+tag@Mail.Example.TEST", "first.last+tag@mail.example.test")]
    public void Address_domain_is_lower_cased_and_local_part_kept(string input, string expected)
    {
        Assert.True(MailboxNames.TryNormalizeAddress(input, out var n, out _));
        Assert.Equal(expected, n);
    }

    [Theory]
    [InlineData("inbox", "INBOX", "INBOX")]
    [InlineData("InBoX", "INBOX", "INBOX")]
    [InlineData("Sent", "Sent", "Sent")]
    [InlineData("Work/Projects", "Work/Projects", "Work.Projects")]
    [InlineData("v1.2/notes", "v1.2/notes", "v1%2E2.notes")]
    [InlineData("Brief & Post", "Brief & Post", "Brief & Post")]
    [InlineData("Entwürfe", "Entwürfe", "Entwürfe")]
    public void Folder_names_map_to_disk_names_and_back(string input, string normalized, string disk)
    {
        Assert.True(MailboxNames.TryNormalizeFolder(input, out var n, out _));
        Assert.Equal(normalized, n);
        Assert.Equal(disk, MailboxNames.ToDiskName(n));
        Assert.Equal(normalized, MailboxNames.FromDiskName(disk));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("a..b")]
    [InlineData("tmp%2Fx")]
    public void Foreign_directory_names_are_not_folders(string disk)
    {
        Assert.Null(MailboxNames.FromDiskName(disk));
    }

    [Fact]
    public void Two_users_never_share_a_directory()
    {
        var store = new MessageStore(Path.Combine(Path.GetTempPath(), "maillab-never-created"));
        var alice = store.MailboxPath("alice@uc.test", "INBOX");
        var bob = store.MailboxPath("bob@uc.test", "INBOX");
        var aliceElsewhere = store.MailboxPath("alice@bank.test", "INBOX");
        Assert.NotEqual(alice, bob);
        Assert.NotEqual(alice, aliceElsewhere);
        Assert.Equal(alice, store.MailboxPath("alice@UC.TEST", "inbox"));
    }
}
