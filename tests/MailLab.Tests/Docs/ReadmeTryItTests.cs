using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailLab.Tests.Support;

namespace MailLab.Tests.Docs;

/// <summary>
/// The README's "Try it" forgery, typed as written into a lab with the default lab's switches: the
/// reply it promises after the final dot, and the variant its prose describes (a uc.test sender,
/// delivered with the subject tagged and the headers it names).
/// </summary>
public sealed partial class ReadmeTryItTests
{
    private static string Section()
    {
        var readme = File.ReadAllText(Repository.File("README.md"));
        var start = readme.IndexOf("\n## Try it", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no '## Try it' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return readme[start..end];
    }

    [Fact]
    public async Task The_forged_CEO_mail_gets_the_reply_the_README_promises_and_the_uc_test_variant_is_delivered_as_it_says()
    {
        var section = Section();
        var block = FirstBlock().Match(section).Groups[1].Value.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var nc = NcLine().Match(block[0]);
        Assert.True(nc.Success, $"the block does not start with 'nc -C -s SRC DST PORT': {block[0]}");
        var typed = block.Skip(1).ToList();
        var promised = Promised().Match(section);
        Assert.True(promised.Success, "the prose names no reply for the forged message");
        var variant = Variant().Match(section);
        Assert.True(variant.Success, "the prose names no uc.test variant");

        await using var lab = TestLab.Create(dmarcMonitorOnly: false, showDmarcVerdict: true).Start();
        // The README's addresses are the default lab's: the student's source and bank's MTA; the port is the test lab's own.
        Assert.Equal(lab.Definition.Sites.Single(s => s.Name == "bank").Address, nc.Groups["dst"].Value);
        Assert.Equal(lab.Definition.Sites.Single(s => s.Name == "evil").Address, nc.Groups["src"].Value);
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        var source = IPAddress.Parse(nc.Groups["src"].Value);

        var replies = await TypeAsync(source, mta, typed);
        Assert.StartsWith(promised.Groups[1].Value, replies["."]);

        var forgedFrom = typed.Single(l => l.StartsWith("MAIL FROM:", StringComparison.Ordinal));
        var headerFrom = typed.Single(l => l.StartsWith("From:", StringComparison.Ordinal));
        var second = typed.Select(l => l == forgedFrom ? variant.Groups["mail"].Value : l == headerFrom ? Regex.Replace(variant.Groups["from"].Value, @"\s+", " ") : l).ToList();
        replies = await TypeAsync(source, mta, second);
        Assert.True(replies["."].StartsWith("250 ", StringComparison.Ordinal), string.Join("\n", second) + "\n" + string.Join("", replies.Values));

        var inbox = Path.Combine(lab.DataDirectory, InboxPath().Match(section).Groups[1].Value);
        var file = Assert.Single(Directory.GetFiles(inbox));
        var message = await File.ReadAllTextAsync(file);
        var header = message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.Matches(@"(?m)^Subject: \[DMARC fail\] urgent\r?$", header);
        var shown = Shown().Match(section);
        Assert.True(shown.Success, "the prose names no header fields that `cat` shows");
        foreach (var name in HeaderNames().Matches(shown.Groups[1].Value).Select(m => m.Groups[1].Value))
        {
            Assert.Matches($"(?m)^{Regex.Escape(name)}: ", header);
        }
    }

    /// <summary>Types the lines as a student at nc would, reading each reply; returns the last reply to each command line.</summary>
    private static async Task<Dictionary<string, string>> TypeAsync(IPAddress source, IPEndPoint server, IReadOnlyList<string> lines)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(server, timeout.Token);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var replies = new Dictionary<string, string>();
        Assert.StartsWith("220", await ReplyAsync(reader, timeout.Token));
        bool inData = false;
        foreach (var line in lines)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), timeout.Token);
            if (inData && line != ".") continue;
            var reply = await ReplyAsync(reader, timeout.Token);
            replies[line == "." ? "." : line.Split(':', ' ')[0]] = reply;
            inData = reply.StartsWith("354", StringComparison.Ordinal);
            if (line == ".") inData = false;
        }
        return replies;
    }

    private static async Task<string> ReplyAsync(StreamReader reader, CancellationToken ct)
    {
        var text = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("the server closed the connection");
            text.Append(line).Append('\n');
            if (line.Length < 4 || line[3] != '-') return text.ToString();
        }
    }

    [GeneratedRegex(@"```sh\n(.*?)\n```", RegexOptions.Singleline)] private static partial Regex FirstBlock();
    [GeneratedRegex(@"^nc -C -s (?<src>\S+) (?<dst>\S+) (?<port>\d+)")] private static partial Regex NcLine();
    [GeneratedRegex(@"refuses the message with `(\d{3} \d\.\d\.\d+)`")] private static partial Regex Promised();
    [GeneratedRegex(@"`(?<mail>MAIL FROM:<[^`>]+>)`,\s*`(?<from>From:\s*<[^`>]+>)`", RegexOptions.Singleline)] private static partial Regex Variant();
    [GeneratedRegex(@"`ls maillab-data/([^`]+?)/?`")] private static partial Regex InboxPath();
    [GeneratedRegex(@"`cat`\s+shows\s+the\s+(.*?)\s+lines", RegexOptions.Singleline)] private static partial Regex Shown();
    [GeneratedRegex(@"`([A-Z][A-Za-z-]+)`")] private static partial Regex HeaderNames();
}
