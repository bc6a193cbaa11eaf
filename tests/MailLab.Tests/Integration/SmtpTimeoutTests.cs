using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Integration;

/// <summary>
/// Issue 20 item 6: a client that drips bytes must not keep an SMTP session open. A command line (and
/// a text line in DATA) must be complete within command-timeout however the bytes trickle in, and
/// session-timeout is a hard deadline. Lab: command-timeout 2 s, session-timeout 6 s; the client
/// sends a byte every 250 ms, always inside the command timeout, so only the fix can close it.
/// </summary>
public sealed class SmtpTimeoutTests : IAsyncLifetime
{
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        var yaml = TestLab.LabYaml(plaintextAuth: true, commandTimeout: "2s")
            .Replace("command-timeout: 2s", "command-timeout: 2s\n  session-timeout: 6s");
        lab = TestLab.FromYaml(yaml).Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    /// <summary>An upper bound far over the expected 2-6 s; only a session that is never closed reaches it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(25);

    private sealed class Client : IDisposable
    {
        private readonly TcpClient tcp = new();
        private readonly CancellationTokenSource cts = new(Bound);
        private NetworkStream stream = null!;
        private ClientLines lines = null!;

        public async Task ConnectAsync(IPEndPoint to)
        {
            await tcp.ConnectAsync(to, cts.Token);
            stream = tcp.GetStream();
            lines = new ClientLines(stream);
            Assert.StartsWith("220", await lines.ReadReplyAsync(cts.Token));
        }

        public async Task Say(string line, string expected)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), cts.Token);
            var reply = await lines.ReadReplyAsync(cts.Token);
            Assert.True(reply?.StartsWith(expected) == true, $"C: {line}: expected {expected}, got {reply}");
        }

        /// <summary>
        /// Writes <paramref name="text"/> over and over, one byte per tick (or all of it per tick when
        /// <paramref name="whole"/>), until the server closes.
        /// </summary>
        public async Task DripAsync(string text, TimeSpan tick, bool whole)
        {
            try
            {
                for (int i = 0; !cts.IsCancellationRequested; i++)
                {
                    var piece = whole ? text : text[i % text.Length].ToString();
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(piece), cts.Token);
                    await Task.Delay(tick, cts.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the server closed the connection: what the test waits for
            }
        }

        /// <summary>The last reply before the server closed the connection; null if the bound passed first.</summary>
        public async Task<string?> FinalReplyAsync()
        {
            try
            {
                string? last = null;
                try
                {
                    while (await lines.ReadReplyAsync(cts.Token) is { } reply) last = reply;
                }
                catch (IOException)
                {
                    // a reset after the last reply (bytes we dripped were still unread when the server closed)
                }
                return last;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            cts.Cancel();
            tcp.Dispose();
            cts.Dispose();
        }
    }

    private async Task<Client> Open(string role, string tls)
    {
        var c = new Client();
        await c.ConnectAsync(lab.Runtime!.EndPoint("bank", role, tls));
        return c;
    }

    private static async Task<(string? Reply, TimeSpan Took)> DripUntilClosed(Client c, string text, bool wholeLines = false)
    {
        var watch = Stopwatch.StartNew();
        var drip = c.DripAsync(text, TimeSpan.FromMilliseconds(250), wholeLines);
        var reply = await c.FinalReplyAsync();
        watch.Stop();
        c.Dispose();
        await drip;
        return (reply, watch.Elapsed);
    }

    private async Task StartData(Client c, string role)
    {
        await c.Say("EHLO drip.test", "250");
        if (role == "MSA")
        {
            await c.Say("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0bob@bank.test\0lab-bob")), "235");
            await c.Say("MAIL FROM:<bob@bank.test>", "250");
        }
        else
        {
            await c.Say("MAIL FROM:<mallory@evil.test>", "250");
        }
        await c.Say("RCPT TO:<bob@bank.test>", "250");
        await c.Say("DATA", "354");
    }

    [Theory]
    [InlineData("MTA", "starttls")]
    [InlineData("MSA", "starttls")]
    public async Task A_command_dripped_a_byte_at_a_time_is_closed_by_the_command_timeout(string role, string tls)
    {
        using var c = await Open(role, tls);
        var (reply, took) = await DripUntilClosed(c, "NOOP and a line that never ends ");
        // RFC 5321 §4.5.3.2.7 and §3.8: the server may close after its timeout, with 421.
        Assert.True(reply is not null, $"still open after {Bound.TotalSeconds} s");
        Assert.StartsWith("421 4.4.2", reply);
        Assert.Contains("Timeout exceeded", reply);
        Assert.True(took < TimeSpan.FromSeconds(15), $"took {took}");
        Assert.Contains(lab.Events(TraceKind.SessionClosed), e => e.Site == "bank" && e.Field("Reason") == "idle timeout");
    }

    [Theory]
    [InlineData("MTA", "starttls")]
    [InlineData("MSA", "starttls")]
    public async Task A_text_line_dripped_inside_DATA_is_closed_by_the_command_timeout(string role, string tls)
    {
        using var c = await Open(role, tls);
        await StartData(c, role);
        var (reply, took) = await DripUntilClosed(c, "Subject: a header that never ends ");
        Assert.True(reply is not null, $"still open after {Bound.TotalSeconds} s");
        Assert.StartsWith("421 4.4.2", reply);
        Assert.Contains("Timeout exceeded", reply);
        Assert.True(took < TimeSpan.FromSeconds(15), $"took {took}");
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default)); // nothing half-delivered
    }

    [Theory]
    [InlineData("MTA", "starttls")]
    [InlineData("MSA", "starttls")]
    public async Task Whole_lines_inside_DATA_cannot_outlast_the_session_timeout(string role, string tls)
    {
        using var c = await Open(role, tls);
        await StartData(c, role);
        // Each line arrives whole, well within the command timeout; only the session deadline can end this.
        var (reply, took) = await DripUntilClosed(c, "x\r\n", wholeLines: true);
        Assert.True(reply is not null, $"still open after {Bound.TotalSeconds} s");
        Assert.StartsWith("421 4.4.2", reply);
        Assert.Contains("Session time limit exceeded", reply);
        Assert.True(took < TimeSpan.FromSeconds(15), $"took {took}");
        Assert.Contains(lab.Events(TraceKind.SessionClosed), e => e.Site == "bank" && e.Field("Reason") == "session time limit");
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
    }

    [Fact]
    public async Task Whole_commands_cannot_outlast_the_session_timeout()
    {
        using var c = await Open("MTA", "starttls");
        var (reply, _) = await DripUntilClosed(c, "NOOP\r\n", wholeLines: true);
        Assert.True(reply is not null, $"still open after {Bound.TotalSeconds} s");
        // The NOOP replies come first; the last reply is the 421.
        Assert.StartsWith("421 4.4.2", reply);
        Assert.Contains("Session time limit exceeded", reply);
    }
}
