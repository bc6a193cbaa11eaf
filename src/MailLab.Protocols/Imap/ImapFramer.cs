using System.Buffers;

namespace MailLab.Protocols.Imap;

/// <summary>What <see cref="ImapFramer.Read"/> found in the bytes it was given.</summary>
public enum ImapFrameStatus
{
    /// <summary>The command is not complete yet; call again with more bytes.</summary>
    NeedMoreData,

    /// <summary>A whole command (its lines and literals) is in <see cref="ImapFramer.Frame"/>.</summary>
    Complete,

    /// <summary>
    /// The client announced a synchronising literal <c>{n}</c>: the server must send <c>+ ...</c>
    /// before the client sends the octets (RFC 3501 §7.5). Call again after sending it.
    /// </summary>
    NeedContinuation,

    /// <summary>A line exceeded the limit; the rest of it up to CRLF is skipped. The command is dropped.</summary>
    LineTooLong,

    /// <summary>A synchronising literal over the limit was announced; the command is dropped (no continuation is sent).</summary>
    LiteralTooLarge,

    /// <summary>A non-synchronising literal <c>{n+}</c> over the limit: its octets are on their way, the connection must close.</summary>
    NonSyncLiteralTooLarge,
}

/// <summary>
/// Splits the client's byte stream into whole IMAP commands without doing any I/O (sans-IO): one
/// command is its lines plus the literals they announce (<c>{n}</c> synchronising, RFC 3501 §4.3;
/// <c>{n+}</c> non-synchronising, RFC 7888 LITERAL+). The caller feeds whatever bytes it has and gets
/// either "need more", a continuation request to answer, a limit error, or a complete command frame
/// (bytes as sent, CRLFs and literals included) for <see cref="ImapParser"/>.
/// </summary>
public sealed class ImapFramer(int maxLine, long maxLiteral)
{
    /// <summary>Frame buffer kept between commands; one grown past this by a large literal is dropped by <see cref="Trim"/>.</summary>
    public const int KeptCapacity = 16 * 1024;

    private ArrayBufferWriter<byte> frame = new(256);
    private long literalLeft;
    private bool skippingLine;
    private int lineLength;

    /// <summary>Longest line (without literals), in octets.</summary>
    public int MaxLine { get; set; } = maxLine;

    /// <summary>Largest literal (for APPEND: the largest message).</summary>
    public long MaxLiteral { get; set; } = maxLiteral;

    /// <summary>Most octets one command may carry in total: one literal's worth plus a few lines.</summary>
    public long MaxCommand => MaxLiteral + 4L * MaxLine;

    /// <summary>The complete command after <see cref="ImapFrameStatus.Complete"/>; valid until the next call.</summary>
    public ReadOnlyMemory<byte> Frame => frame.WrittenMemory;

    /// <summary>The tag at the start of the current (possibly partial or refused) command, or null.</summary>
    public string? Tag => ImapParser.PeekTag(frame.WrittenSpan);

    /// <summary>Octets the frame buffer holds now (its capacity, not what is written in it).</summary>
    public int Capacity => frame.Capacity;

    /// <summary>Size of the literal just announced (after a continuation or too-large status).</summary>
    public long AnnouncedLiteral { get; private set; }

