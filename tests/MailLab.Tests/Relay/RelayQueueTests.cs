using System.Buffers;
using System.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Lab;
using MailLab.Server.Relay;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>The queue on disk: two-phase writes, atomic status updates, reload after a restart.</summary>
public sealed class RelayQueueTests
{
    private static async Task<PendingQueueEntry> Prepare(RelayQueue q, string id, params string[] rcpts)
    {
        await using var spool = new MessageSpool(Path.Combine(q.Directory, "..", "spool"));
        spool.Write(Encoding.ASCII.GetBytes("Subject: queued\r\n\r\nbody\r\n"));
        return await q.PrepareAsync(id, "alice@uc.test", "uc", false, rcpts, "Received: from test\r\n", spool, default);
    }

    [Fact]
    public async Task Committed_entry_round_trips_with_content_and_status()
    {
        var dir = Path.Combine(TempDir.New("queue"), "queue");
        var q = new RelayQueue(dir);
        QueueEntry? announced = null;
        q.Committed += e => announced = e;
        var pending = await Prepare(q, "ID1", "bob@bank.test", "x@far.test");
        Assert.Empty(RelayQueue.ReadAll(dir)); // invisible before the commit
        pending.Commit();
        Assert.Equal("ID1", announced?.Id);

        // A restart: a new queue object over the same directory sees everything.
        var reloaded = Assert.Single(new RelayQueue(dir).LoadAll());
        Assert.Equal("alice@uc.test", reloaded.MailFrom);
        Assert.Equal("uc", reloaded.Site);
        Assert.Equal(["bob@bank.test", "x@far.test"], reloaded.Recipients.Select(r => r.Address));
        Assert.All(reloaded.Recipients, r => Assert.Equal(RecipientState.Scheduled, r.State));
        Assert.Equal("Received: from test\r\nSubject: queued\r\n\r\nbody\r\n", File.ReadAllText(q.MessagePath("ID1")));
        Assert.Equal(new FileInfo(q.MessagePath("ID1")).Length, reloaded.Size);

        // A status update is durable too.
        var settings = new RelaySettings();
        var now = DateTimeOffset.UtcNow;
        RetrySchedule.Apply(reloaded.Recipients[1], new AttemptResult("x@far.test", AttemptKind.Temporary, "451 4.4.1 down", "4.4.1", "down", "mx.far.test"), reloaded, settings, now);
        q.Save(reloaded);
        var again = Assert.Single(RelayQueue.ReadAll(dir));
        Assert.Equal(RecipientState.Deferred, again.Recipients[1].State);
        Assert.Equal(1, again.Recipients[1].Attempts);
        Assert.Equal("451 4.4.1 down", again.Recipients[1].Reply);
        Assert.Equal(now + TimeSpan.FromSeconds(5), again.Recipients[1].NextAttempt);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "ID1"), "*.tmp"));

        q.Remove("ID1");
        Assert.Empty(RelayQueue.ReadAll(dir));
        Assert.Empty(Directory.GetDirectories(dir));
    }

    [Fact]
    public async Task Aborted_and_crashed_entries_leave_nothing()
    {
        var dir = Path.Combine(TempDir.New("queue"), "queue");
        var q = new RelayQueue(dir);
        (await Prepare(q, "ABORTED", "bob@bank.test")).Abort();
        _ = await Prepare(q, "CRASHED", "bob@bank.test"); // never committed: a crash before the 250
        Assert.Empty(q.LoadAll());
        Assert.Equal(1, q.CleanTemporary());
        Assert.Empty(Directory.GetDirectories(dir));
    }

    [Fact]
    public void Broken_entries_are_reported_not_thrown()
    {
        var dir = Path.Combine(TempDir.New("queue"), "queue");
        Directory.CreateDirectory(Path.Combine(dir, "BAD"));
        File.WriteAllText(Path.Combine(dir, "BAD", RelayQueue.EnvelopeFile), "{ not json");
        var errors = new List<string>();
        Assert.Empty(RelayQueue.ReadAll(dir, errors));
        Assert.Contains("BAD", Assert.Single(errors));
    }

    [Fact]
    public async Task Lab_restart_resumes_a_deferred_entry_and_flush_file_delivers_it()
    {
        // First run: bank.test's MX points at an address where nothing listens, retries an hour apart.
        var data = TempDir.New("restart");
        var deadPort = RelayTestHelpers.FreePort("127.0.4.1");
        var relay = $"relay:\n  relay-port: {deadPort}\n  retry-intervals: [1h]\n  queue-lifetime: 2h\n";
        await using (var first = TestLab.Create(relay: relay, data: data))
        {
            first.Start(StaticMxResolver.Simple(("bank.test", "mx.bank.test", "127.0.4.1")));
            await RelayTestHelpers.SubmitAsAlice(first, "survives a restart", "bob@bank.test");
            await RelayTestHelpers.Outcome(first, "bob@bank.test", "deferred");
        }
        var onDisk = Assert.Single(RelayQueue.ReadAll(Path.Combine(data, "queue")));
        Assert.Equal(RecipientState.Deferred, onDisk.Recipients[0].State);
        Assert.Equal(1, onDisk.Recipients[0].Attempts);

        // Second run on the same data directory, with the real routing; the flush file asks for a retry now.
        RelayQueue.RequestFlush(Path.Combine(data, "queue"));
        await using var second = TestLab.Create(relay: relay, data: data).Start();
        var loaded = await second.WaitForEvent(e => e.Kind == TraceKind.QueueLoaded);
        Assert.Equal("1", loaded.Field("Entries"));
        await second.WaitForEvent(e => e.Kind == TraceKind.QueueFlushRequested);
        var outcome = await RelayTestHelpers.Outcome(second, "bob@bank.test", "delivered");
        Assert.Equal("2", outcome.Field("Attempts"));
        var text = await RelayTestHelpers.OnlyMessage(second, "bob@bank.test");
        Assert.Contains("Subject: survives a restart", text);
        Assert.False(File.Exists(Path.Combine(data, "queue", RelayQueue.FlushFile)));
        await second.WaitForEvent(e => e.Kind == TraceKind.QueueEntryRemoved);
        Assert.Empty(RelayQueue.ReadAll(Path.Combine(data, "queue")));
    }
}
