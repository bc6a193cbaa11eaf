using System.Net;

namespace MailLab.Server.Listeners;

/// <summary>
/// Counts open connections against the lab's limits: <c>max-connections-per-client</c> per listener
/// (one client address on one listener), <c>max-connections</c> for the whole lab. The lab makes one
/// root limiter and gives each listener its own <see cref="ForListener"/>, so idle connections to a
/// site's MSA or POP3 cannot use up the address's slots at its MTA (issue 20). Connections of the lab's
/// own relay (<see cref="Sites.LabRelayConnections"/>) are counted but never refused: see docs/architecture.md.
/// </summary>
internal sealed class ConnectionLimiter
{
    private readonly Dictionary<IPAddress, int> perClient = [];
    private readonly Lock gate = new();
    private readonly Counter total;
    private readonly int maxPerClient;

    /// <summary>Creates a limiter with the lab-wide total and the per-client limit its listeners use.</summary>
    public ConnectionLimiter(int maxTotal, int maxPerClient) : this(new Counter(maxTotal), maxPerClient)
    {
    }

    private ConnectionLimiter(Counter total, int maxPerClient)
    {
        this.total = total;
        this.maxPerClient = maxPerClient;
    }

    /// <summary>Open connections now, in the whole lab.</summary>
    public int Total
    {
        get { lock (total.Gate) { return total.Count; } }
    }

    /// <summary>A limiter for one listener: its own per-client counts, the lab's total shared.</summary>
    public ConnectionLimiter ForListener() => new(total, maxPerClient);

    /// <summary>
    /// Takes a slot for <paramref name="client"/>; null if granted, else which limit was hit. A connection
    /// of the lab's own relay (<paramref name="labRelay"/>) is counted in the total and always granted.
    /// </summary>
    public string? TryAcquire(IPAddress client, bool labRelay = false)
    {
        lock (total.Gate)
        {
            if (labRelay)
            {
                total.Count++;
                return null;
            }
            if (total.Count >= total.Max) return $"too many connections ({total.Max})";
            lock (gate)
            {
                perClient.TryGetValue(client, out var n);
                if (n >= maxPerClient) return $"too many connections from {client} ({maxPerClient})";
                perClient[client] = n + 1;
            }
            total.Count++;
            return null;
        }
    }

    /// <summary>Gives back a slot taken with <see cref="TryAcquire"/> (with the same <paramref name="labRelay"/>).</summary>
    public void Release(IPAddress client, bool labRelay = false)
    {
        lock (total.Gate)
        {
            total.Count--;
            if (labRelay) return;
            lock (gate)
            {
                if (perClient.TryGetValue(client, out var n) && n > 1) perClient[client] = n - 1;
                else perClient.Remove(client);
            }
        }
    }

    private sealed class Counter(int max)
    {
        public readonly Lock Gate = new();
        public readonly int Max = max;
        public int Count;
    }
}
