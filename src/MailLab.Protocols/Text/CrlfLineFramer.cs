using System.Buffers;
using System.Text;

namespace MailLab.Protocols.Text;

/// <summary>Outcome of <see cref="CrlfLineFramer.Read"/>.</summary>
public enum FrameStatus
{
    /// <summary>No complete line yet; read more bytes and call again.</summary>
    NeedMoreData,

    /// <summary>A line was framed and returned without its terminator.</summary>
    Line,

    /// <summary>A line over the limit was discarded up to and including its LF.</summary>
    LineTooLong,
}

/// <summary>
/// Cuts CRLF-terminated text lines out of a byte stream (one framer per connection): SMTP command
/// lines (RFC 5321 §2.3.8) and POP3 command lines (RFC 1939 §3) alike. Bounded memory: an over-long
/// line is discarded as it arrives and reported once, when its LF is seen.
/// </summary>
public sealed class CrlfLineFramer
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private int _maxLine;
    private bool _discarding;

    /// <summary>Creates a framer for lines of at most <paramref name="maxLine"/> octets including CRLF.</summary>
    public CrlfLineFramer(int maxLine)
    {
        MaxLine = maxLine;
    }

    /// <summary>
    /// Line limit in octets including CRLF. The session may raise it during a SASL exchange
    /// (RFC 4954 §4, RFC 5034 §4) and lower it again afterwards.
    /// </summary>
    public int MaxLine
    {
        get => _maxLine;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 3);
            _maxLine = value;
        }
    }

    /// <summary>True while the rest of an over-long line is being thrown away.</summary>
    public bool IsDiscarding => _discarding;

    /// <summary>Forgets a half-discarded line, e.g. when the transport switches to TLS.</summary>
    public void Reset() => _discarding = false;

    /// <summary>
    /// Frames one line from <paramref name="buffer"/> and advances the buffer past it.
    /// On <see cref="FrameStatus.NeedMoreData"/> a partial line stays in the buffer, unless it is
    /// already too long (then it is consumed and discarded).
    /// </summary>
    public FrameStatus Read(ref ReadOnlySequence<byte> buffer, out string line)
    {
        line = string.Empty;
        SequencePosition? lf = buffer.PositionOf((byte)'\n');

        if (_discarding)
        {
            if (lf is null)
            {
                buffer = buffer.Slice(buffer.End);
                return FrameStatus.NeedMoreData;
            }
            buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
            _discarding = false;
            return FrameStatus.LineTooLong;
        }

        // Content may be at most MaxLine - 2 octets: room for CRLF (RFC 5321 §4.5.3.1.4, RFC 2449 §4).
        long maxContent = _maxLine - 2;
        if (lf is null)
        {
            // Without an LF, at least Length - 1 octets are content (the last may be the CR).
            if (buffer.Length - 1 > maxContent)
            {
                _discarding = true;
                buffer = buffer.Slice(buffer.End);
            }
            return FrameStatus.NeedMoreData;
        }

        ReadOnlySequence<byte> content = buffer.Slice(0, lf.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));

        // CRLF is the terminator; a bare LF is accepted on command lines (as Postfix does).
        if (content.Length > 0 && LastByte(content) == (byte)'\r')
            content = content.Slice(0, content.Length - 1);

        if (content.Length > maxContent)
            return FrameStatus.LineTooLong;

        // RFC 6531: with SMTPUTF8, SMTP command lines may carry UTF-8.
        line = Utf8.GetString(content);
        return FrameStatus.Line;
    }

    private static byte LastByte(ReadOnlySequence<byte> seq) => seq.Slice(seq.Length - 1).FirstSpan[0];
}
