using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Relay;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>
/// Issue 20 section 2: stopping the lab while a relay attempt is blocked at any stage never throws, and
/// leaves the entry queued (its recipient still pending) for the next start. The peer is a scripted
/// SMTP server on a real loopback socket that stops answering at one stage; the lab is stopped once
/// the relay is known to be waiting there (the peer saw the command), so no timing is guessed.
/// </summary>
public sealed class RelayShutdownTests
{
    public enum Stage
    {
        Greeting,   // accepted, no 220 ever
        Ehlo,       // no reply to EHLO
        TlsHandshake, // STARTTLS answered 220, then the ClientHello is never answered
        Mail,
        Rcpt,
        Data,       // no 354
        AfterData,  // the whole message and its final dot read, no reply
        Quit,       // the message was accepted (250); no reply to QUIT
    }

    private const string PeerAddress = "127.0.5.1";

    /// <summary>A one-connection SMTP peer that answers normally up to <paramref name="stall"/> and then goes silent.</summary>
    private sealed class StallingPeer : IAsyncDisposable
    {
        private readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource stop = new();
        private readonly Stage stall;
        private readonly List<Socket> accepted = [];
        private Task? loop;

        public StallingPeer(Stage stall)
        {
            this.stall = stall;
            listener.Bind(new IPEndPoint(IPAddress.Parse(PeerAddress), 0));
            listener.Listen(8);
            Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        }

        public int Port { get; }

        /// <summary>Completes when the relay is blocked at the stage.</summary>
        public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Start() => loop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var s = await listener.AcceptAsync(stop.Token);
                    lock (accepted) accepted.Add(s);
                    _ = Task.Run(() => ServeAsync(s));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        });

        private async Task ServeAsync(Socket s)
        {
            try
            {
                var stream = new NetworkStream(s);
                var lines = new ClientLines(stream);
                var ct = stop.Token;
                async Task Send(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"), ct);
                async Task<string> Expect(string verb)
                {
                    var line = await lines.ReadLineAsync(ct) ?? throw new EndOfStreamException();
                    Assert.StartsWith(verb, line, StringComparison.OrdinalIgnoreCase);
                    return line;
                }
                async Task StallHere()
                {
                    Stalled.TrySetResult();
                    await Task.Delay(Timeout.Infinite, ct);
                }

                if (stall == Stage.Greeting) await StallHere();
                await Send("220 peer.far.test ESMTP stalling test peer");
                await Expect("EHLO");
                if (stall == Stage.Ehlo) await StallHere();
                if (stall == Stage.TlsHandshake)
                {
                    await Send("250-peer.far.test\r\n250 STARTTLS");
                    await Expect("STARTTLS");
                    await Send("220 2.0.0 Ready to start TLS");
                    var hello = new byte[1];
                    await stream.ReadExactlyAsync(hello, ct); // the ClientHello is on its way
                    await StallHere();
                }
                await Send("250 peer.far.test");
                await Expect("MAIL FROM:");
                if (stall == Stage.Mail) await StallHere();
                await Send("250 2.1.0 Ok");
                await Expect("RCPT TO:");
                if (stall == Stage.Rcpt) await StallHere();
                await Send("250 2.1.5 Ok");
                await Expect("DATA");
                if (stall == Stage.Data) await StallHere();
                await Send("354 go ahead");
                while (await lines.ReadLineAsync(ct) is { } line && line != ".")
                {
                }
                if (stall == Stage.AfterData) await StallHere();
                await Send("250 2.0.0 Ok: queued");
                await Expect("QUIT");
                await StallHere();
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            listener.Dispose();
            lock (accepted) accepted.ForEach(s => s.Dispose());
            if (loop is not null) await loop;
            stop.Dispose();
        }
    }

    [Theory]
    [InlineData(Stage.Greeting)]
    [InlineData(Stage.Ehlo)]
    [InlineData(Stage.TlsHandshake)]
    [InlineData(Stage.Mail)]
    [InlineData(Stage.Rcpt)]
    [InlineData(Stage.Data)]
    [InlineData(Stage.AfterData)]
    [InlineData(Stage.Quit)]
    public async Task Stopping_the_lab_while_a_relay_attempt_is_blocked_never_throws_and_keeps_the_entry(Stage stage)
    {
        await using var peer = new StallingPeer(stage);
        peer.Start();
        var relay = $"relay:\n  relay-port: {peer.Port}\n  retry-intervals: [1h]\n";
        var lab = TestLab.Create(relay: relay).Start(StaticMxResolver.Simple(("far.test", "mx.far.test", PeerAddress)));
        var stopped = false;
        try
        {
            await RelayTestHelpers.SubmitAsAlice(lab, "cut by shutdown", "zed@far.test");
            await peer.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var watch = Stopwatch.StartNew();
            var thrown = await Record.ExceptionAsync(async () => await lab.DisposeAsync());
            stopped = true;
            Assert.Null(thrown);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"stopping took {watch.Elapsed}");

            var entries = new RelayQueue(Path.Combine(lab.DataDirectory, "queue")).LoadAll();
            if (stage == Stage.Quit)
            {
                // The peer said 250 to the message: it was delivered, whatever happens to QUIT.
                Assert.Empty(entries);
                Assert.Contains(lab.Events(TraceKind.RelayOutcome), e => e.Field("State") == "delivered");
                return;
            }
            var entry = Assert.Single(entries);
            var rcpt = Assert.Single(entry.Recipients);
            Assert.Equal("zed@far.test", rcpt.Address);
            Assert.True(rcpt.State is RecipientState.Scheduled or RecipientState.Deferred, $"state {rcpt.State}");
            Assert.DoesNotContain(lab.Events(TraceKind.RelayOutcome), e => e.Field("State") is "failed" or "delivered");
            Assert.Empty(lab.Events(TraceKind.DsnSent));
        }
        finally
        {
            if (!stopped) await lab.DisposeAsync();
        }
    }
}
