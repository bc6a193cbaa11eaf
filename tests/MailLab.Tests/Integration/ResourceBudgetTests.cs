using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DnsClient;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Listeners;
using MailLab.Tests.Support;
using MimeKit;
using Xunit.Abstractions;

namespace MailLab.Tests.Integration;

/// <summary>
/// Resource budgets (issue 20 §4): the real <c>maillab up</c> process, every listener of one site and
/// the lab DNS held at once by slow clients (one byte every 2 s) and by clients each holding the
/// largest input it accepts before authentication (or trying a larger one). A normal client must
/// still be served on every listener, and the process's memory must stay under a stated bound.
/// Bounded in count (10 + 10 connections a listener, 180 in all) and in time (about 30 s).
/// </summary>
public sealed class ResourceBudgetTests(ITestOutputHelper output)
{
    private const int SlowPerListener = 10;
    private const int HeavyPerListener = 10;
    /// <summary>
    /// RSS the attack may add to the lab process. Measured on 2 cores: 84 MiB before, 93 MiB under attack
    /// (+9 MiB); before issue 20's fixes +139 to +211 MiB (IMAP held 4 MiB pre-login literals).
    /// </summary>
    private const long MaxGrowthBytes = 48L << 20;
    /// <summary>A normal client's whole exchange; it takes well under a second on a quiet lab.</summary>
    private static readonly TimeSpan NormalClientLimit = TimeSpan.FromSeconds(15);
    private const string MaxMessageSize = "4MiB";

    private static readonly string Yaml = TestLab.LabYaml(maxSize: MaxMessageSize)
        .Replace("address: 127.0.1.1\n    ports: { mta: 0, submission: 0, submissions: 0 }",
            "address: 127.0.1.1\n    ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 }");

    [Fact]
    public async Task Slow_and_heavy_clients_on_every_listener_leave_normal_clients_served_and_memory_bounded()
    {
        Assert.Contains("pop3: 0", Yaml);
        var dir = TempDir.New("budget");
        var labFile = Path.Combine(dir, "lab.yml");
        await File.WriteAllTextAsync(labFile, Yaml);
        var data = Path.Combine(dir, "data");
        MailLabProcess.SeedCa(data);
        var (lab, listeners) = await MailLabProcess.Up(labFile, data);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var attackers = new List<Attacker>();
        try
        {
            var targets = listeners.Where(l => l.Site is "uc" || l.Role == "DNS").ToList();
            Assert.Equal(8, targets.Count); // MTA, MSA x2, POP3 x2, IMAP x2, DNS (TCP)

            // Warm up every path once, so the baseline includes JIT and first-use caches.
            foreach (var t in targets) await NormalClient(t, stop.Token);
            await Task.Delay(500);
            var baseline = Rss(lab.Id);

            int n = 0;
            foreach (var t in targets)
            {
                for (int i = 0; i < SlowPerListener; i++) attackers.Add(await Attacker.Slow(t, Source(n++), stop.Token));
                for (int i = 0; i < HeavyPerListener; i++) attackers.Add(await Attacker.Heavy(t, Source(n++), stop.Token));
            }
            // Let the heavy clients' input arrive and the slow clients drip a few bytes.
            await Task.WhenAll(attackers.Select(a => a.Loaded));
            await Task.Delay(4000);

            var served = new List<string>();
            foreach (var t in targets)
            {
                var watch = Stopwatch.StartNew();
                await NormalClient(t, stop.Token).WaitAsync(NormalClientLimit, stop.Token);
                served.Add($"{t.Role}/{t.Tls} {watch.ElapsedMilliseconds} ms");
            }
            var peak = Rss(lab.Id);
            output.WriteLine($"{attackers.Count} attackers; baseline RSS {baseline >> 20} MiB, under attack {peak >> 20} MiB; normal clients: {string.Join(", ", served)}");
            output.WriteLine(string.Join("\n", attackers.GroupBy(a => a.Target).Select(g =>
                $"{g.Key}: {g.Count(a => a.ClosedByServer)} of {g.Count()} closed by the server")));
            Assert.True(peak - baseline < MaxGrowthBytes,
                $"RSS grew by {(peak - baseline) >> 20} MiB under attack (bound {MaxGrowthBytes >> 20} MiB)");
            Assert.False(lab.HasExited, "the lab process died under attack");
        }
        finally
        {
            foreach (var a in attackers) a.Dispose();
            lab.Kill();
            await lab.WaitForExitAsync();
        }
    }

