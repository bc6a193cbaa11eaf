using MailLab.Protocols.Imap;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// A session's view of its selected mailbox (RFC 3501 §2.3.1.2): the messages in sequence-number
/// order as this client last heard of them, the folder's keywords, and which messages are \Recent to
/// this session. The store tells it when the folder changed; the session then announces the difference
/// (EXISTS, RECENT, EXPUNGE, FETCH FLAGS) when the protocol allows it. The listing is the store's shared
/// snapshot until this session changes it (copy on write), so many sessions on one big folder share one.
/// </summary>
internal sealed class MailboxView : IDisposable
{
    private readonly IDisposable watch;
    private readonly SemaphoreSlim signal = new(0, 1);
    // \Recent UID ranges [From, To) this session claimed (RFC 3501 §2.3.2); usually one or two.
    private readonly List<(uint From, uint To)> recent = [];
    private IReadOnlyList<StoredMessage> messages;
    private List<StoredMessage>? own;
    private int dirty;

    public MailboxView(MessageStore store, string address, string folder, bool readOnly, FolderSnapshot snapshot)
    {
        Folder = folder;
        ReadOnly = readOnly;
        UidValidity = snapshot.UidValidity;
        messages = snapshot.Messages;
        Keywords = snapshot.Keywords;
        watch = store.Watch(address, folder, Changed);
    }

    public string Folder { get; }

    public bool ReadOnly { get; }

    public uint UidValidity { get; }

    /// <summary>Index i holds message sequence number i + 1. Change it only through the methods below.</summary>
    public IReadOnlyList<StoredMessage> Messages => messages;

    /// <summary>The folder's keyword names as this session last sent them in FLAGS.</summary>
    public IReadOnlyList<string> Keywords { get; set; }

    /// <summary>True when the folder can still take a new keyword (PERMANENTFLAGS <c>\*</c>).</summary>
    public bool CanAddKeywords => Keywords.Count < MaildirInfo.MaxKeywords;

    /// <summary>Takes a new listing (shared; not modified here).</summary>
    public void SetMessages(IReadOnlyList<StoredMessage> list)
    {
        messages = list;
        own = null;
    }

    /// <summary>Replaces message <paramref name="index"/> (new flags) in this session's copy.</summary>
    public void Replace(int index, StoredMessage message) => Own()[index] = message;

    /// <summary>Drops message <paramref name="index"/> (expunged) from this session's copy.</summary>
    public void RemoveAt(int index) => Own().RemoveAt(index);

    private List<StoredMessage> Own()
    {
        if (own is null)
        {
            own = [.. messages];
            messages = own;
        }
        return own;
    }

    /// <summary>Marks UIDs from <paramref name="from"/> up to (not including) <paramref name="to"/> as \Recent here.</summary>
    public void ClaimRecent(uint from, uint to)
    {
        if (from < to)
        {
            recent.Add((from, to));
        }
    }

    /// <summary>True when this session announced the message as \Recent.</summary>
    public bool IsRecent(uint uid)
    {
        foreach (var (from, to) in recent)
        {
            if (uid >= from && uid < to) return true;
        }
        return false;
    }

    /// <summary>How many messages of the view are \Recent here (the RECENT response, RFC 3501 §7.3.2).</summary>
    public int RecentCount()
    {
        var n = 0;
        foreach (var (from, to) in recent)
        {
            n += FolderSnapshot.LowerBound(messages, to) - FolderSnapshot.LowerBound(messages, from);
        }
        return n;
    }

    /// <summary>True when the folder changed since the last <see cref="TakeChanged"/>.</summary>
    public bool IsDirty => Volatile.Read(ref dirty) == 1;

    /// <summary>Clears and returns the changed mark.</summary>
    public bool TakeChanged() => Interlocked.Exchange(ref dirty, 0) == 1;

    /// <summary>Marks the view as needing another look (messages expunged elsewhere not yet announced).</summary>
    public void MarkChanged() => Volatile.Write(ref dirty, 1);

    /// <summary>Completes when the folder changes (IDLE waits on it).</summary>
    public Task WaitChangedAsync(CancellationToken ct) => signal.WaitAsync(ct);

    private void Changed()
    {
        Volatile.Write(ref dirty, 1);
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    private int LowerBound(uint uid) => FolderSnapshot.LowerBound(messages, uid);

    /// <summary>The indexes a sequence set names, ascending and without repeats; numbers beyond the mailbox are ignored.</summary>
    public List<int> Resolve(SequenceSet set, bool byUid)
    {
        var result = new List<int>();
        if (Messages.Count == 0)
        {
            return result;
        }
        if (byUid)
        {
            foreach (var (low, high) in set.Resolve(Messages[^1].Uid))
            {
                for (var i = LowerBound(low); i < Messages.Count && Messages[i].Uid <= high; i++)
                {
                    result.Add(i);
                }
            }
            return result;
        }
        foreach (var (low, high) in set.Resolve((uint)Messages.Count))
        {
            for (var n = low; n <= Math.Min(high, (uint)Messages.Count); n++)
            {
                result.Add((int)n - 1);
            }
        }
        return result;
    }

    /// <summary>
    /// True unless the set names a message number past the end (RFC 3501 §9 seq-number: BAD); a range
    /// ending in <c>*</c> is always valid (<c>1:*</c> in an empty mailbox names nothing).
    /// </summary>
    public bool AllInRange(SequenceSet set)
    {
        return !set.NamesBeyond((uint)Messages.Count);
    }

    public void Dispose()
    {
        watch.Dispose();
        signal.Dispose();
    }
}
