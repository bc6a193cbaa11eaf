using MailLab.Server.Store;
using static MailLab.Tests.Store.StoreTestDirectory;

namespace MailLab.Tests.Store;

public class MessageStoreConcurrencyTests
{
    private const string Alice = "alice@uc.test";

    [Fact]
    public async Task Readers_never_see_a_new_message_with_a_lower_uid_than_one_already_seen()
    {
        // RFC 9051 §2.3.1.1: a message added later has a higher UID than those already added.
        using var dir = new StoreTestDirectory();
        var store = dir.NewStore(reserveBlock: 5);
        using var done = new CancellationTokenSource();
        var violations = new List<string>();

        var reader = Task.Run(async () =>
        {
            var seen = new HashSet<uint>();
            uint maxSeen = 0;
            while (!done.IsCancellationRequested)
            {
                var listed = await store.ListAsync(Alice, "INBOX", CancellationToken.None);
                foreach (var m in listed.Where(m => seen.Add(m.Uid)))
                {
                    if (m.Uid < maxSeen)
                    {
                        violations.Add($"UID {m.Uid} appeared after {maxSeen}");
                    }
                }
                maxSeen = Math.Max(maxSeen, listed.Count > 0 ? listed[^1].Uid : 0);
            }
            return seen.Count;
        });

        var writers = Enumerable.Range(0, 100).Select(i => Task.Run(() => DeliverAsync(store, Alice, "INBOX", Message("m" + i, 10_000))));
        var delivered = await Task.WhenAll(writers);
        done.Cancel();
        await reader;

        Assert.Empty(violations);
        Assert.Equal(100, delivered.Select(m => m.Uid).Distinct().Count());
        Assert.Equal(100, (await dir.NewStore().ListAsync(Alice, "INBOX", CancellationToken.None)).Count);
    }
}
