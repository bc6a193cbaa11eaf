using System.Text;
using System.Text.Json;

namespace MailLab.Server.Reports;

/// <summary>
/// Collection of aggregate-report data: <c>&lt;data&gt;/dmarc/&lt;site&gt;/&lt;policy-domain&gt;.jsonl</c>, one JSON line
/// per evaluated message, written before the session replies and fsynced within a second. Sending takes a file
/// by renaming it (new evaluations start a fresh file) and deletes it only after the report is queued.
/// </summary>
/// <remarks>
/// Not fsynced per message (issue 19: the fsync was a tenth of the MTA's CPU per message): the line is no promise
/// to the client (the <c>250</c> is about the message, whose own commit stays fsynced), so a process crash loses
/// nothing (the write is in the kernel) and a power loss at most the last second, as OpenDMARC's history file,
/// which is never fsynced. Taking a file for a report and stopping the lab fsync what is pending first.
/// </remarks>
/// <param name="directory"><c>&lt;data&gt;/dmarc</c>.</param>
/// <param name="syncDelay">How long a written line may wait for its fsync (1 s; tests set it).</param>
public sealed class DmarcReportLog(string directory, TimeSpan? syncDelay = null) : IAsyncDisposable
{
    private const string Pending = ".jsonl";
    private const string Sending = ".sending";
    private readonly TimeSpan syncDelay = syncDelay ?? TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly List<PendingLine> queue = [];
    private readonly HashSet<string> unsynced = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> siteDirectories = new();
    private bool draining;
    private Task? syncLater;

    /// <summary><c>&lt;data&gt;/dmarc</c>.</summary>
    public string Directory { get; } = directory;

    /// <summary>fsync calls made so far (for the tests: once per file per delay under load, not per line).</summary>
    internal int Syncs { get; private set; }

    /// <summary>
    /// Appends one entry for the reporting <paramref name="site"/>; returns once it is written (fsynced within
    /// the sync delay). Appends that arrive while another batch is being written are written together by
    /// the next batch (group commit): one open and write per file per batch instead of per message.
    /// </summary>
    internal async Task AppendAsync(string site, DmarcReportEntry entry, CancellationToken ct)
    {
        var dir = siteDirectories.GetOrAdd(site, s => System.IO.Directory.CreateDirectory(Path.Combine(Directory, s)).FullName);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, ReportLogJson.Default.DmarcReportEntry) + "\n");
        var item = new PendingLine(Path.Combine(dir, FileName(entry.PolicyDomain) + Pending), line);
        bool lead;
        lock (queue)
        {
            queue.Add(item);
            lead = !draining;
            draining = true;
        }
        if (lead) await DrainAsync().ConfigureAwait(false);
        await item.Done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private sealed record PendingLine(string Path, byte[] Line)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // The leader writes batches until the queue is empty; every waiter gets its file's outcome (an error
    // is the waiter's to report, as before, so the leader catches everything to keep draining).
    private async Task DrainAsync()
    {
        while (true)
        {
            List<PendingLine> batch;
            lock (queue)
            {
                if (queue.Count == 0)
                {
                    draining = false;
                    return;
                }
                batch = [.. queue];
                queue.Clear();
            }
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                foreach (var file in batch.GroupBy(b => b.Path))
                {
                    try
                    {
                        using (var fs = OpenForAppend(file.Key))
                        {
                            foreach (var b in file) fs.Write(b.Line);
                        }
                        unsynced.Add(file.Key);
                        syncLater ??= SyncLaterAsync();
                        foreach (var b in file) b.Done.TrySetResult();
                    }
                    catch (Exception e)
                    {
                        foreach (var b in file) b.Done.TrySetException(e);
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }
    }

    // The site's directory is made once (not per message); should it vanish meanwhile, it is made again.
    private static FileStream OpenForAppend(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1);
        }
        catch (DirectoryNotFoundException)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1);
        }
    }

    private async Task SyncLaterAsync()
    {
        await Task.Delay(syncDelay).ConfigureAwait(false);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            SyncPending();
        }
        finally
        {
            gate.Release();
        }
    }

    // Under the gate. A file that cannot be fsynced (deleted, disk gone) is dropped from the set: its lines are
    // in the kernel already, and the next write will try again.
    private void SyncPending()
    {
        foreach (var path in unsynced)
        {
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
                fs.Flush(flushToDisk: true);
                Syncs++;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        unsynced.Clear();
        syncLater = null;
    }

    /// <summary>fsyncs what is written and not yet synced (the lab calls it when it stops).</summary>
    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            SyncPending();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Takes every collected file of <paramref name="site"/> (and any left from an interrupted send).</summary>
    public async Task<IReadOnlyList<string>> TakeAsync(string site)
    {
        var dir = Path.Combine(Directory, site);
        if (!System.IO.Directory.Exists(dir)) return [];
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            SyncPending();
            foreach (var f in System.IO.Directory.GetFiles(dir, "*" + Pending))
            {
                File.Move(f, f + "." + DateTime.UtcNow.Ticks + Sending);
            }
        }
        finally
        {
            gate.Release();
        }
        return System.IO.Directory.GetFiles(dir, "*" + Sending).Order().ToList();
    }

    /// <summary>The entries of a taken file; unreadable lines (a torn last line after a crash) are counted, not fatal.</summary>
    public static (List<DmarcReportEntry> Entries, int Bad) Read(string file)
    {
        var list = new List<DmarcReportEntry>();
        int bad = 0;
        foreach (var line in File.ReadLines(file))
        {
            if (line.Length == 0) continue;
            try
            {
                if (JsonSerializer.Deserialize(line, ReportLogJson.Default.DmarcReportEntry) is { } e) list.Add(e);
            }
            catch (JsonException)
            {
                bad++;
            }
        }
        return (list, bad);
    }

    // Policy domains are DNS names (letters, digits, '-', '.'), checked by the From extractor.
    private static string FileName(string domain) => new(domain.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_').ToArray());
}
