using MailLab.Server.Relay;

namespace MailLab.Tests.Relay;

/// <summary>The MTA-STS policy cache rules of RFC 8461 §5.1, with a clock the test moves.</summary>
public sealed class MtaStsCacheTests
{
    private const string Enforce = "version: STSv1\nmode: enforce\nmx: mx.bank.test\nmax_age: 3600\n";
    private const string Testing = "version: STSv1\nmode: testing\nmx: mx.bank.test\nmax_age: 3600\n";

    private DateTimeOffset now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private int fetches;

    private Func<CancellationToken, Task<(string? Body, string? Error)>> Serve(string? body, string? error = null) => _ =>
    {
        fetches++;
        return Task.FromResult((body, error));
    };

    [Fact]
    public async Task A_policy_is_kept_while_the_id_stays_and_fetched_again_when_it_changes()
    {
        var cache = new MtaStsCache(() => now);
        var first = await cache.LookupAsync("bank.test", ["v=STSv1; id=1;"], Serve(Enforce), default);
        Assert.Equal(("fetched", MtaStsMode.Enforce, 1), (first.Source, first.Policy!.Mode, fetches));
        now += TimeSpan.FromMinutes(30);
        var again = await cache.LookupAsync("bank.test", ["v=STSv1; id=1;"], Serve(Testing), default);
        Assert.Equal(("cached", MtaStsMode.Enforce, 1), (again.Source, again.Policy!.Mode, fetches));
        var changed = await cache.LookupAsync("bank.test", ["v=STSv1; id=2;"], Serve(Testing), default);
        Assert.Equal(("fetched", MtaStsMode.Testing, 2), (changed.Source, changed.Policy!.Mode, fetches));
    }

    [Fact]
    public async Task A_failed_fetch_or_a_missing_TXT_keeps_an_unexpired_cached_policy()
    {
        var cache = new MtaStsCache(() => now);
        await cache.LookupAsync("bank.test", ["v=STSv1; id=1;"], Serve(Enforce), default);
        var blocked = await cache.LookupAsync("bank.test", ["v=STSv1; id=2;"], Serve(null, "connection refused"), default);
        Assert.Equal(("cached", MtaStsMode.Enforce), (blocked.Source, blocked.Policy!.Mode));
        Assert.Contains("connection refused", blocked.Detail);
        var broken = await cache.LookupAsync("bank.test", ["v=STSv1; id=3;"], Serve("<html>"), default);
        Assert.Equal(("cached", MtaStsMode.Enforce), (broken.Source, broken.Policy!.Mode));
        // An attacker who removes the TXT record (or makes the lookup fail) does not turn the policy off.
        Assert.Equal(MtaStsMode.Enforce, (await cache.LookupAsync("bank.test", [], Serve(null, "unused"), default)).Policy!.Mode);
        Assert.Equal(MtaStsMode.Enforce, (await cache.LookupAsync("bank.test", null, Serve(null, "unused"), default)).Policy!.Mode);
        Assert.Equal(3, fetches); // the first fetch and two failed refreshes; the TXT-less lookups fetched nothing
    }

    [Fact]
    public async Task An_expired_policy_is_gone_and_no_policy_is_not_cached()
    {
        var cache = new MtaStsCache(() => now);
        await cache.LookupAsync("bank.test", ["v=STSv1; id=1;"], Serve(Enforce), default);
        now += TimeSpan.FromSeconds(3601);
        var expired = await cache.LookupAsync("bank.test", [], Serve(Enforce), default);
        Assert.Null(expired.Policy);
        Assert.Equal("none", expired.Source);
        var failed = await cache.LookupAsync("uc.test", ["v=STSv1; id=1;"], Serve(null, "timed out"), default);
        Assert.Null(failed.Policy);
        Assert.Contains("timed out", failed.Detail);
    }

    [Fact]
    public async Task Two_STSv1_records_or_a_bad_one_are_no_record()
    {
        var cache = new MtaStsCache(() => now);
        var two = await cache.LookupAsync("bank.test", ["v=STSv1; id=1;", "v=STSv1; id=2;"], Serve(Enforce), default);
        Assert.Null(two.Policy);
        var bad = await cache.LookupAsync("bank.test", ["v=STSv1; id=not-valid;", "v=spf1 -all"], Serve(Enforce), default);
        Assert.Null(bad.Policy);
        Assert.Equal(0, fetches);
    }
}
