using System.Net;
using System.Text;
using MailLab.Server.Imap;
using MailLab.Server.Sites;

namespace MailLab.Tests.Support;

/// <summary>
/// An IMAP session driven in memory like a transcript: <c>await t.Expect("7 select INBOX", "OK")</c>
/// returns every response line up to the tagged one. The server side is the real <see cref="ImapSession"/>.
/// Literals in responses are read by their announced size and kept inline after their <c>{n}</c>.
/// </summary>
public sealed class ImapTranscript : Transcript
{
    private ImapTranscript(Stream client, LabSite site) : base(client, site)
    {
    }

    public string Greeting { get; private set; } = "";

    public static async Task<ImapTranscript> StartAsync(LabSite site, bool implicitTls = false)
    {
        var (server, client) = DuplexPipe.Create();
        var remote = new IPEndPoint(IPAddress.Parse("127.0.3.1"), 40000);
        var local = new IPEndPoint(IPAddress.Parse(site.Definition.Address), 143);
        var t = new ImapTranscript(client, site);
        var id = "I" + Random.Shared.Next(1000, 9999);
        var session = new ImapSession(site, implicitTls, server, remote, local, id, TestLab.RolesOf(site).ImapUsers);
        t.Run(session, id, (s, ct) => s.RunAsync(ct));
        if (implicitTls)
        {
            await t.HandshakeAsync();
        }
        t.Greeting = await t.LineAsync();
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1", t.Greeting);
        return t;
    }

    /// <summary>STARTTLS then LOGIN: a logged-in session over TLS, as a real client gets it.</summary>
    public static async Task<ImapTranscript> LoggedInAsync(LabSite site, string user = "alice@uc.test", string password = "lab-alice")
    {
        var t = await StartAsync(site);
        await t.Expect("S1 STARTTLS", "OK");
        await t.HandshakeAsync();
        await t.Expect($"L1 LOGIN {user} {password}", "OK");
        return t;
    }

    /// <summary>One response line, with any literal it announces appended after CRLF.</summary>
    public async Task<string> LineAsync()
    {
        var sb = new StringBuilder();
        while (true)
        {
            var line = await lines.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("server closed the connection");
            sb.Append(line);
            if (!MailLab.Protocols.Imap.ImapFramer.TryLiteralAtEnd(Encoding.UTF8.GetBytes(line), out var size, out _) || line.StartsWith('+'))
            {
                return sb.ToString();
            }
            var buffer = new byte[size];
            await lines.Stream.ReadExactlyAsync(buffer, timeout.Token);
            sb.Append("\r\n").Append(Encoding.UTF8.GetString(buffer));
        }
    }

    /// <summary>Reads responses until the tagged one for <paramref name="tag"/>.</summary>
    public async Task<List<string>> UntilTaggedAsync(string tag)
    {
        var result = new List<string>();
        while (true)
        {
            var line = await LineAsync();
            result.Add(line);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                return result;
            }
        }
    }

    /// <summary>Sends a tagged line and asserts the tagged status (OK, NO, BAD, or more of the line).</summary>
    public async Task<List<string>> Expect(string line, string status)
    {
        var tag = line[..line.IndexOf(' ')];
        await SendAsync(line);
        var responses = await UntilTaggedAsync(tag);
        Assert.True(responses[^1].StartsWith($"{tag} {status}", StringComparison.Ordinal),
            $"C: {line}\nexpected {tag} {status}, got:\n{string.Join("\n", responses)}");
        return responses;
    }

    /// <summary>True when the server has closed the connection.</summary>
    public async Task<bool> ClosedAsync()
    {
        try
        {
            while (await lines.ReadLineAsync(timeout.Token) is not null)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

}
