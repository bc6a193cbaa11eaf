using System.Buffers;
using System.Text;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard;

/// <summary>
/// Follows the trace files of other <c>maillab up</c> processes (<c>dashboard: follow:</c>; the classroom's
/// site containers, whose data volumes the dashboard's container mounts read-only) and adds their events to
/// this process's in-memory trace, so the dashboard shows the whole lab and not only the process it runs in.
/// Session ids are numbered per process, so a followed event's session becomes <c>NAME:SESSION</c>
/// (NAME: the directory's last segment; NAME.2, NAME.3 after that lab restarted). Imported events are not written to this process's trace file:
/// <c>maillab exercise check</c> reads every process's own file, and would count them twice.
/// </summary>
internal sealed class TraceFollower : IAsyncDisposable
{
    /// <summary>How often the files are read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>History read when following starts: the end of the newest file, at most this many bytes.</summary>
    public const int StartBytes = 8 * 1024 * 1024;

    /// <summary>Most bytes read from one file per poll, so a huge backlog cannot hold the poller.</summary>
    public const int ChunkBytes = 4 * 1024 * 1024;

    private readonly Tracer tracer;
    private readonly List<Source> sources;
    private readonly CancellationTokenSource stop = new();
    private Task? loop;

    /// <param name="directories">Data directories of the followed processes.</param>
    /// <param name="tracer">This process's tracer, whose in-memory stream gets the events.</param>
    public TraceFollower(IEnumerable<string> directories, Tracer tracer)
    {
        this.tracer = tracer;
        sources = directories.Select(d => new Source(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))), Path.GetFullPath(d))).ToList();
    }

    /// <summary>The names whose events are imported (their sessions' prefixes).</summary>
    public IReadOnlyList<string> Names => sources.Select(s => s.Name).ToList();

    /// <summary>Lines that were not trace events (a half-written line is not counted: it is read once complete).</summary>
    public long Unreadable { get; private set; }

    /// <summary>Starts polling every <see cref="PollInterval"/>.</summary>
    public void Start() => loop ??= Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                Poll();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A volume not mounted yet, or a file rolled away between listing and opening: the next poll retries.
            }
        }
        while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
    });

    /// <summary>Reads what every followed file gained since the last call; returns how many events were imported.</summary>
    internal int Poll()
    {
        int imported = 0;
        foreach (var source in sources)
        {
            imported += source.Read(this);
        }
        return imported;
    }

    private bool Import(Source source, string line)
    {
        switch (TraceFileReader.ParseLine(line, out var e))
        {
            case TraceFileReader.LineResult.Event:
                tracer.Import(e! with { Session = e.Session is null ? null : $"{source.Prefix(e.Sequence)}:{e.Session}" });
                return true;
            case TraceFileReader.LineResult.Unreadable:
                Unreadable++;
                return false;
            default:
                return false; // a kind this build does not know
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (loop is not null)
        {
            try { await loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        stop.Dispose();
    }

    /// <summary>One followed data directory: the file being read and how far.</summary>
    private sealed class Source(string name, string directory)
    {
        public string Name { get; } = name;

        private string? file;
        private long offset;
        private int run;
        private long highest;

        /// <summary>
        /// NAME, or NAME.RUN after the followed lab restarted (its sequence and session ids start again),
        /// by the rule <c>maillab exercise check</c> uses (<see cref="RecordedEvent.ReorderWindow"/>).
        /// </summary>
        public string Prefix(long sequence)
        {
            if (run == 0 || sequence == 1 || sequence + RecordedEvent.ReorderWindow < highest)
            {
                run++;
                highest = 0;
            }
            highest = Math.Max(highest, sequence);
            return run == 1 ? Name : $"{Name}.{run}";
        }

        public int Read(TraceFollower follower)
        {
            var files = TraceFileReader.Files(directory).ToList();
            if (files.Count == 0) return 0;
            if (file is null || !files.Contains(file))
            {
                // First look (or the file was rolled away): start near the end of the newest file.
                file = files[^1];
                long length = new FileInfo(file).Length;
                offset = Math.Max(0, length - StartBytes);
                if (offset > 0) offset = NextLine(file, offset);
            }
            int count = ReadLines(follower);
            int at = files.IndexOf(file);
            if (at < files.Count - 1 && offset >= new FileInfo(file).Length)
            {
                // The trace rolled over to trace_NNN.jsonl (TraceFile): the old file is finished, go on with the next from its start.
                file = files[at + 1];
                offset = 0;
                count += ReadLines(follower);
            }
            return count;
        }

        private int ReadLines(TraceFollower follower)
        {
            using var stream = new FileStream(file!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < offset) offset = 0; // truncated or replaced: read it again from the start
            stream.Position = offset;
            if (stream.Length == offset) return 0;
            int want = (int)Math.Min(ChunkBytes, stream.Length - offset);
            // Pooled: a busy followed lab is read every poll, and a fresh chunk each time would be up to 4 MiB of garbage.
            byte[] buffer = ArrayPool<byte>.Shared.Rent(want);
            try
            {
                int read = stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
                int end = read == 0 ? -1 : Array.LastIndexOf(buffer, (byte)'\n', read - 1);
                if (end < 0)
                {
                    // No complete line: wait for the writer, unless one line fills a whole chunk (then skip it).
                    if (read == ChunkBytes) offset += read;
                    return 0;
                }
                int count = 0, start = 0;
                while (start <= end)
                {
                    int nl = Array.IndexOf(buffer, (byte)'\n', start, end - start + 1);
                    if (nl > start && follower.Import(this, Encoding.UTF8.GetString(buffer, start, nl - start))) count++;
                    start = nl + 1;
                }
                offset += end + 1;
                return count;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>The offset just after the first newline at or after <paramref name="from"/>: a whole line's start.</summary>
        private static long NextLine(string path, long from)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Position = from - 1;
            int b;
            while ((b = stream.ReadByte()) >= 0 && b != '\n') { }
            return stream.Position;
        }
    }
}
