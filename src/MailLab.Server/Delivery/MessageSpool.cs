using System.Buffers;

namespace MailLab.Server.Delivery;

/// <summary>
/// Holds the content of one message while it is received: in memory while small, spilled to a
/// temporary file (deleted on dispose) once it passes a threshold, so a few large messages cannot
/// exhaust memory.
/// </summary>
internal sealed class MessageSpool : IBufferWriter<byte>, IAsyncDisposable
{
    private readonly ArrayBufferWriter<byte> pending = new(16 * 1024);
    private readonly string spillDirectory;
    private readonly int threshold;
    private FileStream? file;

    /// <summary>Creates a spool that spills to <paramref name="spillDirectory"/> beyond <paramref name="threshold"/> bytes.</summary>
    public MessageSpool(string spillDirectory, int threshold = 256 * 1024)
    {
        this.spillDirectory = spillDirectory;
        this.threshold = threshold;
    }

    /// <summary>Total bytes written.</summary>
    public long Length => (file?.Length ?? 0) + pending.WrittenCount;

    /// <inheritdoc />
    public void Advance(int count) => pending.Advance(count);

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0) => pending.GetMemory(sizeHint);

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => pending.GetSpan(sizeHint);

    /// <summary>Moves buffered bytes to the spill file once the threshold is passed.</summary>
    public async ValueTask FlushAsync(CancellationToken ct)
    {
        if (file is null && pending.WrittenCount < threshold) return;
        if (file is null)
        {
            Directory.CreateDirectory(spillDirectory);
            file = new FileStream(Path.Combine(spillDirectory, Path.GetRandomFileName()), FileMode.CreateNew,
                FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        }
        await file.WriteAsync(pending.WrittenMemory, ct).ConfigureAwait(false);
        pending.ResetWrittenCount();
    }

    /// <summary>Copies the whole content to <paramref name="destination"/>.</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        if (file is not null)
        {
            file.Position = 0;
            await file.CopyToAsync(destination, ct).ConfigureAwait(false);
            file.Seek(0, SeekOrigin.End);
        }
        await destination.WriteAsync(pending.WrittenMemory, ct).ConfigureAwait(false);
    }

    /// <summary>The whole content without a copy, when it never left memory (it is not written to after DATA).</summary>
    public bool TryGetMemory(out ReadOnlyMemory<byte> content)
    {
        content = file is null ? pending.WrittenMemory : default;
        return file is null;
    }

    /// <summary>The first bytes of the content, enough to hold the header section.</summary>
    public ReadOnlyMemory<byte> Head(int max)
    {
        if (file is null) return pending.WrittenMemory[..Math.Min(max, pending.WrittenCount)];
        var buffer = new byte[max];
        file.Position = 0;
        int n = file.ReadAtLeast(buffer, max, throwOnEndOfStream: false);
        file.Seek(0, SeekOrigin.End);
        return buffer.AsMemory(0, n);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
    }
}
