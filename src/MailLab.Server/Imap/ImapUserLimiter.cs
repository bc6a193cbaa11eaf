namespace MailLab.Server.Imap;

/// <summary>
/// Counts logged-in IMAP sessions per user, so one account cannot take every connection of the lab
/// (clients open several: Thunderbird up to five, one per IDLE folder).
/// </summary>
public sealed class ImapUserLimiter
{
    private readonly Dictionary<string, int> counts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sessions of the user now.</summary>
    public int Count(string user)
    {
        lock (counts)
        {
            return counts.GetValueOrDefault(user);
        }
    }

    /// <summary>A slot to dispose at the end of the session, or null when the user is at <paramref name="max"/>.</summary>
    public IDisposable? TryAcquire(string user, int max)
    {
        lock (counts)
        {
            var n = counts.GetValueOrDefault(user);
            if (n >= max)
            {
                return null;
            }
            counts[user] = n + 1;
        }
        return new Slot(this, user);
    }

    private void Release(string user)
    {
        lock (counts)
        {
            if (--counts[user] == 0)
            {
                counts.Remove(user);
            }
        }
    }

    private sealed class Slot(ImapUserLimiter owner, string user) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                owner.Release(user);
            }
        }
    }
}
