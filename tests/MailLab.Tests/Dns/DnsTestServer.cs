using System.Net;
using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dns;

/// <summary>A lab DNS on 127.0.9.1 with a free port, over a temp zone directory holding the default zones plus extras.</summary>
public sealed class DnsTestServer : IAsyncDisposable
{
    public const string Extra = """
        $TTL 1h
        @        SOA ns.extra.test. hm.extra.test. 1 1h 15m 1w 5m
        @        NS  ns.uc.test.
        nomx     A   127.0.4.1
        nomx     AAAA ::1
        nullmx   MX  0 .
        two      MX  20 backup
        two      MX  10 primary
        primary  A   127.0.4.2
        backup   A   127.0.4.3
        alias    CNAME primary
        viacname MX  10 alias
        """;

    private DnsTestServer(string dir, Tracer tracer, ZoneStore zones, LabDnsServer server)
    {
        Directory = dir;
        Tracer = tracer;
        Zones = zones;
        Server = server;
    }

    public string Directory { get; }
    public Tracer Tracer { get; }
    internal ZoneStore Zones { get; }
    internal ZoneSigner? Signer => Zones.Signer;
    public LabDnsServer Server { get; }
    public IPEndPoint EndPoint => Server.EndPoint;

    internal static DnsTestServer Start(string? longTxt = null, ConnectionLimiter? limiter = null, int rateLimit = LabDns.DefaultRateLimit,
        TimeSpan? tcpIdle = null, MailLab.Server.Sites.LabPeers? peers = null, byte? dnssecAlgorithm = null, string[]? unsignedZones = null)
    {
        string dir = TempDir.New("dns");
        foreach (var (name, text) in LabZones.DefaultZones())
        {
            File.WriteAllText(Path.Combine(dir, name), text);
        }
        string extra = Extra + (longTxt is null ? "" : $"\nlong TXT \"{longTxt}\"\n");
        File.WriteAllText(Path.Combine(dir, "extra.test.zone"), extra);
        var tracer = new Tracer(new TraceStream(), null, false);
        // With an algorithm the zones are signed as a lab signs them, keys in a temp directory of their own.
        var signer = dnssecAlgorithm is { } alg ? new ZoneSigner(TempDir.New("dnssec"), alg, unsignedZones ?? [], "127.0.9.1", tracer) : null;
        var zones = new ZoneStore(dir, origin => origin.Split('.')[0], tracer) { Signer = signer };
        var server = new LabDnsServer("127.0.9.1", 0, zones, tracer, limiter, rateLimit)
        {
            TcpIdleTimeout = tcpIdle ?? LabDnsServer.DefaultTcpIdleTimeout,
            Peers = peers ?? MailLab.Server.Sites.LabPeers.AllInProcess,
        };
        server.Bind();
        zones.Start();
        server.Start();
        return new DnsTestServer(dir, tracer, zones, server);
    }

    public IReadOnlyList<TraceEvent> Events(TraceKind kind) => Tracer.Stream.Query(new TraceQuery(Kind: kind));

    public async Task<TraceEvent> WaitFor(Func<TraceEvent, bool> match, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (Tracer.Stream.Query().FirstOrDefault(match) is { } e) return e;
            await Task.Delay(20);
        }
        throw new TimeoutException("no matching trace event");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Zones.DisposeAsync();
    }
}
