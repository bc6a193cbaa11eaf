using MailLab.Server.Store;

namespace MailLab.Server.Pop3;

/// <summary>One message of the snapshot: its POP3 number, what the store holds, and the session's marks.</summary>
internal sealed class MaildropEntry(int number, StoredMessage message)
{
    /// <summary>RFC 1939 §5: the message number, fixed for the session.</summary>
    public int Number { get; } = number;

    /// <summary>The stored message (its UniqueId is the UIDL).</summary>
    public StoredMessage Message { get; } = message;

    /// <summary>Marked by DELE; removed only in the UPDATE state.</summary>
    public bool Deleted { get; set; }

    /// <summary>Sent by RETR in this session (marked \Seen at UPDATE).</summary>
    public bool Retrieved { get; set; }
}

/// <summary>
/// The maildrop as the session sees it: a snapshot of INBOX taken at login (RFC 1939 §5: numbers
/// do not change during the session, so mail arriving later is not shown), with the deletion marks.
/// No I/O: the session reads and writes the store.
/// </summary>
internal sealed class Maildrop
{
    private readonly List<MaildropEntry> entries;

    /// <summary>A snapshot of <paramref name="messages"/> in UID order, numbered from 1.</summary>
    public Maildrop(IEnumerable<StoredMessage> messages)
    {
        entries = [.. messages.OrderBy(m => m.Uid).Select((m, i) => new MaildropEntry(i + 1, m))];
    }

    /// <summary>Messages not marked deleted.</summary>
    public IEnumerable<MaildropEntry> Visible => entries.Where(e => !e.Deleted);

    /// <summary>Every entry, deleted or not.</summary>
    public IReadOnlyList<MaildropEntry> All => entries;

    /// <summary>RFC 1939 §5 STAT: count and octets, deleted messages excluded.</summary>
    public (int Count, long Octets) Stat() => (Visible.Count(), Visible.Sum(e => e.Message.Size));

    /// <summary>The message with this number unless it does not exist or is marked deleted.</summary>
    public MaildropEntry? Find(int number) =>
        number >= 1 && number <= entries.Count && !entries[number - 1].Deleted ? entries[number - 1] : null;

    /// <summary>Why <see cref="Find"/> gave null, for the -ERR text.</summary>
    public string Missing(int number) =>
        number >= 1 && number <= entries.Count ? $"message {number} already deleted" : "no such message";

    /// <summary>RFC 1939 §5 RSET: unmark every deletion; returns how many were unmarked.</summary>
    public int Reset()
    {
        int n = 0;
        foreach (var e in entries.Where(e => e.Deleted))
        {
            e.Deleted = false;
            n++;
        }
        return n;
    }
}
