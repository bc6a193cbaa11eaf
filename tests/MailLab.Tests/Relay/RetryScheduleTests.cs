using MailLab.Server.Lab;
using MailLab.Server.Relay;

namespace MailLab.Tests.Relay;

public sealed class RetryScheduleTests
{
    private static readonly RelaySettings Settings = new()
    {
        RetryIntervals = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)],
        QueueLifetime = TimeSpan.FromMinutes(10),
    };

    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static (QueueEntry Entry, QueueRecipient Rcpt) Fresh()
    {
        var r = new QueueRecipient { Address = "bob@bank.test" };
        return (new QueueEntry { Id = "X", MailFrom = "alice@uc.test", Site = "uc", Created = T0, Recipients = [r] }, r);
    }

    private static AttemptResult Temp => new("bob@bank.test", AttemptKind.Temporary, "451 4.3.0 busy", "4.3.0", "busy", "mx.bank.test");

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 30)]
    [InlineData(3, 120)]
    [InlineData(4, 120)] // the last interval repeats
    [InlineData(9, 120)]
    public void Delay_follows_the_configured_intervals(int attempts, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetrySchedule.Delay(Settings, attempts));

    [Fact]
    public void Temporary_failures_back_off_then_expire_into_4_4_7()
    {
        var (entry, r) = Fresh();
        var now = T0;
        RetrySchedule.Apply(r, Temp, entry, Settings, now);
        Assert.Equal(RecipientState.Deferred, r.State);
        Assert.Equal(T0.AddSeconds(5), r.NextAttempt);
        now = r.NextAttempt!.Value;
        RetrySchedule.Apply(r, Temp, entry, Settings, now);
        Assert.Equal(now.AddSeconds(30), r.NextAttempt);
        Assert.Equal(2, r.Attempts);

        // Near the end of the lifetime the next attempt is capped at the expiry, and there it fails.
        now = T0.AddMinutes(9);
        RetrySchedule.Apply(r, Temp, entry, Settings, now);
        Assert.Equal(T0.AddMinutes(10), r.NextAttempt);
        RetrySchedule.Apply(r, Temp, entry, Settings, T0.AddMinutes(10));
        Assert.Equal(RecipientState.Failed, r.State);
        Assert.Equal("4.4.7", r.Status);
        Assert.Null(r.NextAttempt);
        Assert.Contains("busy", r.Reason);
        Assert.False(entry.HasPending);
    }

    [Fact]
    public void Permanent_and_success_are_final()
    {
        var (entry, r) = Fresh();
        RetrySchedule.Apply(r, new AttemptResult(r.Address, AttemptKind.Permanent, "550 5.1.1 no such user", "5.1.1", "x", "mx.bank.test"), entry, Settings, T0);
        Assert.Equal(RecipientState.Failed, r.State);
        Assert.Equal("5.1.1", r.Status);
        var (entry2, r2) = Fresh();
        Assert.Equal(DateTimeOffset.MinValue, entry2.NextDue); // scheduled: due at once
        RetrySchedule.Apply(r2, new AttemptResult(r2.Address, AttemptKind.Delivered, "250 2.0.0 Ok", "2.0.0", "ok", "mx.bank.test"), entry2, Settings, T0);
        Assert.Equal(RecipientState.Delivered, r2.State);
        Assert.Null(entry2.NextDue);
    }

    [Theory]
    [InlineData(250, "2.0.0 Ok: queued as X", AttemptKind.Delivered, "2.0.0")]
    [InlineData(550, "5.1.1 <x@bank.test>: user unknown", AttemptKind.Permanent, "5.1.1")]
    [InlineData(451, "4.4.0 try later", AttemptKind.Temporary, "4.4.0")]
    [InlineData(554, "no enhanced code here", AttemptKind.Permanent, "5.0.0")]
    [InlineData(421, "mx closing", AttemptKind.Temporary, "4.0.0")]
    public void Replies_map_to_outcomes(int code, string text, AttemptKind kind, string status)
    {
        var r = RelayClient.FromReply("x@bank.test", code, text, "mx.bank.test");
        Assert.Equal(kind, r.Kind);
        Assert.Equal(status, r.Status);
        Assert.Equal($"{code} {text}", r.Reply);
    }
}
