using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server;
using MailLab.Server.Attacks;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Attacks;

/// <summary>
/// The strip-starttls attack end to end over real sockets: alice@uc.test mails bob@bank.test, uc's relay
/// is routed through the man in the middle at 127.0.6.1, which removes STARTTLS from bank's EHLO answer.
/// </summary>
public sealed class StripStarttlsTests
{
    private const string Attacks = "attacks:\n  strip-starttls: { victim: uc, target: bank, address: 127.0.6.1 }\n";

    private static TestLab StripLab(bool on) =>
        TestLab.FromYaml(TestLab.LabYaml().Replace("switches:\n", $"switches:\n  strip-starttls: {(on ? "true" : "false")}\n") + "\n" + Attacks);

    [Fact]
    public async Task With_opportunistic_TLS_the_stripped_mail_passes_in_plaintext_and_the_attacker_reads_it()
    {
        await using var lab = StripLab(on: true).Start();
        var attacker = lab.Runtime!.EndPoint("lab", LabRuntime.AttackerRole);
        Assert.Equal("127.0.6.1", attacker.Address.ToString());

        await RelayTestHelpers.SubmitAsAlice(lab, "quarterly numbers", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Contains("quarterly numbers", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
        await lab.WaitForEvent(e => e.Kind == TraceKind.AttackerSaw && e.Field("Direction") == "close");

        // The attacker's transcript holds the message itself, and says what it removed.
        var log = await File.ReadAllTextAsync(AttackTranscript.StripStarttlsPath(lab.DataDirectory));
        Assert.Contains("Subject: quarterly numbers", log);
        Assert.Contains("Relayed between lab sites.", log);
        Assert.Contains("removed '250 STARTTLS' from the EHLO answer", log);
        Assert.Contains("> 250 SMTPUTF8", log); // the rewritten answer: the line before STARTTLS now ends it
        var stripped = Assert.Single(lab.Events(TraceKind.StarttlsStripped), e => e.Field("Action") == "ehlo");
        Assert.Equal(TraceRole.ATTACKER, stripped.Role);
        Assert.Equal(LabOrigin.Attack, stripped.Origin);
        Assert.Contains(lab.Events(TraceKind.AttackerSaw), e => e.Field("Direction") == "message" && e.Field("Subject") == "quarterly numbers");
        var (code, shown, _) = await MailLabProcess.Run("attack", "log", "--data", lab.DataDirectory);
        Assert.Equal(0, code);
        Assert.Contains("Relayed between lab sites.", shown);

        // The relay believed it talked to bank's MTA, and no TLS was set up on that hop.
        var connect = Assert.Single(lab.Events(TraceKind.RelayAttempt), e => e.Field("Step") == "connect");
        Assert.Equal(lab.Runtime.EndPoint("bank", "MTA").ToString(), connect.Field("To"));
        Assert.DoesNotContain(lab.Events(TraceKind.TlsEstablished), e => e.Field("Direction") == "outbound");

        // bank's MTA saw the lab's relay from uc's address (the attacker forwards transparently), without STARTTLS.
        var opened = Assert.Single(lab.Events(TraceKind.SessionOpened), e => e.Site == "bank" && e.Field("LabRelay") == "True");
        Assert.Equal("127.0.1.1", opened.Field("Client"));
        var bankSession = lab.Events(session: opened.Session).Where(e => e.Site == "bank").ToList();
        Assert.DoesNotContain(bankSession, e => e.Kind == TraceKind.CommandReceived && e.Field("Verb") == "STARTTLS");
        Assert.DoesNotContain(bankSession, e => e.Kind == TraceKind.TlsEstablished);
        Assert.Contains(bankSession, e => e.Kind == TraceKind.MessageReceived && e.Field("Tls") == "False");
    }

    [Fact]
    public async Task Without_the_switch_the_same_mail_goes_over_TLS_and_no_attacker_listens()
    {
        await using var lab = StripLab(on: false).Start();
        Assert.DoesNotContain(lab.Runtime!.Listeners, l => l.Role == LabRuntime.AttackerRole);

        await RelayTestHelpers.SubmitAsAlice(lab, "quarterly numbers", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Contains(lab.Events(TraceKind.TlsEstablished), e => e.Field("Direction") == "outbound" && e.Field("Verified") == "True");
        Assert.Empty(lab.Events(TraceKind.StarttlsStripped));
        Assert.False(File.Exists(AttackTranscript.StripStarttlsPath(lab.DataDirectory)));
        Assert.Contains("no transcript yet", (await MailLabProcess.Run("attack", "log", "--data", lab.DataDirectory)).Out);
        await using var listeners = File.OpenRead(lab.Runtime.ListenersFile);
        Assert.DoesNotContain("ATTACKER", await new StreamReader(listeners).ReadToEndAsync());
    }

    [Fact]
    public async Task A_client_that_sends_STARTTLS_anyway_gets_454_from_the_attacker_and_the_server_never_sees_it()
    {
        await using var lab = StripLab(on: true).Start();
        Assert.Contains("ATTACKER", await File.ReadAllTextAsync(lab.Runtime!.ListenersFile));
        using var c = await Raw.Connect(lab.Runtime.EndPoint("lab", LabRuntime.AttackerRole));
        Assert.StartsWith("220 ", await c.Reply());
        await c.Send("EHLO client.test");
        var ehlo = await c.Reply();
        Assert.DoesNotContain("STARTTLS", ehlo);
        Assert.Contains("250 ", ehlo); // the last line still ends the reply
        await c.Send("STARTTLS");
        Assert.Equal("454 4.7.0 TLS not available due to temporary reason", (await c.Reply()).TrimEnd());
        await c.Send("NOOP");
        Assert.StartsWith("250", await c.Reply());
        await c.Send("QUIT");
        Assert.StartsWith("221", await c.Reply());

        var refused = await lab.WaitForEvent(e => e.Kind == TraceKind.StarttlsStripped && e.Field("Action") == "refused");
        Assert.Equal(LabOrigin.Attack, refused.Origin);
        Assert.DoesNotContain(lab.Events(TraceKind.CommandReceived), e => e.Site == "bank" && e.Field("Verb") == "STARTTLS");
        Assert.Contains(lab.Events(TraceKind.CommandReceived), e => e.Site == "bank" && e.Field("Verb") == "NOOP");
    }

    [Fact]
    public async Task An_over_long_line_ends_that_session_only_and_the_attacker_keeps_serving()
    {
        await using var lab = StripLab(on: true).Start();
        var at = lab.Runtime!.EndPoint("lab", LabRuntime.AttackerRole);
        using (var bad = await Raw.Connect(at))
        {
            Assert.StartsWith("220 ", await bad.Reply());
            await bad.SendRaw(Encoding.ASCII.GetBytes(new string('x', StarttlsStripper.MaxLine + 10) + "\r\n"));
            Assert.Equal("", await bad.Reply()); // closed, no crash
        }
        var closed = await lab.WaitForEvent(e => e.Kind == TraceKind.AttackerSaw && e.Field("Direction") == "close");
        Assert.Contains("line over", closed.Field("Reason"));
        using var good = await Raw.Connect(at);
        Assert.StartsWith("220 ", await good.Reply());
    }

    /// <summary>A line-based SMTP client on a raw socket (reads whole replies).</summary>
    private sealed class Raw : IDisposable
    {
        private readonly TcpClient tcp;
        private readonly StreamReader reader;
        private readonly Stream stream;

        private Raw(TcpClient tcp)
        {
            this.tcp = tcp;
            stream = tcp.GetStream();
            reader = new StreamReader(stream, Encoding.ASCII);
        }

        public static async Task<Raw> Connect(IPEndPoint at)
        {
            var tcp = new TcpClient(AddressFamily.InterNetwork);
            await tcp.ConnectAsync(at);
            return new Raw(tcp);
        }

        public Task Send(string line) => SendRaw(Encoding.ASCII.GetBytes(line + "\r\n"));

        public async Task SendRaw(byte[] bytes)
        {
            try
            {
                await stream.WriteAsync(bytes);
            }
            catch (IOException)
            {
                // the peer may close while we still write an over-long line
            }
        }

        /// <summary>One whole reply ("" when the connection closed).</summary>
        public async Task<string> Reply()
        {
            var text = new StringBuilder();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(cts.Token);
                }
                catch (IOException)
                {
                    line = null;
                }
                if (line is null) return text.ToString();
                text.Append(line).Append('\n');
                if (line.Length < 4 || line[3] != '-') return text.ToString();
            }
        }

        public void Dispose() => tcp.Dispose();
    }
}
