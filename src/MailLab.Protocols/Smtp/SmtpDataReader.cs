using System.Buffers;

namespace MailLab.Protocols.Smtp;

/// <summary>Outcome of <see cref="SmtpDataReader.Read"/>.</summary>
public enum DataStatus
{
    /// <summary>End of data not seen yet; everything given was consumed.</summary>
    NeedMoreData,

    /// <summary>CRLF.CRLF was seen; the buffer now starts after it.</summary>
    Complete,
}

/// <summary>
/// Reads the content of one DATA transaction (RFC 5321 §4.1.1.4) as a byte state machine:
/// removes dot-stuffing (§4.5.2), ends only at CRLF "." CRLF, and notes bare CR or LF
/// (SMTP smuggling) instead of treating them as line ends. Memory use is constant.
/// </summary>
/// <remarks>
/// Content bytes are written through unchanged apart from unstuffing, so a valid message
/// arrives with its CRLF line endings. A message with <see cref="BareLineEnding"/> is meant to be
/// rejected (550 5.6.0), so its bytes are not repaired.
/// </remarks>
public sealed class SmtpDataReader
{
    private enum State
    {
        LineStart,  // at the start of a line, nothing read yet
        Dot,        // a line after CRLF began with '.', not written yet
        DotCr,      // ".<CR>" at the start of such a line
        Mid,        // inside a line
        Cr,         // a CR inside a line, not written yet
    }

    private readonly long _maxMessageSize;
    private readonly int _maxTextLine;
    private State _state = State.LineStart;
    private bool _afterCrlf = true; // the DATA command's CRLF counts: "." first ends an empty message
    private long _lineLength;       // octets on the wire in the current line, without terminator

    /// <summary>Creates a reader for one transaction.</summary>
    public SmtpDataReader(long maxMessageSize, int maxTextLine = SmtpLimits.DefaultMaxTextLine)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMessageSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTextLine, 3);
        _maxMessageSize = maxMessageSize;
        _maxTextLine = maxTextLine;
    }

    /// <summary>Creates a reader with the message size and text line limits from <paramref name="limits"/>.</summary>
    public SmtpDataReader(SmtpLimits limits) : this(limits.MaxMessageSize, limits.MaxTextLine) { }

    /// <summary>
    /// Text lines ended so far (by CRLF or a bare LF). A server can time each line with it: a client that
    /// sends a byte now and then makes no progress by this count (RFC 5321 §4.5.3.2.6 times the data block).
    /// </summary>
    public long Lines { get; private set; }

    /// <summary>True once CRLF.CRLF was read.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Octets of unstuffed content (also counted past the limit).</summary>
    public long Size { get; private set; }

    /// <summary>Content exceeded the maximum size; output stopped, input was still consumed (552 5.3.4).</summary>
    public bool TooLarge { get; private set; }

    /// <summary>A text line exceeded the limit of RFC 5321 §4.5.3.1.6.</summary>
    public bool LineTooLong { get; private set; }

    /// <summary>A CR or LF appeared that was not part of a CRLF pair (smuggling risk, 550 5.6.0).</summary>
    public bool BareLineEnding { get; private set; }

    /// <summary>
    /// Consumes bytes from <paramref name="buffer"/>, writing unstuffed content to <paramref name="output"/>.
    /// On <see cref="DataStatus.NeedMoreData"/> the whole buffer was consumed; on
    /// <see cref="DataStatus.Complete"/> the buffer starts after the final CRLF (pipelined commands).
    /// </summary>
    public DataStatus Read(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsComplete)
            return DataStatus.Complete;

        long consumed = 0;
        foreach (ReadOnlyMemory<byte> memory in buffer)
        {
            int used = Process(memory.Span, output);
            consumed += used;
            if (IsComplete)
            {
                buffer = buffer.Slice(consumed);
                return DataStatus.Complete;
            }
        }
        buffer = buffer.Slice(buffer.End);
        return DataStatus.NeedMoreData;
    }

    // Returns how many bytes of span were used (all of them unless the end was found).
    private int Process(ReadOnlySpan<byte> span, IBufferWriter<byte> output)
    {
        int i = 0;
        while (i < span.Length)
        {
            if (_state == State.Mid)
            {
                // Fast path: copy the run up to the next CR or LF in one write.
                int run = span[i..].IndexOfAny((byte)'\r', (byte)'\n');
                if (run < 0) run = span.Length - i;
                if (run > 0)
                {
                    Emit(span.Slice(i, run), output);
                    _lineLength += run;
                    i += run;
                    continue;
                }
            }
            if (Step(span[i], output))
                return i + 1;
            i++;
        }
        return i;
    }

    // One byte through the state machine; true when it completed CRLF "." CRLF.
    private bool Step(byte b, IBufferWriter<byte> output)
    {
        switch (_state)
        {
            case State.LineStart:
                if (b == (byte)'.' && _afterCrlf)
                {
                    _lineLength = 1;
                    _state = State.Dot;
                    return false;
                }
                return InLine(b, output);

            case State.Dot:
                if (b == (byte)'\r')
                {
                    _state = State.DotCr;
                    return false;
                }
                // §4.5.2: the leading dot was transparency; drop it and go on with the line.
                return InLine(b, output);

            case State.DotCr:
                if (b == (byte)'\n')
                {
                    // CRLF "." CRLF: the only end of data (§4.1.1.4); never after a bare CR or LF.
                    IsComplete = true;
                    return true;
                }
                BareLineEnding = true; // "<CRLF>.<CR>" followed by something other than LF
                Emit("\r"u8, output);
                _lineLength++;
                return InLine(b, output);

            case State.Cr:
                if (b == (byte)'\n')
                {
                    Emit("\r\n"u8, output);
                    EndLine(terminator: 2, crlf: true);
                    return false;
                }
                BareLineEnding = true; // a CR not followed by LF
                Emit("\r"u8, output);
                _lineLength++;
                return InLine(b, output);

            default:
                return InLine(b, output);
        }
    }

    // A byte inside a line (state Mid semantics).
    private bool InLine(byte b, IBufferWriter<byte> output)
    {
        if (b == (byte)'\r')
        {
            _state = State.Cr;
        }
        else if (b == (byte)'\n')
        {
            BareLineEnding = true; // a LF without CR: never a line end for end-of-data purposes
            Emit("\n"u8, output);
            EndLine(terminator: 1, crlf: false);
        }
        else
        {
            Span<byte> one = [b];
            Emit(one, output);
            _lineLength++;
            _state = State.Mid;
        }
        return false;
    }

    private void EndLine(int terminator, bool crlf)
    {
        // RFC 5321 §4.5.3.1.6: 1000 octets including CRLF, counted on the wire (with stuffing dot).
        if (_lineLength + terminator > _maxTextLine)
            LineTooLong = true;
        _lineLength = 0;
        Lines++;
        _afterCrlf = crlf;
        _state = State.LineStart;
    }

    private void Emit(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        Size += bytes.Length;
        if (Size > _maxMessageSize)
            TooLarge = true; // keep consuming so the session stays in sync and can reply 552
        if (!TooLarge)
            output.Write(bytes);
    }
}
