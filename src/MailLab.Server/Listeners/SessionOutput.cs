using System.Buffers;

namespace MailLab.Server.Listeners;

/// <summary>
/// A session's response buffer: an <see cref="IBufferWriter{T}"/> over an array rented from the shared
/// pool on the first write and handed back by <see cref="Release"/> once the responses are sent, so a
/// session waiting for its client (most of an IMAP IDLE session's life) holds no buffer, and one large
/// FETCH or RETR does not leave a grown buffer behind for the rest of the connection.
/// </summary>
internal sealed class SessionOutput : IBufferWriter<byte>
{
    /// <summary>First rent: most responses of a command fit.</summary>
    private const int InitialSize = 4096;

    /// <summary>Larger arrays (a FETCH of a big message) go to the GC rather than staying in the pool.</summary>
    private const int LargestPooled = 1024 * 1024;

    private byte[]? buffer;
    private int written;

    /// <summary>Octets written since the last reset.</summary>
    public int WrittenCount => written;

    /// <summary>The octets written since the last reset.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => buffer is null ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(0, written);

    /// <summary>Octets currently held (0 after <see cref="Release"/>).</summary>
    public int Capacity => buffer?.Length ?? 0;

    /// <summary>Forgets what was written after the first <paramref name="count"/> octets (a response that could not be finished).</summary>
    public void Truncate(int count) => written = Math.Clamp(count, 0, written);

    /// <summary>Forgets what was written and keeps the array (more output follows at once).</summary>
    public void ResetWrittenCount() => written = 0;

    /// <summary>Forgets what was written and returns the array; the next write rents again.</summary>
    public void Release()
    {
        written = 0;
        if (buffer is { } b)
        {
            buffer = null;
            Return(b);
        }
    }

    private static void Return(byte[] b)
    {
        if (b.Length <= LargestPooled)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        if (count < 0 || written + count > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(written);

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(written);

    private byte[] Ensure(int sizeHint)
    {
        var need = written + Math.Max(sizeHint, 1);
        if (buffer is null)
        {
            return buffer = ArrayPool<byte>.Shared.Rent(Math.Max(need, InitialSize));
        }
        if (need > buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(need, 2L * buffer.Length)));
            buffer.AsSpan(0, written).CopyTo(bigger);
            Return(buffer);
            buffer = bigger;
        }
        return buffer;
    }
}