    /// <summary>Consumes bytes from <paramref name="buffer"/> (it is sliced past what was used).</summary>
    public ImapFrameStatus Read(ref ReadOnlySequence<byte> buffer)
    {
        if (completed)
        {
            frame.ResetWrittenCount();
            completed = false;
        }
        while (true)
        {
            if (literalLeft > 0)
            {
                var take = Math.Min(literalLeft, buffer.Length);
                foreach (var segment in buffer.Slice(0, take))
                {
                    frame.Write(segment.Span);
                }
                buffer = buffer.Slice(take);
                literalLeft -= take;
                if (literalLeft > 0)
                {
                    return ImapFrameStatus.NeedMoreData;
                }
            }
            var lf = buffer.PositionOf((byte)'\n');
            if (lf is null)
            {
                var pending = buffer.Length;
                if (skippingLine)
                {
                    buffer = buffer.Slice(buffer.End);
                    return ImapFrameStatus.NeedMoreData;
                }
                if (lineLength + pending > MaxLine)
                {
                    if (frame.WrittenCount == 0)
                    {
                        frame.Write(buffer.Slice(0, Math.Min(pending, RefusedKept)).ToArray()); // keeps the tag for the BAD
                    }
                    buffer = buffer.Slice(buffer.End);
                    Refuse();
                    skippingLine = true;
                    return ImapFrameStatus.LineTooLong;
                }
                // Keep partial lines in the frame so the caller may drop what it gave us.
                foreach (var segment in buffer)
                {
                    frame.Write(segment.Span);
                }
                lineLength += (int)pending;
                buffer = buffer.Slice(buffer.End);
                return ImapFrameStatus.NeedMoreData;
            }
            var line = buffer.Slice(0, lf.Value);
            buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
            if (skippingLine)
            {
                skippingLine = false;
                frame.ResetWrittenCount();
                lineLength = 0;
                continue;
            }
            if (lineLength + line.Length > MaxLine)
            {
                if (frame.WrittenCount == 0)
                {
                    frame.Write(line.Slice(0, Math.Min(line.Length, RefusedKept)).ToArray());
                }
                Refuse();
                return ImapFrameStatus.LineTooLong;
            }
            foreach (var segment in line)
            {
                frame.Write(segment.Span);
            }
            // The CR is part of the line already (or missing: a bare LF is accepted as a line end).
            if (frame.WrittenCount == 0 || frame.WrittenSpan[^1] != (byte)'\r')
            {
                frame.Write("\r"u8);
            }
            frame.Write("\n"u8);
            lineLength = 0;
            if (frame.WrittenCount > MaxCommand)
            {
                Refuse();
                return ImapFrameStatus.LineTooLong;
            }
            if (TryLiteralAtEnd(frame.WrittenSpan[..^2], out var size, out var sync))
            {
                AnnouncedLiteral = size;
                if (size > MaxLiteral || frame.WrittenCount + size > MaxCommand)
                {
                    Refuse();
                    return sync ? ImapFrameStatus.LiteralTooLarge : ImapFrameStatus.NonSyncLiteralTooLarge;
                }
                literalLeft = size;
                if (sync)
                {
                    return ImapFrameStatus.NeedContinuation;
                }
                continue;
            }
            completed = true;
            return ImapFrameStatus.Complete;
        }
    }

    private bool completed;
    private byte[]? lastRefused;

    /// <summary>The tag of the command refused by the last limit status (null if it had none).</summary>
    public string? RefusedTag => lastRefused is null ? null : ImapParser.PeekTag(lastRefused);

    /// <summary>Forgets any partial command (after STARTTLS, or when the caller gives up on it).</summary>
    public void Reset()
    {
        frame.ResetWrittenCount();
        literalLeft = 0;
        lineLength = 0;
        skippingLine = false;
        completed = false;
    }

    /// <summary>
    /// Drops a buffer grown by a large command (an APPEND literal) unless a partial command is held in it,
    /// so a connection that waits for its client keeps a small one. The last <see cref="Frame"/> is gone after it.
    /// </summary>
    public void Trim()
    {
        if (frame.Capacity > KeptCapacity && (completed || frame.WrittenCount == 0))
        {
            frame = new ArrayBufferWriter<byte>(256);
            completed = false;
        }
    }

    // Only the start is kept, for the tag of the BAD/NO: the same 64 octets however the command arrived
    // (whole or in pieces), and never a copy of a refused command of up to MaxCommand octets.
    private void Refuse()
    {
        lastRefused = frame.WrittenSpan[..Math.Min(frame.WrittenCount, RefusedKept)].ToArray();
        Reset();
    }

    private const int RefusedKept = 64;

    /// <summary>True when the line ends with <c>{digits}</c> or <c>{digits+}</c> (RFC 3501 §9 literal, RFC 7888 literal+).</summary>
    public static bool TryLiteralAtEnd(ReadOnlySpan<byte> line, out long size, out bool sync)
    {
        size = 0;
        sync = true;
        if (line.Length < 3 || line[^1] != (byte)'}')
        {
            return false;
        }
        var end = line.Length - 1;
        if (line[end - 1] == (byte)'+')
        {
            sync = false;
            end--;
        }
        var open = line[..end].LastIndexOf((byte)'{');
        if (open < 0 || open == end - 1 || end - open - 1 > 10)
        {
            return false;
        }
        foreach (var b in line[(open + 1)..end])
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            size = size * 10 + (b - '0');
        }
        return true;
    }
}
