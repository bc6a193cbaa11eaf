using System.Net;
using System.Net.Sockets;

namespace MailLab.Server.Dns;

/// <summary>What to do with one UDP query under response-rate limiting.</summary>
internal enum RateVerdict
{
    /// <summary>Within the rate: answer it.</summary>
    Answer,
    /// <summary>Over the rate: send nothing.</summary>
    Drop,
    /// <summary>Over the rate: send an empty answer with TC set, so a real client retries over TCP.</summary>
    Slip,
}

/// <summary>What a rate-limited client was refused since the previous report.</summary>
/// <param name="Client">The client address (IPv4) or its /64 (IPv6).</param>
/// <param name="Dropped">Responses not sent.</param>
/// <param name="Slipped">Responses sent truncated (TC) instead.</param>
/// <param name="Period">The time the counts cover (zero for the first report, when the client first went over).</param>
internal sealed record RateLimitReport(string Client, int Dropped, int Slipped, TimeSpan Period);

/// <summary>
/// Response-rate limiting for the UDP side of the lab DNS, without I/O: one token bucket per client
/// (an IPv4 address, an IPv6 /64) holding one second of responses and refilled at the rate. Over the
/// rate, responses are dropped, and every <see cref="Slip"/>-th one is "slipped": sent empty with TC
/// set, so a real client (whose address was not spoofed) retries over TCP, which is not limited as
/// its handshake proves the address. A spoofed flood then gets the victim at most the rate in
/// answers, plus slips no bigger than the queries. The same scheme as BIND's RRL, much simplified.
/// One caller at a time (the UDP receive loop).
/// </summary>
internal sealed class ResponseRateLimiter
{
    /// <summary>Clients tracked at most; beyond it idle buckets are forgotten (a spoofed flood cannot grow the table without bound).</summary>
    public const int MaxTrackedClients = 10_000;

    /// <summary>Every how many limited responses one is slipped (BIND's default "slip 2").</summary>
    public const int Slip = 2;

    /// <summary>How often a client that stays over the rate is reported in the trace.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private readonly double rate;

    /// <summary>Creates a limiter allowing <paramref name="perSecond"/> responses per second per client.</summary>
    public ResponseRateLimiter(int perSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        rate = perSecond;
        PerSecond = perSecond;
    }

    /// <summary>The rate, in responses per second per client.</summary>
    public int PerSecond { get; }

    /// <summary>Clients with a bucket now (at most <see cref="MaxTrackedClients"/>).</summary>
    public int TrackedClients => buckets.Count;

    /// <summary>
    /// Whether to answer a query from <paramref name="client"/> at <paramref name="now"/>;
    /// <paramref name="report"/> is set when a summary of what was refused is due.
    /// </summary>
    public RateVerdict Check(IPAddress client, DateTime now, out RateLimitReport? report)
    {
        report = null;
        string key = Key(client);
        if (!buckets.TryGetValue(key, out var b))
        {
            if (buckets.Count >= MaxTrackedClients) Prune(now);
            b = new Bucket { Tokens = rate, Refilled = now };
            buckets[key] = b;
        }
        double elapsed = Math.Max(0, (now - b.Refilled).TotalSeconds);
        b.Tokens = Math.Min(rate, b.Tokens + elapsed * rate);
        b.Refilled = now;
        if (b.Tokens >= 1)
        {
            b.Tokens -= 1;
            return RateVerdict.Answer;
        }
        var verdict = ++b.Limited % Slip == 0 ? RateVerdict.Slip : RateVerdict.Drop;
        if (verdict == RateVerdict.Slip) b.Slipped++;
        else b.Dropped++;
        if (b.Reported is null || now - b.Reported.Value >= ReportInterval)
        {
            report = new RateLimitReport(key, b.Dropped, b.Slipped, b.Reported is null ? TimeSpan.Zero : now - b.Reported.Value);
            (b.Dropped, b.Slipped, b.Reported) = (0, 0, now);
        }
        return verdict;
    }

    /// <summary>The bucket key: the address itself for IPv4 (and IPv4-mapped IPv6), the /64 for IPv6.</summary>
    public static string Key(IPAddress client)
    {
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        if (client.AddressFamily != AddressFamily.InterNetworkV6) return client.ToString();
        byte[] b = client.GetAddressBytes();
        Array.Clear(b, 8, 8);
        return $"{new IPAddress(b)}/64";
    }

    private void Prune(DateTime now)
    {
        // A bucket idle for a second is full again and has nothing to remember but unreported counts.
        foreach (string key in buckets.Where(kv => (now - kv.Value.Refilled).TotalSeconds >= 1).Select(kv => kv.Key).ToList())
        {
            buckets.Remove(key);
        }
        if (buckets.Count >= MaxTrackedClients) buckets.Clear();
    }

    private sealed class Bucket
    {
        public double Tokens;
        public DateTime Refilled;
        public long Limited;
        public int Dropped;
        public int Slipped;
        public DateTime? Reported;
    }
}
