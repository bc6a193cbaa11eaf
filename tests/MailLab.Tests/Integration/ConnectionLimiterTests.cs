using System.Net;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;

namespace MailLab.Tests.Integration;

/// <summary>The connection limits as values: per-client per listener, one lab-wide total, the lab's own relay never refused.</summary>
public sealed class ConnectionLimiterTests
{
    private static readonly IPAddress Uc = IPAddress.Parse("127.0.1.1");

    [Fact]
    public void Per_client_slots_are_per_listener_and_the_total_is_shared()
    {
        var lab = new ConnectionLimiter(maxTotal: 5, maxPerClient: 2);
        var msa = lab.ForListener();
        var mta = lab.ForListener();
        Assert.Null(msa.TryAcquire(Uc));
        Assert.Null(msa.TryAcquire(Uc));
        Assert.Equal("too many connections from 127.0.1.1 (2)", msa.TryAcquire(Uc));
        Assert.Null(mta.TryAcquire(Uc));                       // another listener: its own count
        Assert.Null(mta.TryAcquire(IPAddress.Parse("127.0.3.1")));
        Assert.Equal(4, lab.Total);
        Assert.Null(mta.TryAcquire(IPAddress.Parse("127.0.4.1")));
        Assert.Equal("too many connections (5)", msa.TryAcquire(IPAddress.Parse("127.0.5.1"))); // lab-wide total
        msa.Release(Uc);
        Assert.Equal(4, lab.Total);
        Assert.Null(msa.TryAcquire(Uc));
    }

    [Fact]
    public void The_labs_own_relay_is_counted_but_never_refused()
    {
        var lab = new ConnectionLimiter(maxTotal: 2, maxPerClient: 1);
        var mta = lab.ForListener();
        Assert.Null(mta.TryAcquire(Uc));
        Assert.NotNull(mta.TryAcquire(Uc));
        Assert.Null(mta.TryAcquire(Uc, labRelay: true));
        Assert.Null(mta.TryAcquire(Uc, labRelay: true));       // over both limits: still the lab's own
        Assert.Equal(3, lab.Total);
        Assert.NotNull(mta.TryAcquire(IPAddress.Parse("127.0.3.1"))); // the relay's connections count in the total
        mta.Release(Uc, labRelay: true);
        mta.Release(Uc, labRelay: true);
        Assert.Equal(1, lab.Total);
        Assert.NotNull(mta.TryAcquire(Uc));                    // the relay never took the student's per-client slot away...
        mta.Release(Uc);
        Assert.Null(mta.TryAcquire(Uc));                       // ...nor gave one
    }

    [Fact]
    public void A_registered_relay_end_point_is_known_only_while_registered()
    {
        var local = new IPEndPoint(Uc, 40123);
        Assert.False(LabRelayConnections.IsOwn(local));
        var registration = LabRelayConnections.Register(local);
        Assert.True(LabRelayConnections.IsOwn(new IPEndPoint(IPAddress.Parse("127.0.1.1").MapToIPv6(), 40123)));
        Assert.False(LabRelayConnections.IsOwn(new IPEndPoint(Uc, 40124)));
        registration.Dispose();
        registration.Dispose();
        Assert.False(LabRelayConnections.IsOwn(local));
    }
}
