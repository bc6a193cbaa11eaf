using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Trace;

/// <summary>Issue 20 item 12: what a client sends reaches the console as visible escapes, never as raw control characters.</summary>
public class ConsoleEscapingTests
{
    [Fact]
    public async Task Control_characters_in_an_SMTP_command_reach_the_console_escaped()
    {
        var console = new StringWriter();
        var data = TempDir.New("console");
        var logger = TraceLogging.Create(data, TextWriter.Synchronized(console));
        var lab = TestLab.FromYaml(TestLab.LabYaml(), data: data, logger: logger).Start();
        // Clear the screen, then a CR that would start a forged line, a DEL, a C1 CSI and a bidi override.
        var evil = "EHLO \u001b[2Jx\r12:00:00.000 bank   MTA   C9     forged\u007f\u009b31m\u202eevil";
        try
        {
            var ep = lab.Runtime!.EndPoint("bank", "MTA");
            using var tcp = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await tcp.ConnectAsync(ep, timeout.Token);
            var lines = new ClientLines(tcp.GetStream());
            Assert.StartsWith("220", await lines.ReadReplyAsync(timeout.Token));
            await tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(evil + "\r\n"), timeout.Token);
            Assert.NotNull(await lines.ReadReplyAsync(timeout.Token));

            // A DNS name may carry any octet in a label (RFC 2181 §11): ESC and BEL included.
            using var udp = new UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            var label = Encoding.Latin1.GetBytes("\u001b[31mred\u0007");
            byte[] query = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, (byte)label.Length, .. label, 2, (byte)'u', (byte)'c', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 1, 0, 1];
            await udp.SendAsync(query, lab.Runtime.Dns!.EndPoint, timeout.Token);
            await udp.ReceiveAsync(timeout.Token);
        }
        finally
        {
            await lab.DisposeAsync();
            await logger.DisposeAsync();
        }

        var shown = console.ToString();
        var line = Assert.Single(shown.Split(Environment.NewLine), l => l.Contains("C: EHLO", StringComparison.Ordinal));
        Assert.Contains(@"C: EHLO \x1b[2Jx\r12:00:00.000 bank   MTA   C9     forged\x7f\x9b31m\u202eevil", line);
        Assert.Contains(@"asks \x1b[31mred\x07.uc.test.", shown); // a DNS question name, from the lab DNS
        Assert.DoesNotContain(shown, c => c is '\u001b' or '\u0007' or '\u007f' or '\u009b' or '\u202e' || c == '\r' && !Environment.NewLine.Contains('\r'));
        // The JSON file keeps the original, escaped as JSON does.
        var json = string.Join("\n", Directory.GetFiles(Path.Combine(data, "trace"), "trace*.jsonl").Select(File.ReadAllText));
        var record = Assert.Single(json.Split('\n'), l => l.Contains("\"CommandReceived\"", StringComparison.Ordinal) && l.Contains("EHLO", StringComparison.Ordinal));
        using var doc = System.Text.Json.JsonDocument.Parse(record);
        Assert.Equal(evil, doc.RootElement.GetProperty("Line").GetString());
    }
}
