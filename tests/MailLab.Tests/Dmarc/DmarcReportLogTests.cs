using MailLab.Server.Reports;

namespace MailLab.Tests.Dmarc;

/// <summary>
/// Issue 19: the DMARC report log writes concurrent appends in batches (group commit). Every append
/// must still end as exactly one whole line in its policy domain's file once its task completes.
/// </summary>
public sealed class DmarcReportLogTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("maillab-dmarclog-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static DmarcReportEntry Entry(string domain, int n) => new()
    {
        Time = DateTimeOffset.UtcNow, SourceIp = $"127.0.{n / 250}.{n % 250 + 1}", HeaderFrom = domain, PolicyDomain = domain,
        Record = "v=DMARC1; p=none", Discovery = "exact", Disposition = "none", DkimAligned = false, SpfAligned = true,
        SpfDomain = domain, SpfResult = "pass",
    };

    [Fact]
    public async Task Concurrent_appends_each_end_as_one_line_in_their_own_domains_file_when_awaited()
    {
        var log = new DmarcReportLog(dir);
        var tasks = Enumerable.Range(0, 400)
            .Select(n => Task.Run(() => log.AppendAsync("bank", Entry(n % 2 == 0 ? "evil.test" : "uc.test", n), CancellationToken.None)));
        await Task.WhenAll(tasks);

        var files = await log.TakeAsync("bank");
        Assert.Equal(2, files.Count);
        var all = files.Select(f => (File: Path.GetFileName(f), DmarcReportLog.Read(f))).ToList();
        foreach (var (file, (entries, bad)) in all)
        {
            Assert.Equal(0, bad);
            Assert.Equal(200, entries.Count);
            Assert.All(entries, e => Assert.StartsWith(e.PolicyDomain, file));
        }
        var ips = all.SelectMany(a => a.Item2.Entries).Select(e => e.SourceIp).ToHashSet();
        Assert.Equal(400, ips.Count);
    }

    [Fact]
    public async Task An_append_that_cannot_be_written_fails_its_caller_and_later_appends_still_work()
    {
        var log = new DmarcReportLog(dir);
        // A directory where the policy domain's file should be: the open fails with an IOException.
        Directory.CreateDirectory(Path.Combine(dir, "bank", "broken.test.jsonl"));
        await Assert.ThrowsAnyAsync<Exception>(() => log.AppendAsync("bank", Entry("broken.test", 1), CancellationToken.None));

        await log.AppendAsync("bank", Entry("evil.test", 2), CancellationToken.None);
        var (entries, bad) = DmarcReportLog.Read(Path.Combine(dir, "bank", "evil.test.jsonl"));
        Assert.Equal(0, bad);
        Assert.Single(entries);
    }

    [Fact]
    public async Task Lines_are_fsynced_once_per_file_when_taken_not_once_per_append()
    {
        var log = new DmarcReportLog(dir, syncDelay: TimeSpan.FromHours(1));
        await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(n => Task.Run(() => log.AppendAsync("bank", Entry(n % 2 == 0 ? "evil.test" : "uc.test", n), CancellationToken.None))));
        // Written (readable by anyone) but not yet fsynced.
        Assert.Equal(100, DmarcReportLog.Read(Path.Combine(dir, "bank", "evil.test.jsonl")).Entries.Count);
        Assert.Equal(0, log.Syncs);

        Assert.Equal(2, (await log.TakeAsync("bank")).Count);
        Assert.Equal(2, log.Syncs);
        await log.AppendAsync("bank", Entry("evil.test", 1), CancellationToken.None);
        await log.DisposeAsync();
        Assert.Equal(3, log.Syncs);
    }

    [Fact]
    public async Task A_written_line_is_fsynced_after_the_delay_without_a_take()
    {
        var log = new DmarcReportLog(dir, syncDelay: TimeSpan.FromMilliseconds(50));
        await log.AppendAsync("bank", Entry("evil.test", 1), CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (log.Syncs == 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(1, log.Syncs);
    }

    [Fact]
    public async Task A_site_directory_removed_while_the_lab_runs_is_made_again()
    {
        var log = new DmarcReportLog(dir);
        await log.AppendAsync("bank", Entry("evil.test", 1), CancellationToken.None);
        Directory.Delete(Path.Combine(dir, "bank"), recursive: true);
        await log.AppendAsync("bank", Entry("evil.test", 2), CancellationToken.None);
        Assert.Single(DmarcReportLog.Read(Path.Combine(dir, "bank", "evil.test.jsonl")).Entries);
    }
}
