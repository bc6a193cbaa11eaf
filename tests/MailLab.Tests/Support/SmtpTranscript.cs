using System.Net;
using MailLab.Server.Sites;
using MailLab.Server.Smtp;

namespace MailLab.Tests.Support;

/// <summary>
/// An SMTP session driven in memory like a transcript: <c>await t.Expect("MAIL FROM:&lt;a@b&gt;", "250")</c>.
/// The server side is the real <see cref="SmtpSession"/>; only the socket is replaced by pipes.
/// </summary>
public sealed class SmtpTranscript : Transcript
{
    private SmtpTranscript(Stream client, LabSite site) : base(client, site)
    {
    }

    internal static async Task<SmtpTranscript> StartAsync(LabSite site, SmtpProfile profile, string clientIp = "127.0.3.1", bool expectGreeting = true)
    {
        var (server, client) = DuplexPipe.Create();
        var remote = new IPEndPoint(IPAddress.Parse(clientIp), 40000);
        var local = new IPEndPoint(IPAddress.Parse(site.Definition.Address), 25);
        var started = new SmtpTranscript(client, site);
        var id = "T" + Random.Shared.Next(1000, 9999);
        var session = new SmtpSession(site, profile, server, remote, local, id, TestLab.RolesOf(site).Queue);
        started.Run(session, id, (s, ct) => s.RunAsync(ct));
        if (profile.ImplicitTls)
        {
            await started.HandshakeAsync();
        }
        if (expectGreeting)
        {
            Assert.StartsWith("220 ", await started.ReplyAsync());
        }
        return started;
    }

    public async Task<string> ReplyAsync() => await lines.ReadReplyAsync(timeout.Token) ?? throw new EndOfStreamException("server closed the connection");

    /// <summary>Sends a line and asserts the reply starts with <paramref name="expected"/> (e.g. "250" or "503 5.5.1").</summary>
    public async Task<string> Expect(string line, string expected)
    {
        await SendAsync(line);
        var reply = await ReplyAsync();
        Assert.True(reply.StartsWith(expected, StringComparison.Ordinal), $"C: {line}\nexpected {expected}, got:\n{reply}");
        return reply;
    }

    /// <summary>The AUTH PLAIN initial response for <paramref name="user"/> (RFC 4616 §2).</summary>
    public static string Plain(string user, string password) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    /// <summary>On the submission port: EHLO, STARTTLS and the handshake, EHLO again, AUTH PLAIN, each expected to succeed.</summary>
    public async Task LogInOverStartTlsAsync(string user, string password)
    {
        await Expect("EHLO laptop", "250");
        await Expect("STARTTLS", "220");
        await HandshakeAsync();
        await Expect("EHLO laptop", "250");
        await Expect("AUTH PLAIN " + Plain(user, password), "235");
    }

    /// <summary>MAIL, RCPT and DATA, each expected to succeed; the caller sends the content next.</summary>
    public async Task StartData(string mailFrom, string rcptTo)
    {
        await Expect($"MAIL FROM:<{mailFrom}>", "250");
        await Expect($"RCPT TO:<{rcptTo}>", "250");
        await Expect("DATA", "354");
    }

    /// <summary>True when the server has closed the connection (reads end of stream).</summary>
    public async Task<bool> ClosedAsync() => await lines.ReadLineAsync(timeout.Token) is null;

    /// <summary>A message body of header and text lines, CRLF-terminated, ending in the dot line.</summary>
    public static string Message(string from, string to, string subject, string body = "Hello.") =>
        $"From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@test>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\n{body}\r\n.\r\n";

}
