using System.Buffers;
using System.Text;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;

namespace MailLab.Tests.Protocols.Smtp;

/// <summary>Ways of handing bytes to a sans-IO parser, as a PipeReader might.</summary>
public enum FeedMode
{
    Whole,          // one buffer, one segment
    ByteByByte,     // one byte arrives at a time; unconsumed bytes are kept, as PipeReader does
    OneByteSegments // one buffer made of one-byte segments
}

/// <summary>Test helpers that drive the framer and the data reader in every <see cref="FeedMode"/>.</summary>
public static class Feed
{
    public static readonly FeedMode[] AllModes = [FeedMode.Whole, FeedMode.ByteByByte, FeedMode.OneByteSegments];

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static ReadOnlySequence<byte> Segmented(IReadOnlyList<byte[]> parts)
    {
        parts = parts.Where(p => p.Length > 0).ToList();
        if (parts.Count == 0)
            return ReadOnlySequence<byte>.Empty;
        var first = new Segment(parts[0], 0);
        Segment last = first;
        foreach (byte[] p in parts.Skip(1))
            last = last.Append(p);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Frames all of <paramref name="input"/>; returns each non-NeedMoreData result and the bytes left unconsumed.</summary>
    public static (List<(FrameStatus Status, string Line)> Results, byte[] Remaining) Frame(byte[] input, FeedMode mode, int maxLine = SmtpLimits.DefaultMaxCommandLine)
    {
        var framer = new CrlfLineFramer(maxLine);
        var results = new List<(FrameStatus, string)>();
        if (mode == FeedMode.ByteByByte)
        {
            byte[] pending = [];
            foreach (byte b in input)
            {
                var buffer = Segmented([pending, [b]]);
                Drain(framer, ref buffer, results);
                pending = buffer.ToArray();
            }
            return (results, pending);
        }
        var whole = mode == FeedMode.Whole ? new ReadOnlySequence<byte>(input) : Segmented(input.Select(b => new[] { b }).ToList());
        Drain(framer, ref whole, results);
        return (results, whole.ToArray());
    }

    /// <summary>Frames in every mode, asserts the modes agree, returns the common results.</summary>
    public static List<(FrameStatus Status, string Line)> FrameAllModes(string input, int maxLine = SmtpLimits.DefaultMaxCommandLine)
    {
        var whole = Frame(Bytes(input), FeedMode.Whole, maxLine);
        foreach (FeedMode mode in AllModes.Skip(1))
        {
            var other = Frame(Bytes(input), mode, maxLine);
            Assert.Equal(whole.Results, other.Results);
            Assert.Equal(whole.Remaining, other.Remaining);
        }
        return whole.Results;
    }

    /// <summary>Frames one wire line in every mode and parses it.</summary>
    public static SmtpParseResult ParseWire(string wireLine)
    {
        var results = FrameAllModes(wireLine);
        var single = Assert.Single(results);
        Assert.Equal(FrameStatus.Line, single.Status);
        return SmtpCommandParser.Parse(single.Line);
    }

    private static void Drain(CrlfLineFramer framer, ref ReadOnlySequence<byte> buffer, List<(FrameStatus, string)> results)
    {
        while (true)
        {
            FrameStatus status = framer.Read(ref buffer, out string line);
            if (status == FrameStatus.NeedMoreData)
                return;
            results.Add((status, line));
        }
    }

    /// <summary>Result of running a data reader over chunks.</summary>
    public sealed record DataRun(DataStatus Status, byte[] Output, byte[] Rest, SmtpDataReader Reader);

    /// <summary>
    /// Runs a data reader over the chunks like a session: unconsumed bytes are kept and prefixed to
    /// the next chunk; output is spooled away and the writer reset after every call.
    /// </summary>
    public static DataRun ReadData(IEnumerable<byte[]> chunks, long maxSize = 1 << 20, int maxTextLine = 1000, bool oneByteSegments = false)
    {
        var reader = new SmtpDataReader(maxSize, maxTextLine);
        var writer = new ArrayBufferWriter<byte>();
        var spool = new List<byte>();
        byte[] pending = [];
        var queue = new Queue<byte[]>(chunks);
        DataStatus status = DataStatus.NeedMoreData;
        while (queue.Count > 0)
        {
            byte[] chunk = queue.Dequeue();
            byte[] data = [.. pending, .. chunk];
            var buffer = oneByteSegments ? Segmented(data.Select(b => new[] { b }).ToList()) : Segmented([pending, chunk]);
            status = reader.Read(ref buffer, writer);
            spool.AddRange(writer.WrittenSpan.ToArray());
            writer.ResetWrittenCount();
            pending = buffer.ToArray();
            if (status == DataStatus.Complete)
                break;
        }
        byte[] rest = [.. pending, .. queue.SelectMany(c => c)];
        return new DataRun(status, spool.ToArray(), rest, reader);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