    /// <summary>Attackers come from their own loopback addresses: 18 connections each stays under the per-client limit.</summary>
    private static IPAddress Source(int n) => IPAddress.Parse($"127.0.60.{1 + n / 2 % 200}");

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    private static bool AnyCertificate(object s, System.Security.Cryptography.X509Certificates.X509Certificate? c,
        System.Security.Cryptography.X509Certificates.X509Chain? ch, SslPolicyErrors e) => c is not null;

    /// <summary>What a student's ordinary client does on that listener, from an address of its own.</summary>
    private static async Task NormalClient(ListenerInfo t, CancellationToken ct)
    {
        var local = new IPEndPoint(IPAddress.Parse("127.0.61.1"), 0);
        switch (t.Role)
        {
            case "MTA":
            {
                using var client = new SmtpClient { LocalEndPoint = local, Timeout = 10_000 };
                await client.ConnectAsync(t.Address, t.Port, SecureSocketOptions.None, ct);
                var m = new MimeMessage();
                m.From.Add(MailboxAddress.Parse("mallory@evil.test"));
                m.To.Add(MailboxAddress.Parse("alice@uc.test"));
                m.Subject = "normal";
                m.Body = new TextPart("plain") { Text = "still served" };
                await client.SendAsync(m, ct);
                await client.DisconnectAsync(true, ct);
                break;
            }
            case "MSA":
            {
                using var client = new SmtpClient { LocalEndPoint = local, Timeout = 10_000, ServerCertificateValidationCallback = AnyCertificate };
                await client.ConnectAsync(t.Address, t.Port, t.Tls == "implicit" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls, ct);
                await client.AuthenticateAsync("alice@uc.test", "lab-alice", ct);
                var m = new MimeMessage();
                m.From.Add(MailboxAddress.Parse("alice@uc.test"));
                m.To.Add(MailboxAddress.Parse("alice@uc.test"));
                m.Subject = "normal";
                m.Body = new TextPart("plain") { Text = "still served" };
                await client.SendAsync(m, ct);
                await client.DisconnectAsync(true, ct);
                break;
            }
            case "POP3":
            {
                using var client = new Pop3Client { LocalEndPoint = local, Timeout = 10_000, ServerCertificateValidationCallback = AnyCertificate };
                await client.ConnectAsync(t.Address, t.Port, t.Tls == "implicit" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls, ct);
                await client.AuthenticateAsync("alice@uc.test", "lab-alice", ct);
                Assert.True(await client.GetMessageCountAsync(ct) >= 0);
                await client.DisconnectAsync(true, ct);
                break;
            }
            case "IMAP":
            {
                using var client = new ImapClient { LocalEndPoint = local, Timeout = 10_000, ServerCertificateValidationCallback = AnyCertificate };
                await client.ConnectAsync(t.Address, t.Port, t.Tls == "implicit" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls, ct);
                await client.AuthenticateAsync("alice@uc.test", "lab-alice", ct);
                await client.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly, ct);
                await client.DisconnectAsync(true, ct);
                break;
            }
            case "DNS":
            {
                // Over TCP (the listener under attack) and over UDP.
                foreach (var tcp in new[] { true, false })
                {
                    var dns = new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Parse(t.Address), t.Port))
                    { UseCache = false, UseTcpOnly = tcp, Retries = 0, Timeout = TimeSpan.FromSeconds(5) });
                    var answer = await dns.QueryAsync("bank.test", QueryType.MX, cancellationToken: ct);
                    Assert.NotEmpty(answer.Answers.MxRecords());
                }
                break;
            }
            default:
                throw new InvalidOperationException("no normal client for " + t.Role);
        }
    }

    /// <summary>One hostile connection: it either drips bytes or holds a large input, and never finishes.</summary>
    private sealed class Attacker : IDisposable
    {
        private readonly Socket socket;
        private readonly CancellationTokenSource cts;
        private Attacker(ListenerInfo target, Socket socket, CancellationToken ct)
        {
            Target = $"{target.Role}/{target.Tls}";
            this.socket = socket;
            cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        }

        public string Target { get; }
        /// <summary>Completes once the attacker's large input was sent (or the server refused it).</summary>
        public Task Loaded { get; private set; } = Task.CompletedTask;
        /// <summary>The server closed the connection (a limit or a timeout did its job).</summary>
        public bool ClosedByServer { get; private set; }

        private static async Task<(Socket, Stream)> Connect(ListenerInfo t, IPAddress source, CancellationToken ct)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(source, 0));
            await s.ConnectAsync(new IPEndPoint(IPAddress.Parse(t.Address), t.Port), ct);
            Stream stream = new NetworkStream(s, ownsSocket: false);
            if (t.Tls == "implicit")
            {
                var ssl = new SslStream(stream, false, AnyCertificate);
                await ssl.AuthenticateAsClientAsync("mx.uc.test");
                stream = ssl;
            }
            return (s, stream);
        }

        /// <summary>Sends a plausible command one byte every 2 s.</summary>
        public static async Task<Attacker> Slow(ListenerInfo t, IPAddress source, CancellationToken ct)
        {
            var (s, stream) = await Connect(t, source, ct);
            var a = new Attacker(t, s, ct);
            var bytes = t.Role switch
            {
                "DNS" => [0, 40, 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
                "IMAP" => "a1 LOGIN alice@uc.test lab-alice\r\n"u8.ToArray(),
                "POP3" => "USER alice@uc.test\r\n"u8.ToArray(),
                _ => "EHLO slow.example\r\n"u8.ToArray(),
            };
            _ = a.Drip(stream, bytes);
            return a;
        }

        /// <summary>Holds the largest input the listener takes before authentication, or tries a larger one.</summary>
        public static async Task<Attacker> Heavy(ListenerInfo t, IPAddress source, CancellationToken ct)
        {
            var (s, stream) = await Connect(t, source, ct);
            var a = new Attacker(t, s, ct);
            a.Loaded = a.Load(t, stream);
            return a;
        }

        private async Task Drip(Stream stream, byte[] bytes)
        {
            try
            {
                _ = ReadUntilClosed(stream);
                foreach (var b in bytes)
                {
                    await stream.WriteAsync(new[] { b }, cts.Token);
                    await Task.Delay(2000, cts.Token);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        private async Task Load(ListenerInfo t, Stream stream)
        {
            try
            {
                _ = ReadUntilClosed(stream);
                switch (t.Role)
                {
                    case "MTA":
                        // A message just under max-message-size, never ended: the spool must not keep it in memory.
                        await stream.WriteAsync("EHLO heavy.example\r\nMAIL FROM:<h@heavy.example>\r\nRCPT TO:<alice@uc.test>\r\nDATA\r\n"u8.ToArray(), cts.Token);
                        var line = Encoding.ASCII.GetBytes(new string('x', 998) + "\r\n");
                        for (int i = 0; i < 4000; i++) await stream.WriteAsync(line, cts.Token);
                        break;
                    case "MSA":
                    case "POP3":
                        // A command line as long as the protocol lets it grow, never ended.
                        await stream.WriteAsync(Encoding.ASCII.GetBytes("NOOP " + new string('y', 60_000)), cts.Token);
                        break;
                    case "IMAP":
                        // A 4 MiB non-synchronising literal before login (RFC 7888 lets the server refuse it).
                        await stream.WriteAsync("a1 LOGIN {4194304+}\r\n"u8.ToArray(), cts.Token);
                        var chunk = new byte[65536];
                        Array.Fill(chunk, (byte)'z');
                        for (int i = 0; i < 64; i++) await stream.WriteAsync(chunk, cts.Token);
                        break;
                    case "DNS":
                        // A TCP message that announces 65535 octets and sends all but one.
                        await stream.WriteAsync(new byte[] { 0xff, 0xff }, cts.Token);
                        await stream.WriteAsync(new byte[65534], cts.Token);
                        break;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                ClosedByServer = true; // refused and closed: the bound held
            }
        }

        private async Task ReadUntilClosed(Stream stream)
        {
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer, cts.Token) > 0) { }
                ClosedByServer = true;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (!cts.IsCancellationRequested) ClosedByServer = true;
            }
        }

        public void Dispose()
        {
            cts.Cancel();
            socket.Dispose();
            cts.Dispose();
        }
    }
}
