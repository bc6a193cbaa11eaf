using MailLab.Protocols.Imap;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// A session's view of its selected mailbox (RFC 3501 §2.3.1.2): the messages in sequence-number
/// order as this client last heard of them. The store tells it when the folder changed; the session
/// then announces the difference (EXISTS, EXPUNGE, FETCH FLAGS) when the protocol allows it.
/// </summary>
internal sealed class MailboxView : IDisposable
{
    private readonly IDisposable watch;
    private readonly SemaphoreSlim signal = new(0, 1);
    private int dirty;

    public MailboxView(MessageStore store, string address, string folder, bool readOnly, uint uidValidity, List<StoredMessage> messages)
    {
        Folder = folder;
        ReadOnly = readOnly;
        UidValidity = uidValidity;
        Messages = messages;
        watch = store.Watch(address, folder, Changed);
    }

    public string Folder { get; }

    public bool ReadOnly { get; }

    public uint UidValidity { get; }

    /// <summary>Index i holds message sequence number i + 1.</summary>
    public List<StoredMessage> Messages { get; set; }

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

    /// <summary>Index of the message with this UID, or -1 (the list is in ascending UID order).</summary>
    public int IndexOfUid(uint uid)
    {
        int lo = 0, hi = Messages.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var u = Messages[mid].Uid;
            if (u == uid) return mid;
            if (u < uid) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    /// <summary>First index whose UID is at least <paramref name="uid"/>.</summary>
    private int LowerBound(uint uid)
    {
        int lo = 0, hi = Messages.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Messages[mid].Uid < uid) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

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
