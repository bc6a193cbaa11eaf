using System.Buffers;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Tests.Protocols.Smtp;

namespace MailLab.Tests.Protocols.Imap;

/// <summary>Drives <see cref="ImapFramer"/> and <see cref="ImapParser"/> in every <see cref="FeedMode"/>.</summary>
public static class ImapFeed
{
    /// <summary>What came out: a status per non-NeedMoreData result, with the parsed command (or error) for Complete.</summary>
    public static List<string> Run(byte[] input, FeedMode mode, int maxLine = 8192, long maxLiteral = 1 << 20)
    {
        var framer = new ImapFramer(maxLine, maxLiteral);
        var results = new List<string>();
        if (mode == FeedMode.ByteByByte)
        {
            byte[] pending = [];
            foreach (var b in input)
            {
                var buffer = Feed.Segmented([pending, [b]]);
                Drain(framer, ref buffer, results);
                pending = buffer.ToArray();
            }
            Assert.Empty(pending); // the framer keeps partial input itself
            return results;
        }
        var whole = mode == FeedMode.Whole ? new ReadOnlySequence<byte>(input) : Feed.Segmented(input.Select(b => new[] { b }).ToList());
        Drain(framer, ref whole, results);
        return results;
    }

    /// <summary>Runs in every mode, asserts they agree, returns the common outcome.</summary>
    public static List<string> All(string input, int maxLine = 8192, long maxLiteral = 1 << 20)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        var whole = Run(bytes, FeedMode.Whole, maxLine, maxLiteral);
        foreach (var mode in Feed.AllModes.Skip(1))
        {
            Assert.Equal(whole, Run(bytes, mode, maxLine, maxLiteral));
        }
        return whole;
    }

    /// <summary>Parses exactly one command (fed in every mode); asserts it parsed.</summary>
    public static ImapCommand One(string input)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        ImapCommand? first = null;
        foreach (var mode in Feed.AllModes)
        {
            var framer = new ImapFramer(8192, 1 << 20);
            var commands = new List<ImapCommand>();
            void Take(ref ReadOnlySequence<byte> buffer)
            {
                while (buffer.Length > 0)
                {
                    var status = framer.Read(ref buffer);
                    if (status == ImapFrameStatus.Complete)
                    {
                        var (c, e) = ImapParser.Parse(framer.Frame);
                        Assert.True(c is not null, e?.Reason);
                        commands.Add(c!);
                    }
                    else if (status == ImapFrameStatus.NeedMoreData)
                    {
                        break;
                    }
                }
            }
            if (mode == FeedMode.ByteByByte)
            {
                foreach (var b in bytes)
                {
                    var one = new ReadOnlySequence<byte>([b]);
                    Take(ref one);
                }
            }
            else
            {
                var seq = mode == FeedMode.Whole ? new ReadOnlySequence<byte>(bytes) : Feed.Segmented(bytes.Select(b => new[] { b }).ToList());
                Take(ref seq);
            }
            var c1 = Assert.Single(commands);
            if (first is null) first = c1;
            else Assert.Equal(first.ToString(), c1.ToString());
        }
        return first!;
    }

    private static void Drain(ImapFramer framer, ref ReadOnlySequence<byte> buffer, List<string> results)
    {
        while (true)
        {
            var before = buffer.Length;
            var status = framer.Read(ref buffer);
            switch (status)
            {
                case ImapFrameStatus.NeedMoreData:
                    return;
                case ImapFrameStatus.Complete:
                    var (c, e) = ImapParser.Parse(framer.Frame);
                    results.Add(c is not null ? "command " + c : $"error {e!.Tag ?? "*"}: {e.Reason}");
                    break;
                case ImapFrameStatus.NeedContinuation:
                    results.Add("+ " + framer.AnnouncedLiteral);
                    break;
                default:
                    results.Add($"{status} {framer.RefusedTag ?? "*"}");
                    break;
            }
            if (buffer.Length == 0 && before == 0)
            {
                return;
            }
        }
    }
}
