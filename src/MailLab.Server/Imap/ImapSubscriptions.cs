using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// The user's subscribed mailbox names (RFC 3501 §6.3.6), one per line in <c>.subscriptions</c> in the
/// user's directory, replaced atomically. A name may stay subscribed after its folder is gone (§6.3.7).
/// </summary>
internal static class ImapSubscriptions
{
    private const string FileName = ".subscriptions";
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The subscribed names in file order.</summary>
    public static async Task<IReadOnlyList<string>> ReadAsync(MessageStore store, string address, CancellationToken ct)
    {
        var path = Path.Combine(store.UserDirectory(address), FileName);
        return File.Exists(path) ? [.. (await File.ReadAllLinesAsync(path, ct).ConfigureAwait(false)).Where(l => l.Length > 0)] : [];
    }

    /// <summary>Adds or removes a name; false when nothing changed.</summary>
    public static async Task<bool> SetAsync(MessageStore store, string address, string folder, bool subscribed, CancellationToken ct)
    {
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var names = (await ReadAsync(store, address, ct).ConfigureAwait(false)).ToList();
            var changed = subscribed ? !names.Contains(folder) : names.Remove(folder);
            if (subscribed && changed)
            {
                names.Add(folder);
            }
            if (changed)
            {
                await WriteAsync(store, address, names, ct).ConfigureAwait(false);
            }
            return changed;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// On first login: creates the default folders (INBOX and the special-use ones, RFC 6154) and
    /// subscribes them, so a client that lists only subscribed folders sees them.
    /// </summary>
    public static async Task EnsureDefaultsAsync(MessageStore store, string address, CancellationToken ct)
    {
        var path = Path.Combine(store.UserDirectory(address), FileName);
        if (File.Exists(path))
        {
            return;
        }
        await store.GetFolderInfoAsync(address, "INBOX", ct).ConfigureAwait(false); // creates the default folders
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!File.Exists(path))
            {
                await WriteAsync(store, address, MessageStore.DefaultFolders, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    // Through DurableFile: its temp file is created fresh (never through a symlink planted at the .tmp name).
    private static Task WriteAsync(MessageStore store, string address, IEnumerable<string> names, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var path = Path.Combine(store.UserDirectory(address), FileName);
        DurableFile.WriteAllTextAtomic(path, string.Concat(names.Select(n => n + "\n")));
        return Task.CompletedTask;
    }
}
