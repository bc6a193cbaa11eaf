using System.Collections.Concurrent;

namespace MailLab.Server.Pop3;

/// <summary>
/// RFC 1939 §8: the server locks the maildrop for the session that logged in, so that a second
/// session cannot see or delete the same messages. In-process, keyed by the maildrop's directory,
/// so two labs in one process (tests) never share locks.
/// </summary>
internal static class MaildropLocks
{
    private static readonly ConcurrentDictionary<string, string> Holders = new(StringComparer.Ordinal);

    /// <summary>Takes the lock for <paramref name="maildrop"/>; null when granted, else the session holding it.</summary>
    public static string? TryAcquire(string maildrop, string session) =>
        Holders.TryAdd(maildrop, session) ? null : Holders.GetValueOrDefault(maildrop, "?");

    /// <summary>Releases a lock this session holds (a no-op for a lock held by another).</summary>
    public static void Release(string maildrop, string session) =>
        Holders.TryRemove(new KeyValuePair<string, string>(maildrop, session));

    /// <summary>Whether anyone holds the lock now.</summary>
    public static bool IsLocked(string maildrop) => Holders.ContainsKey(maildrop);
}
