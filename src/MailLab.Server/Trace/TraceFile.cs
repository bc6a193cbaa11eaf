using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// <c>&lt;data&gt;/trace/trace.jsonl</c> (docs/events.md 3.2), written as Serilog's rolling File sink wrote it for the
/// lab (issue 19 replaced it; the names and rules are kept so readers and old data directories see no change):
/// appended to across runs (the existing file with the highest number), rolled before an event once the file holds
/// <see cref="DefaultSizeLimit"/> octets to <c>trace_001.jsonl</c>, <c>trace_002.jsonl</c>, ... (the event that crosses
/// the limit is written whole), <see cref="DefaultRetainedFiles"/> files kept, the newest; buffered in memory, written
/// when the buffer fills and flushed to disk (fsync) once a second when something was written.
/// </summary>
internal sealed class TraceFile : ITraceSink, IDisposable
{
    /// <summary>The size at which a file is rolled.</summary>
    public const long DefaultSizeLimit = 256L * 1024 * 1024;

    /// <summary>How many trace files are kept, the current one included.</summary>
    public const int DefaultRetainedFiles = 8;

    private const string Prefix = "trace", Suffix = ".jsonl";
    private const int BufferSize = 64 * 1024;

    private readonly string directory;
    private readonly long sizeLimit;
    private readonly int retained;
    private readonly StringBuilder line = new(1024);
    private readonly Encoder encoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetEncoder();
    private readonly Lock gate = new();
    private readonly Timer timer;
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int used;
    private FileStream? file;
    private int? sequence;
    private long length; // octets in the current file, the buffered ones included
    private bool unsynced;

    /// <summary>Opens (creating <paramref name="directory"/> if needed) the file to append to; throws as the file system does.</summary>
    public TraceFile(string directory, long sizeLimit = DefaultSizeLimit, int retainedFiles = DefaultRetainedFiles, TimeSpan? flushInterval = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(retainedFiles, 1);
        this.directory = Path.GetFullPath(directory);
        this.sizeLimit = sizeLimit;
        retained = retainedFiles;
        Directory.CreateDirectory(this.directory);
        Open(minSequence: null);
        var every = flushInterval ?? TimeSpan.FromSeconds(1);
        timer = new Timer(_ => FlushToDisk(), null, every, every);
    }

    /// <summary>The file being written now.</summary>
    public string CurrentPath => FileName(sequence);

    /// <inheritdoc/>
    public void Emit(TraceEvent e)
    {
        line.Clear();
        TraceJson.Append(line, e);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(file is null, this);
            if (length >= sizeLimit)
            {
                WriteBuffer();
                file.Dispose();
                Open(minSequence: (sequence ?? 0) + 1);
            }
            int most = Encoding.UTF8.GetMaxByteCount(line.Length);
            if (used + most > buffer.Length) WriteBuffer();
            if (most > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(most);
            }
            int before = used;
            foreach (var chunk in line.GetChunks())
            {
                used += encoder.GetBytes(chunk.Span, buffer.AsSpan(used), flush: false);
            }
            used += encoder.GetBytes(ReadOnlySpan<char>.Empty, buffer.AsSpan(used), flush: true);
            length += used - before;
        }
    }

    /// <summary>Writes the buffer and flushes the file to disk when anything was written since the last time.</summary>
    public void FlushToDisk()
    {
        try
        {
            lock (gate)
            {
                if (file is null) return;
                WriteBuffer();
                if (!unsynced) return;
                file.Flush(flushToDisk: true);
                unsynced = false;
            }
        }
        catch (Exception)
        {
            // A timer callback must not throw (it would end the process); the next write reports a lasting fault.
        }
    }

    /// <summary>Writes what is buffered and closes the file.</summary>
    public void Dispose()
    {
        timer.Dispose();
        lock (gate)
        {
            if (file is null) return;
            try
            {
                WriteBuffer();
            }
            finally
            {
                file.Dispose();
                file = null;
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = [];
            }
        }
    }

    private void WriteBuffer()
    {
        if (used == 0) return;
        int n = used;
        used = 0; // dropped if the write fails (a full disk): the next events still get their chance
        file!.Write(buffer, 0, n);
        unsynced = true;
    }

    private void Open(int? minSequence)
    {
        // Append to the newest existing file (trace.jsonl counts as the oldest), or start the one after it.
        int? latest = Existing().Select(f => f.Sequence).OrderDescending().FirstOrDefault();
        sequence = minSequence is { } min && (latest is null || latest < min) ? min : latest;
        var path = FileName(sequence);
        file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        length = file.Length;
        RemoveOld(Path.GetFileName(path));
    }

    private void RemoveOld(string current)
    {
        var old = Existing().Where(f => !string.Equals(f.Name, current, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(f => f.Sequence).Skip(retained - 1);
        foreach (var (name, _) in old)
        {
            try
            {
                File.Delete(Path.Combine(directory, name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next roll, as Serilog did; the trace itself goes on.
            }
        }
    }

    private string FileName(int? n) =>
        Path.Combine(directory, Prefix + (n is { } v ? "_" + v.ToString("000", CultureInfo.InvariantCulture) : "") + Suffix);

    /// <summary>trace.jsonl (no number) and trace_NNN.jsonl (three digits or more) in the directory.</summary>
    private IEnumerable<(string Name, int? Sequence)> Existing() =>
        Directory.EnumerateFiles(directory, Prefix + "*" + Suffix).Select(Path.GetFileName).OfType<string>()
            .Select(name => (name, Number(name))).Where(f => f.Item2.Valid).Select(f => (f.name, f.Item2.Sequence));

    private static (bool Valid, int? Sequence) Number(string name)
    {
        if (name == Prefix + Suffix) return (true, null);
        if (!name.StartsWith(Prefix + "_", StringComparison.Ordinal) || !name.EndsWith(Suffix, StringComparison.Ordinal)
            || name.Length < Prefix.Length + 4 + Suffix.Length) return (false, null);
        var digits = name.AsSpan(Prefix.Length + 1, name.Length - Prefix.Length - 1 - Suffix.Length);
        if (digits.ContainsAnyExceptInRange('0', '9')) return (false, null);
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? (true, n) : (false, null);
    }
}
