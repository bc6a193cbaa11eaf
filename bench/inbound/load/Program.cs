// The inbound bench's load generator (issue 19 part 1): sends pre-signed messages over SMTP, one per
// connection by default, from client addresses that make the sender domain's SPF pass or fail.
// Every message carries two DKIM signatures (rsa-sha256 and ed25519-sha256, RFC 8463 §1 suggests
// signing with both); all are signed before the clock starts, so signing is never on the measured path.
// Prints one JSON line: what was sent and accepted, the reply codes of failures, and its own CPU time.
// Run by bench/inbound/run.sh; `inbound-load --help` lists the options.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MailLab.Bench.InboundLoad;
using MailLab.MailAuth.Dkim;

var o = Options.Parse(args);
if (o is null)
{
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

using var rsa = DkimPrivateKey.FromPem(File.ReadAllText(o.RsaKey));
using var ed = DkimPrivateKey.FromPem(File.ReadAllText(o.EdKey));
if (rsa.Algorithm != DkimAlgorithm.RsaSha256 || ed.Algorithm != DkimAlgorithm.Ed25519Sha256)
{
    Console.Error.WriteLine("inbound-load: --rsa-key must be an RSA key and --ed-key an Ed25519 key");
    return 2;
}

var proc = Process.GetCurrentProcess();
var signCpu0 = proc.TotalProcessorTime;
var signClock = Stopwatch.StartNew();
var messages = new Outgoing[o.Messages];
var now = DateTimeOffset.UtcNow;
for (int i = 0; i < o.Messages; i++)
{
    // Even messages come from the domain whose SPF passes, odd ones from the one whose SPF fails.
    bool pass = i % 2 == 0;
    string domain = pass ? o.PassDomain : o.FailDomain;
    string net = pass ? o.PassNet : o.FailNet;
    var bind = IPAddress.Parse($"{net}.{1 + (i / 2) % o.Clients}");
    byte[] body = MessageText.Build(i, o.Tag, domain, o.To, o.Size, now);
    string sigRsa = DkimSigner.Sign(body, rsa, domain, o.RsaSelector, now);
    string sigEd = DkimSigner.Sign(body, ed, domain, o.EdSelector, now);
    byte[] head = Encoding.ASCII.GetBytes(sigEd + sigRsa);
    byte[] wire = [.. head, .. body, .. ".\r\n"u8];
    messages[i] = new Outgoing($"load@{domain}", bind, wire, pass);
}
signClock.Stop();
proc.Refresh();
var signCpu = proc.TotalProcessorTime - signCpu0;

var server = new IPEndPoint(IPAddress.Parse(o.Host), o.Port);
// The caller's clock and CPU readings start at this line, after start-up and signing.
Console.Out.WriteLine("sending");
Console.Out.Flush();
int next = -1;
int accepted = 0;
var errors = new Dictionary<string, int>();
var cpu0 = proc.TotalProcessorTime;
var clock = Stopwatch.StartNew();
var workers = new Task[Math.Min(o.Sessions, o.Messages)];
for (int w = 0; w < workers.Length; w++)
{
    workers[w] = Task.Run(async () =>
    {
        // With --reuse a worker keeps one connection per net (SPF pass, SPF fail): any address of a net
        // gives the same verdict, so a message may go over the connection opened for an earlier one.
        var open = new Dictionary<bool, SmtpClientSession>();
        int i;
        while ((i = Interlocked.Increment(ref next)) < messages.Length)
        {
            var m = messages[i];
            string? error;
            SmtpClientSession? session = null;
            try
            {
                if (!open.Remove(m.SpfPasses, out session))
                {
                    session = await SmtpClientSession.OpenAsync(server, m.Bind, o.Helo, o.ReplyTimeout);
                }
                error = await session.SendAsync(m.Sender, o.To, m.Wire);
                if (o.Reuse && error is null) open[m.SpfPasses] = session;
                else if (error is null) await session.QuitAsync();
                else session.Dispose();
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or SmtpProtocolException)
            {
                error = e is SmtpProtocolException p ? p.Message : e.GetType().Name + ": " + e.Message;
                session?.Dispose();
            }
            if (error is null) Interlocked.Increment(ref accepted);
            else lock (errors) errors[error] = errors.GetValueOrDefault(error) + 1;
        }
        foreach (var s in open.Values) await s.QuitAsync();
    });
}
await Task.WhenAll(workers);
clock.Stop();
proc.Refresh();
var cpu = proc.TotalProcessorTime - cpu0;

var result = new Dictionary<string, object>
{
    ["sent"] = messages.Length,
    ["accepted"] = accepted,
    ["failed"] = messages.Length - accepted,
    ["errors"] = errors.OrderByDescending(e => e.Value).Take(10).ToDictionary(e => e.Key, e => e.Value),
    ["sessions"] = workers.Length,
    ["elapsed_s"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
    ["cpu_ms"] = Math.Round(cpu.TotalMilliseconds, 1),
    ["cpu_ms_per_msg"] = Math.Round(cpu.TotalMilliseconds / messages.Length, 3),
    ["sign_s"] = Math.Round(signClock.Elapsed.TotalSeconds, 3),
    ["sign_cpu_ms"] = Math.Round(signCpu.TotalMilliseconds, 1),
    ["wire_bytes"] = messages[0].Wire.Length,
};
Console.WriteLine(JsonSerializer.Serialize(result));
return accepted == messages.Length ? 0 : 1;

namespace MailLab.Bench.InboundLoad
{
    /// <summary>One pre-signed message and the client address it is sent from.</summary>
    internal sealed record Outgoing(string Sender, IPAddress Bind, byte[] Wire, bool SpfPasses);

    /// <summary>The test message: headers that DKIM signs and a plain-text body of about the asked size.</summary>
    internal static class MessageText
    {
        public static byte[] Build(int i, string tag, string domain, string to, int size, DateTimeOffset now)
        {
            var sb = new StringBuilder();
            sb.Append("From: Load Generator <load@").Append(domain).Append(">\r\n")
              .Append("To: <").Append(to).Append(">\r\n")
              .Append("Subject: inbound bench ").Append(tag).Append(" message ").Append(i.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
              .Append("Date: ").Append(now.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n")
              .Append("Message-ID: <").Append(i.ToString(CultureInfo.InvariantCulture)).Append('.').Append(tag).Append("@").Append(domain).Append(">\r\n")
              .Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
            int line = 0;
            // Lines never start with a dot, so the DATA transparency rule (RFC 5321 §4.5.2) has nothing to do.
            while (sb.Length < size)
            {
                sb.Append("line ").Append((line++).ToString("D5", CultureInfo.InvariantCulture))
                  .Append(" the quick brown fox jumps over the lazy dog 0123456789 abcdefghij\r\n");
            }
            return Encoding.ASCII.GetBytes(sb.ToString());
        }
    }

    /// <summary>A reply the generator did not expect (the text names the command and the reply).</summary>
    internal sealed class SmtpProtocolException(string message) : Exception(message);
}
