using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// Header blocks of messages already read, shared by all IMAP sessions of a store. A client's
/// header list (Thunderbird fetches 15 header fields of the newest messages on every sync) then
/// reads no message file the second time. A message's octets never change under its UID within
/// one UIDVALIDITY (RFC 3501 §2.3.1.1), so an entry is never stale, only unused: entries go on
/// expunge and, oldest first, when the cache passes <see cref="MaxBytes"/>.
/// </summary>
internal sealed class HeaderCache
{
    /// <summary>Bytes of header kept per store (about 16,000 typical headers).</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    private static readonly ConditionalWeakTable<MessageStore, HeaderCache> PerStore = new();

    private readonly ConcurrentDictionary<Key, byte[]> entries = new();
    private readonly ConcurrentQueue<Key> order = new();
    private long bytes;

    private readonly record struct Key(string Address, string Folder, uint UidValidity, uint Uid)
    {
        public static Key Of(StoredMessage m) => new(m.Address, m.Folder, m.UidValidity, m.Uid);
    }

    /// <summary>The cache shared by every session over <paramref name="store"/>.</summary>
    public static HeaderCache For(MessageStore store) => PerStore.GetValue(store, _ => new HeaderCache());

    /// <summary>Bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref bytes);

    /// <summary>The cached header block of <paramref name="m"/>, or null.</summary>
    public byte[]? Get(StoredMessage m) => entries.TryGetValue(Key.Of(m), out var header) ? header : null;

    /// <summary>Keeps <paramref name="header"/> for <paramref name="m"/>, evicting the oldest entries past the budget.</summary>
    public void Add(StoredMessage m, byte[] header)
    {
        if (header.Length > MaxBytes / 16)
        {
            return; // an absurd header is not worth evicting others for
        }
        var key = Key.Of(m);
        if (!entries.TryAdd(key, header))
        {
            return;
        }
        order.Enqueue(key);
        Interlocked.Add(ref bytes, header.Length);
        while (Interlocked.Read(ref bytes) > MaxBytes && order.TryDequeue(out var oldest))
        {
            Remove(oldest);
        }
    }

    /// <summary>Forgets <paramref name="m"/> (expunged).</summary>
    public void Remove(StoredMessage m) => Remove(Key.Of(m));

    private void Remove(Key key)
    {
        if (entries.TryRemove(key, out var gone))
        {
            Interlocked.Add(ref bytes, -gone.Length);
        }
    }
}
