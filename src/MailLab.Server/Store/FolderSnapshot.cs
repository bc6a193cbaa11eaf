namespace MailLab.Server.Store;

/// <summary>
/// A folder as it was at one moment, shared by every reader until the folder changes: SELECT, STATUS,
/// a session's resync and POP3's maildrop all take it without copying the listing.
/// </summary>
/// <param name="UidValidity">UIDVALIDITY (RFC 9051 §2.3.1.1).</param>
/// <param name="UidNext">The UID the next message will get at least.</param>
/// <param name="Messages">The messages in ascending UID order. Never modified; copy before changing.</param>
/// <param name="Unseen">Messages without \Seen.</param>
/// <param name="FirstUnseen">Index of the first message without \Seen, or -1.</param>
/// <param name="TotalSize">Sum of the message sizes in octets.</param>
/// <param name="Keywords">The folder's keyword names (index = bit of <see cref="StoredMessage.Keywords"/>).</param>
/// <param name="RecentFrom">Messages with a UID at or above this were not yet announced to any IMAP session (\Recent).</param>
internal sealed record FolderSnapshot(
    uint UidValidity,
    uint UidNext,
    IReadOnlyList<StoredMessage> Messages,
    int Unseen,
    int FirstUnseen,
    long TotalSize,
    IReadOnlyList<string> Keywords,
    uint RecentFrom)
{
    /// <summary>Messages with a UID at or above <see cref="RecentFrom"/> (STATUS RECENT, RFC 3501 §6.3.10).</summary>
    public int RecentCount => Messages.Count - LowerBound(Messages, RecentFrom);

    /// <summary>First index in a UID-ordered list whose UID is at least <paramref name="uid"/>.</summary>
    public static int LowerBound(IReadOnlyList<StoredMessage> messages, uint uid)
    {
        int lo = 0, hi = messages.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (messages[mid].Uid < uid) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
