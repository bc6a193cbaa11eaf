using MailLab.Server.Store;

namespace MailLab.Server.Pop3;

/// <summary>
/// The UPDATE state's deletions (RFC 1939 §6), all or nothing across a crash: the list is first
/// written durably to an intent file in the maildrop, then each message is removed, then the file.
/// A crash in between leaves the file, and the next login finishes the job before taking its snapshot,
/// so a QUIT that was answered +OK is never half undone.
/// </summary>
internal static class MaildropUpdate
{
    /// <summary>The intent file's name inside the INBOX directory (beside tmp/, new/, cur/).</summary>
    public const string IntentFile = "pop3-update";

    /// <summary>Deletes <paramref name="messages"/>; returns those that could not be removed.</summary>
    public static async Task<IReadOnlyList<StoredMessage>> ApplyAsync(MessageStore store, string maildrop, string address,
        IReadOnlyList<StoredMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0) return [];
        var intent = Path.Combine(maildrop, IntentFile);
        DurableFile.WriteAllTextAtomic(intent, string.Join("\n", messages.Select(m => m.UniqueId)) + "\n");
        var failed = new List<StoredMessage>();
        foreach (var m in messages)
        {
            try
            {
                // False: already gone (expunged by IMAP meanwhile), which is what was asked.
                await store.DeleteAsync(address, "INBOX", m.Uid, ct);
            }
            catch (IOException)
            {
                failed.Add(m);
            }
        }
        if (failed.Count == 0)
        {
            File.Delete(intent);
            DurableFile.FsyncDirectory(maildrop);
        }
        return failed;
    }

    /// <summary>Finishes an UPDATE that a crash interrupted; call with the maildrop locked. Returns how many were removed.</summary>
    public static async Task<int> RecoverAsync(MessageStore store, string maildrop, string address, CancellationToken ct)
    {
        var intent = Path.Combine(maildrop, IntentFile);
        if (!File.Exists(intent)) return 0;
        var ids = (await File.ReadAllLinesAsync(intent, ct)).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        int removed = 0;
        foreach (var m in await store.ListAsync(address, "INBOX", ct))
        {
            if (ids.Contains(m.UniqueId) && await store.DeleteAsync(address, "INBOX", m.Uid, ct))
            {
                removed++;
            }
        }
        File.Delete(intent);
        DurableFile.FsyncDirectory(maildrop);
        return removed;
    }
}
