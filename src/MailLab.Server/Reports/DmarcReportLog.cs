using System.Text;
using System.Text.Json;

namespace MailLab.Server.Reports;

/// <summary>
/// Durable collection of aggregate-report data: <c>&lt;data&gt;/dmarc/&lt;site&gt;/&lt;policy-domain&gt;.jsonl</c>, one
/// fsynced JSON line per evaluated message. Sending takes a file by renaming it (new evaluations start
/// a fresh file) and deletes it only after the report is queued, so a crash loses nothing.
/// </summary>
public sealed class DmarcReportLog(string directory)
{
    private const string Pending = ".jsonl";
    private const string Sending = ".sending";
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly List<PendingLine> queue = [];
    private bool draining;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary><c>&lt;data&gt;/dmarc</c>.</summary>
    public string Directory { get; } = directory;

    /// <summary>
    /// Appends one entry for the reporting <paramref name="site"/>; returns once it is fsynced. Appends that
    /// arrive while another batch is being written are written and fsynced together by the next batch
    /// (group commit): one open, write and fsync per file per batch instead of per message (issue 19).
    /// </summary>
    internal async Task AppendAsync(string site, DmarcReportEntry entry, CancellationToken ct)
    {
        var dir = System.IO.Directory.CreateDirectory(Path.Combine(Directory, site)).FullName;
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
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
                        using var fs = new FileStream(file.Key, FileMode.Append, FileAccess.Write, FileShare.Read, 1);
                        foreach (var b in file) fs.Write(b.Line);
                        fs.Flush(flushToDisk: true);
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

    /// <summary>Takes every collected file of <paramref name="site"/> (and any left from an interrupted send).</summary>
    public async Task<IReadOnlyList<string>> TakeAsync(string site)
    {
        var dir = Path.Combine(Directory, site);
        if (!System.IO.Directory.Exists(dir)) return [];
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
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
                if (JsonSerializer.Deserialize<DmarcReportEntry>(line, Json) is { } e) list.Add(e);
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
