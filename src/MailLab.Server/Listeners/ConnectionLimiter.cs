using System.Net;

namespace MailLab.Server.Listeners;

/// <summary>Counts open connections, in all and per client address, against the lab's limits.</summary>
public sealed class ConnectionLimiter
{
    private readonly Dictionary<IPAddress, int> perClient = [];
    private readonly Lock gate = new();
    private readonly int maxTotal;
    private readonly int maxPerClient;
    private int total;

    /// <summary>Creates a limiter with the two limits.</summary>
    public ConnectionLimiter(int maxTotal, int maxPerClient)
    {
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /// <summary>Open connections now.</summary>
    public int Total
    {
        get { lock (gate) { return total; } }
    }

    /// <summary>Takes a slot for <paramref name="client"/>; null if granted, else which limit was hit.</summary>
    public string? TryAcquire(IPAddress client)
    {
        lock (gate)
        {
            if (total >= maxTotal) return $"too many connections ({maxTotal})";
            perClient.TryGetValue(client, out var n);
            if (n >= maxPerClient) return $"too many connections from {client} ({maxPerClient})";
            perClient[client] = n + 1;
            total++;
            return null;
        }
    }

    /// <summary>Gives back a slot taken with <see cref="TryAcquire"/>.</summary>
    public void Release(IPAddress client)
    {
        lock (gate)
        {
            total--;
            if (perClient.TryGetValue(client, out var n) && n > 1) perClient[client] = n - 1;
            else perClient.Remove(client);
        }
    }
}
