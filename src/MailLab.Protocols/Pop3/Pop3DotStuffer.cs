using System.Buffers;

namespace MailLab.Protocols.Pop3;

/// <summary>
/// Turns message bytes into a multi-line reply body (RFC 1939 §3): a line that starts with "." gets
/// a second "." in front, and the body ends with CRLF "." CRLF. Everything else passes byte for byte,
/// so the client that removes the stuffing gets exactly the stored message. With a body line limit
/// it produces TOP's output (RFC 1939 §7): the header, the blank line, then at most n body lines.
/// Fed in chunks of any size (one byte at a time gives the same output); no I/O.
/// </summary>
public sealed class Pop3DotStuffer
{
    private readonly int? bodyLines;
    private bool lineStart = true;
    private bool inBody;
    private int lineLength;     // octets of the current line so far, terminator included
    private bool lineStartsCr;  // the current line's first octet is CR (a blank line may be "\r\n")
    private int bodyLinesDone;
    private byte last;
    private long written;

    /// <summary>A stuffer for RETR (<paramref name="bodyLines"/> null) or TOP (the line count).</summary>
    public Pop3DotStuffer(int? bodyLines = null)
    {
        if (bodyLines < 0) throw new ArgumentOutOfRangeException(nameof(bodyLines));
        this.bodyLines = bodyLines;
        inBody = false;
    }

    /// <summary>True once TOP has sent all it will; further input is ignored.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Message octets taken into the output so far (before stuffing).</summary>
    public long MessageOctets { get; private set; }

    /// <summary>Stuffs one chunk of the message into <paramref name="output"/>.</summary>
    public void Write(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        int i = 0;
        while (i < data.Length && !IsComplete)
        {
            if (lineStart)
            {
                if (inBody && bodyLinesDone >= bodyLines)
                {
                    IsComplete = true;
                    return;
                }
                if (data[i] == (byte)'.') output.Write("."u8);
                lineStart = false;
                lineLength = 0;
                lineStartsCr = data[i] == (byte)'\r';
            }
            int lf = data[i..].IndexOf((byte)'\n');
            int end = lf < 0 ? data.Length : i + lf + 1;
            var segment = data[i..end];
            output.Write(segment);
            MessageOctets += segment.Length;
            written += segment.Length;
            last = segment[^1];
            lineLength += segment.Length;
            if (lf >= 0)
            {
                // The blank line (LF or CRLF alone) ends the header (RFC 5322 §2.1).
                bool blank = lineLength == 1 || (lineLength == 2 && lineStartsCr);
                if (inBody) bodyLinesDone++;
                else if (blank) inBody = true;
                lineStart = true;
            }
            i = end;
        }
    }

    /// <summary>Ends the body: a CRLF if the message did not end with a line break, then ".\r\n".</summary>
    public void Finish(IBufferWriter<byte> output)
    {
        if (written > 0 && last != (byte)'\n') output.Write("\r\n"u8);
        output.Write(".\r\n"u8);
        IsComplete = true;
    }
}
