using System.Text;
using MailLab.Server.Store;

namespace MailLab.Tests.Store;

/// <summary>A fresh temporary store root, deleted after the test.</summary>
internal sealed class StoreTestDirectory : IDisposable
{
    public StoreTestDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "maillab-store-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public MessageStore NewStore(uint reserveBlock = MessageStore.DefaultUidReserveBlock) => new(Root, reserveBlock);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>
    /// Dates a folder's new/ and cur/ an hour back, as for a folder not changed in the last second (the listing never
    /// trusts a directory changed within a second of its scan).
    /// </summary>
    public static void Backdate(string folder)
    {
        var hourAgo = DateTime.UtcNow.AddHours(-1);
        Directory.SetLastWriteTimeUtc(Path.Combine(folder, "new"), hourAgo);
        Directory.SetLastWriteTimeUtc(Path.Combine(folder, "cur"), hourAgo.AddMinutes(1));
    }

    public static byte[] Message(string subject, int bodyBytes = 100) =>
        Encoding.ASCII.GetBytes($"From: a@x.test\r\nTo: b@y.test\r\nSubject: {subject}\r\n\r\n" + new string('x', bodyBytes) + "\r\n");

    public static async Task<StoredMessage> DeliverAsync(MessageStore store, string address, string folder, byte[] bytes,
        MessageFlags flags = MessageFlags.None, DateTimeOffset? date = null)
    {
        await using var pending = await store.BeginAsync(address, folder, CancellationToken.None);
        await pending.Content.WriteAsync(bytes);
        return await pending.CommitAsync(flags, date);
    }

    public static async Task<byte[]> ReadAllAsync(MessageStore store, StoredMessage m)
    {
        await using var s = await store.OpenReadAsync(m, CancellationToken.None) ?? throw new FileNotFoundException(m.FileName);
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }
}
