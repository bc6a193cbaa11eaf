namespace MailLab.Server.Store;

// Read-only views (the dashboard's Mailboxes page): they never create a folder (not even the default ones a user
// gets on first use), never claim \Recent and never change a flag, so an IMAP or POP3 session on the same folder
// sees nothing of them. Loading a folder this process has not read yet is the same first scan every reader does.
public sealed partial class MessageStore
{
    /// <summary>The folder as it is now; null when it does not exist on disk.</summary>
    internal async Task<FolderSnapshot?> PeekAsync(string address, string folder, CancellationToken ct)
    {
        if (ReadOnly) return ScanOnDisk(address, folder);
        var f = await TryLoadExistingAsync(address, folder, ct).ConfigureAwait(false);
        if (f is null)
        {
            return null;
        }
        try
        {
            return f.Snapshot();
        }
        finally
        {
            f.Gate.Release();
        }
    }

    /// <summary>
    /// The message with <paramref name="uid"/> as listed now and its file opened for reading; null when it (or its
    /// folder) does not exist. The caller disposes the stream.
    /// </summary>
    internal async Task<(StoredMessage Message, Stream Content)?> PeekMessageAsync(string address, string folder, uint uid, CancellationToken ct)
    {
        if (ReadOnly) return OpenOnDisk(address, folder, uid);
        var f = await TryLoadExistingAsync(address, folder, ct).ConfigureAwait(false);
        if (f is null)
        {
            return null;
        }
        try
        {
            // Opened under the lock, as OpenReadAsync does: a later flag change (a rename) does not disturb an open file on Unix.
            return f.TryGet(uid, out var m) && OpenFile(m.Path) is { } content ? (m, content) : null;
        }
        finally
        {
            f.Gate.Release();
        }
    }

    // The folder with its Gate held, or null when it is not on disk; never AcquireAsync, which creates a new user's folders.
    private async Task<FolderState?> TryLoadExistingAsync(string address, string folder, CancellationToken ct)
    {
        if (!FolderExists(address, folder))
        {
            return null;
        }
        try
        {
            return await LockAndLoadAsync(MailboxNames.NormalizeAddress(address), MailboxNames.NormalizeFolder(folder), create: false, ct)
                .ConfigureAwait(false);
        }
        catch (MailboxNotFoundException)
        {
            return null; // deleted between the check and the lock
        }
    }
}
