using System.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Store;

namespace MailLab.Server.Relay;

/// <summary>
/// The durable outbound queue: one directory per message, <c>&lt;queue&gt;/&lt;id&gt;/</c>, holding
/// <c>message.eml</c> (the content as accepted, this hop's headers on top) and <c>envelope.json</c>
/// (<see cref="QueueEntry"/>). An entry is written two-phase (a <c>.tmp-&lt;id&gt;</c> directory,
/// fsynced, then renamed) before the SMTP session replies 250; status updates replace envelope.json
/// atomically. Reading needs no running lab, so <c>maillab queue</c> works with the lab down.
/// </summary>
public sealed class RelayQueue
{
    /// <summary>The content file in an entry directory.</summary>
    public const string MessageFile = "message.eml";

    /// <summary>The envelope and status file in an entry directory.</summary>
    public const string EnvelopeFile = "envelope.json";

    /// <summary>The file <c>maillab queue flush</c> creates; the running worker deletes it and retries at once.</summary>
    public const string FlushFile = ".flush";

    private const string TmpPrefix = ".tmp-";

    /// <summary>Creates (if needed) the queue directory.</summary>
    public RelayQueue(string directory)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>The queue directory, normally <c>&lt;data&gt;/queue</c>.</summary>
    public string Directory { get; }

    /// <summary>Raised after an entry is committed (the worker picks it up at once).</summary>
    public event Action<QueueEntry>? Committed;

    /// <summary>Path of an entry's content.</summary>
    public string MessagePath(string id) => Path.Combine(Directory, id, MessageFile);

    /// <summary>
    /// Phase one: writes the entry into a temporary directory and fsyncs it. Nothing is visible to the
    /// worker or the CLI until <see cref="PendingQueueEntry.Commit"/>.
    /// </summary>
    internal async Task<PendingQueueEntry> PrepareAsync(string id, string mailFrom, string site, bool utf8,
        IReadOnlyList<string> recipients, string prependedHeaders, MessageSpool content, CancellationToken ct, bool requireTls = false, bool tlsReport = false)
    {
        var tmp = Path.Combine(Directory, TmpPrefix + id);
        System.IO.Directory.CreateDirectory(tmp);
        try
        {
            long size;
            await using (var fs = new FileStream(Path.Combine(tmp, MessageFile), FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await fs.WriteAsync(Encoding.UTF8.GetBytes(prependedHeaders), ct).ConfigureAwait(false);
                await content.CopyToAsync(fs, ct).ConfigureAwait(false);
                await fs.FlushAsync(ct).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
                size = fs.Length;
            }
            var entry = new QueueEntry
            {
                Id = id,
                MailFrom = mailFrom,
                Site = site,
                Created = DateTimeOffset.UtcNow,
                Utf8 = utf8,
                RequireTls = requireTls,
                TlsReport = tlsReport,
                Size = size,
                Recipients = recipients.Select(r => new QueueRecipient { Address = r }).ToList(),
            };
            DurableFile.WriteAllTextAtomic(Path.Combine(tmp, EnvelopeFile), entry.ToJson());
            return new PendingQueueEntry(this, entry, tmp);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    internal void Commit(PendingQueueEntry pending)
    {
        var final = Path.Combine(Directory, pending.Entry.Id);
        System.IO.Directory.Move(pending.TempDirectory, final);
        DurableFile.FsyncDirectory(Directory); // the rename itself must survive a crash
        Committed?.Invoke(pending.Entry);
    }

    /// <summary>Replaces an entry's envelope.json atomically (old or new, never half).</summary>
    internal void Save(QueueEntry entry) =>
        DurableFile.WriteAllTextAtomic(Path.Combine(Directory, entry.Id, EnvelopeFile), entry.ToJson());

    /// <summary>Removes a finished entry (renamed away first, so a crash never leaves half an entry).</summary>
    public void Remove(string id)
    {
        var dir = Path.Combine(Directory, id);
        var doomed = Path.Combine(Directory, TmpPrefix + "done-" + id);
        System.IO.Directory.Move(dir, doomed);
        DurableFile.FsyncDirectory(Directory);
        TryDelete(doomed);
    }

    /// <summary>Deletes temporary directories left by a crash: they were never acknowledged with 250.</summary>
    public int CleanTemporary()
    {
        int n = 0;
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Directory, TmpPrefix + "*"))
        {
            TryDelete(dir);
            n++;
        }
        return n;
    }

    /// <summary>Every committed entry, oldest first; broken ones are reported in <paramref name="errors"/>.</summary>
    public IReadOnlyList<QueueEntry> LoadAll(List<string>? errors = null) => ReadAll(Directory, errors);

    /// <summary>Reads the entries of a queue directory without a running lab (the CLI uses this).</summary>
    public static IReadOnlyList<QueueEntry> ReadAll(string directory, List<string>? errors = null)
    {
        var list = new List<QueueEntry>();
        if (!System.IO.Directory.Exists(directory)) return list;
        foreach (var dir in System.IO.Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(dir);
            if (name.StartsWith('.')) continue;
            var json = Path.Combine(dir, EnvelopeFile);
            QueueEntry? entry = null;
            try
            {
                entry = File.Exists(json) ? QueueEntry.FromJson(File.ReadAllText(json)) : null;
            }
            catch (IOException ex)
            {
                errors?.Add($"{name}: {ex.Message}");
                continue;
            }
            if (entry is null || !File.Exists(Path.Combine(dir, MessageFile)))
            {
                errors?.Add($"{name}: missing or unreadable {EnvelopeFile} / {MessageFile}");
                continue;
            }
            list.Add(entry);
        }
        return list.OrderBy(e => e.Created).ToList();
    }

    /// <summary>Asks a running lab's worker to retry every deferred recipient now (<c>maillab queue flush</c>).</summary>
    public static void RequestFlush(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, FlushFile), DateTimeOffset.UtcNow.ToString("O"));
    }

    /// <summary>True (and the request file removed) when a flush was requested.</summary>
    public bool TakeFlushRequest()
    {
        var path = Path.Combine(Directory, FlushFile);
        if (!File.Exists(path)) return false;
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        return true;
    }

    internal static void TryDelete(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>An entry written and synced but not yet visible: commit or abort it.</summary>
internal sealed class PendingQueueEntry
{
    private readonly RelayQueue queue;
    private bool done;

    internal PendingQueueEntry(RelayQueue queue, QueueEntry entry, string tempDirectory)
    {
        this.queue = queue;
        Entry = entry;
        TempDirectory = tempDirectory;
    }

    /// <summary>The entry as it will be committed.</summary>
    public QueueEntry Entry { get; }

    internal string TempDirectory { get; }

    /// <summary>Phase two: renames the entry into place and fsyncs the queue directory.</summary>
    public void Commit()
    {
        if (done) throw new InvalidOperationException("entry already committed or aborted");
        queue.Commit(this);
        done = true;
    }

    /// <summary>Throws the entry away (the message was not acknowledged).</summary>
    public void Abort()
    {
        if (done) return;
        done = true;
        RelayQueue.TryDelete(TempDirectory);
    }
}
