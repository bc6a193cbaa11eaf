using System.Net;
using MailLab.Server.Dns;

namespace MailLab.Tests.Dns;

/// <summary>The rate limiter without sockets, on a clock the test moves.</summary>
public class ResponseRateLimiterTests
{
    private static readonly DateTime T0 = new(2026, 12, 6, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_second_of_answers_then_drop_and_slip_alternate_and_the_bucket_refills_at_the_rate()
    {
        var rrl = new ResponseRateLimiter(3);
        var a = IPAddress.Parse("127.0.0.2");
        var verdicts = Enumerable.Range(0, 7).Select(i => rrl.Check(a, T0, out _)).ToList();
        Assert.Equal([RateVerdict.Answer, RateVerdict.Answer, RateVerdict.Answer, RateVerdict.Drop, RateVerdict.Slip, RateVerdict.Drop, RateVerdict.Slip], verdicts);
        // A third of a second later one token is back, and only one.
        Assert.Equal(RateVerdict.Answer, rrl.Check(a, T0.AddSeconds(0.34), out _));
        Assert.NotEqual(RateVerdict.Answer, rrl.Check(a, T0.AddSeconds(0.34), out _));
        // Another client has its own bucket.
        Assert.Equal(RateVerdict.Answer, rrl.Check(IPAddress.Parse("127.0.0.3"), T0, out _));
    }

    [Fact]
    public void Reports_come_when_a_client_goes_over_and_then_every_five_seconds_with_the_counts()
    {
        var rrl = new ResponseRateLimiter(1);
        var a = IPAddress.Parse("10.127.5.9");
        Assert.Equal(RateVerdict.Answer, rrl.Check(a, T0, out var none));
        Assert.Null(none);
        rrl.Check(a, T0, out var first);
        Assert.Equal(new RateLimitReport("10.127.5.9", 1, 0, TimeSpan.Zero), first);
        var reports = new List<RateLimitReport>();
        // 4.9 s of 10 queries a second: 1 answered a second, the rest limited, no report yet.
        for (int i = 1; i < 50; i++)
        {
            rrl.Check(a, T0.AddSeconds(i / 10.0), out var r);
            if (r is not null) reports.Add(r);
        }
        Assert.Empty(reports);
        // The bucket may hold one token again at 5.05 s; the next query is over the rate and due for a report.
        RateLimitReport? later = null;
        for (int k = 0; k < 3 && later is null; k++) rrl.Check(a, T0.AddSeconds(5.05), out later);
        Assert.NotNull(later);
        Assert.InRange(later.Period.TotalSeconds, 5.04, 5.06);
        Assert.InRange(later.Dropped + later.Slipped, 40, 50);
        Assert.InRange(later.Dropped - later.Slipped, -1, 1);
    }

    [Fact]
    public void Ipv6_clients_share_a_bucket_per_64_and_ipv4_mapped_addresses_are_ipv4()
    {
        Assert.Equal("2001:db8:1:2::/64", ResponseRateLimiter.Key(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
        Assert.Equal("127.0.0.1", ResponseRateLimiter.Key(IPAddress.Parse("::ffff:127.0.0.1")));
        var rrl = new ResponseRateLimiter(1);
        Assert.Equal(RateVerdict.Answer, rrl.Check(IPAddress.Parse("2001:db8::1"), T0, out _));
        Assert.NotEqual(RateVerdict.Answer, rrl.Check(IPAddress.Parse("2001:db8::2"), T0, out _));
    }

    [Fact]
    public void A_spoofed_flood_from_many_addresses_does_not_grow_the_table_without_bound()
    {
        var rrl = new ResponseRateLimiter(5);
        for (int i = 0; i < ResponseRateLimiter.MaxTrackedClients * 3; i++)
        {
            var address = new IPAddress(BitConverter.GetBytes(0x0A000000 + i));
            Assert.Equal(RateVerdict.Answer, rrl.Check(address, T0.AddMilliseconds(i), out _));
        }
        Assert.True(rrl.TrackedClients <= ResponseRateLimiter.MaxTrackedClients);
    }
}
