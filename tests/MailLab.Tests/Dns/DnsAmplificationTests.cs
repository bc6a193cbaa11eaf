using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DnsClient;
using DnsClient.Protocol;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

using static MailLab.Tests.Dns.DnsServerTests;
using static MailLab.Tests.Dns.RawDns;

namespace MailLab.Tests.Dns;

/// <summary>Issue 20 item 18: ANY is answered per RFC 8482 and UDP answers are rate-limited per client.</summary>
public class DnsAmplificationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Any_is_answered_with_one_synthesized_hinfo_as_rfc_8482_says(bool tcp)
    {
        await using var dns = DnsTestServer.Start();
        var r = await Client(dns.EndPoint, tcp).QueryAsync("uc.test", QueryType.ANY);
        Assert.Equal(DnsHeaderResponseCode.NoError, r.Header.ResponseCode);
        Assert.True(r.Header.HasAuthorityAnswer);
        var hinfo = Assert.IsType<HInfoRecord>(Assert.Single(r.Answers));
        Assert.Equal(("uc.test.", "RFC8482", ""), (hinfo.DomainName.Value, hinfo.Cpu, hinfo.OS));
        var answer = await dns.WaitFor(e => e.Kind == TraceKind.DnsAnswer && (string?)e.Fields["Type"] == "ANY");
        Assert.Equal(["uc.test. 3600 IN HINFO \"RFC8482\" \"\""], (IEnumerable<string>)answer.Fields["Answers"]!);
        // A missing name is still NXDOMAIN, and names outside the lab are still refused.
        Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, (await Client(dns.EndPoint, tcp).QueryAsync("ghost.uc.test", QueryType.ANY)).Header.ResponseCode);
        Assert.Equal(DnsHeaderResponseCode.Refused, (await Client(dns.EndPoint, tcp).QueryAsync("example.com", QueryType.ANY)).Header.ResponseCode);
    }


    [Fact]
    public async Task The_labs_own_resolver_is_never_rate_limited()
    {
        // Before the fix the lab DNS dropped the lab MTA's own lookups over the rate: each drop stalled a
        // message for the resolver's 2 s timeout (bench/smtp: sessions of 8 ms, one in 30 waiting 2 s).
        const int rate = 5, burst = 60;
        await using var dns = DnsTestServer.Start(rateLimit: rate);
        var resolver = new LabResolver(dns.EndPoint, TimeSpan.FromSeconds(2), source: IPAddress.Parse("127.0.0.3"), labResolver: true);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < burst; i++)
        {
            var answer = await resolver.TxtAsync($"n{i}.uc.test"); // distinct names: nothing comes from the cache
            Assert.False(answer.IsTempError, answer.TempError);
        }
        Assert.Empty(dns.Events(TraceKind.DnsRateLimited));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"{burst} lookups took {watch.Elapsed}: some waited for a timeout");
        Assert.Equal(burst, dns.Events(TraceKind.DnsQuery).Count(e => e.Origin == LabOrigin.Resolver));
    }

    [Fact]
    public async Task A_udp_burst_over_the_rate_limit_is_dropped_and_slipped_while_another_client_is_answered()
    {
        const int rate = 5, burst = 100;
        await using var dns = DnsTestServer.Start(rateLimit: rate);
        using var flood = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flood.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < burst; i++)
        {
            await flood.SendToAsync(Query((ushort)i, "uc.test", DnsType.TXT), dns.EndPoint);
        }
        double lastFull = 0; // every full answer was decided before it arrived, so within this time of the start
        int full = 0, slipped = 0;
        var buffer = new byte[1500];
        while (true)
        {
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                var got = await flood.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), quiet.Token);
                bool tc = (buffer[2] & 0x02) != 0;
                if (tc)
                {
                    slipped++;
                    Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(6))); // a slip carries no records
                }
                else
                {
                    full++;
                    lastFull = watch.Elapsed.TotalSeconds;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        // The bucket holds one second of responses and refills at the rate while the server works through the burst.
        int allowed = rate + (int)Math.Ceiling(rate * lastFull);
        Assert.True(full <= allowed, $"{full} full answers to {burst} queries, the last {lastFull:F2} s after the start, at {rate}/s");
        Assert.True(slipped >= 1, "no TC slip among the dropped responses");
        Assert.True(full + slipped < burst, "nothing was dropped");

        // Another client is answered meanwhile.
        var other = await Client(dns.EndPoint).QueryAsync("uc.test", QueryType.TXT);
        Assert.NotEmpty(other.Answers.TxtRecords());

        // The trace says it once per window, not once per query.
        var limited = await dns.WaitFor(e => e.Kind == TraceKind.DnsRateLimited);
        Assert.Equal(("127.0.0.2", rate), (limited.Fields["Client"], limited.Fields["Limit"]));
        Assert.True(Convert.ToInt32(limited.Fields["Dropped"]) + Convert.ToInt32(limited.Fields["Slipped"]) >= 1);
        Assert.True(dns.Events(TraceKind.DnsRateLimited).Count <= 2);
        Assert.True(dns.Events(TraceKind.DnsQuery).Count(e => (string?)e.Fields["Client"] == "127.0.0.2") <= full);
    }
}
