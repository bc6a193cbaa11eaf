using MailLab.Server.Imap;
using MailLab.Server.Store;
using Xunit;

namespace MailLab.Tests.Imap;

/// <summary>The header cache shared by IMAP sessions: per message identity, dropped on expunge, bounded.</summary>
public sealed class HeaderCacheTests
{
    private static StoredMessage Message(uint uid, uint uidValidity = 7, string folder = "INBOX") =>
        new("alice@uc.test", folder, uidValidity, uid, 100, MessageFlags.None, DateTimeOffset.UnixEpoch, "f", "/nowhere");

    [Fact]
    public void Keeps_a_header_per_folder_uidvalidity_and_uid()
    {
        var cache = new HeaderCache();
        var header = "Subject: hi\r\n\r\n"u8.ToArray();
        cache.Add(Message(1), header);

        Assert.Same(header, cache.Get(Message(1)));
        Assert.Null(cache.Get(Message(2)));
        Assert.Null(cache.Get(Message(1, uidValidity: 8)));
        Assert.Null(cache.Get(Message(1, folder: "Sent")));
        Assert.Equal(header.Length, cache.Bytes);
    }

    [Fact]
    public void Expunge_drops_the_entry()
    {
        var cache = new HeaderCache();
        cache.Add(Message(1), new byte[10]);
        cache.Remove(Message(1));

        Assert.Null(cache.Get(Message(1)));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Oldest_entries_go_past_the_budget()
    {
        var cache = new HeaderCache();
        var size = (int)(HeaderCache.MaxBytes / 16);
        for (uint uid = 1; uid <= 20; uid++)
        {
            cache.Add(Message(uid), new byte[size]);
        }

        Assert.True(cache.Bytes <= HeaderCache.MaxBytes);
        Assert.Null(cache.Get(Message(1)));
        Assert.NotNull(cache.Get(Message(20)));
    }
}
