using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MailLab.Protocols.Dns;
using MailLab.Server.Sites;

namespace MailLab.Server.Dns;

/// <summary>Why a query got no usable answer.</summary>
public enum DnsQueryError
{
    /// <summary>The name cannot be asked (an empty or over-long label, not ASCII).</summary>
    BadName,

    /// <summary>No answer: timeout, connection refused, the source address cannot be bound.</summary>
    NoAnswer,

    /// <summary>An answer came but could not be read (over TCP; a bad UDP datagram is ignored and waited past).</summary>
    Malformed,
}

/// <summary>The outcome of one query: the response, or the error and its reason. <see cref="Tcp"/>: the answer came over TCP.</summary>
public sealed record DnsQueryResult(DnsResponse? Response, DnsQueryError? Error, string? Reason, bool Tcp)
{
    /// <summary>True when a response was received.</summary>
    public bool Ok => Response is not null;
}

/// <summary>
/// Sends one DNS question and waits for its answer: over UDP from a socket bound to <see cref="Source"/>
/// (when given), again over TCP when the answer is truncated (RFC 1035 §4.2.1, RFC 7766 §5), or over TCP
/// only. DnsClient cannot bind a local address (MichaCo/DnsClient.NET issue #35), and the lab needs
/// that: its resolvers ask from their site's address, a demo from the student's. A UDP answer counts
/// only when it comes from the server (the socket is connected), carries our random id and repeats our
/// question (RFC 5452 §9.1); anything else is ignored and waited past. Errors are values.
/// </summary>
public sealed class DnsTransport
{
    /// <summary>
    /// A transport to <paramref name="server"/>. <paramref name="source"/>: the local address to ask from
    /// (null: the system chooses, 127.0.0.1 towards a loopback server). <paramref name="labResolver"/>: the
    /// sockets are registered in <see cref="LabResolverSockets"/>, so the lab DNS marks the questions as the lab's.
    /// </summary>
    public DnsTransport(IPEndPoint server, IPAddress? source = null, TimeSpan? timeout = null, int retries = 1, bool labResolver = false)
    {
        Server = server;
        Source = source;
        Timeout = timeout ?? TimeSpan.FromSeconds(2);
        Retries = retries;
        LabResolver = labResolver;
    }

    /// <summary>The DNS asked.</summary>
    public IPEndPoint Server { get; }

    /// <summary>The local address asked from, or null for the system's choice.</summary>
    public IPAddress? Source { get; }

    /// <summary>How long one attempt waits for its answer.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>UDP attempts after the first when no answer comes.</summary>
    public int Retries { get; }

    /// <summary>Whether this is a lab resolver's transport (its sockets are registered).</summary>
    public bool LabResolver { get; }

    /// <summary>Asks <paramref name="name"/> <paramref name="type"/> IN; over TCP only when <paramref name="tcp"/>.</summary>
    public Task<DnsQueryResult> QueryAsync(string name, DnsType type, bool tcp = false, CancellationToken ct = default) =>
        QueryAsync(name, type, tcp, dnssecOk: false, ct);

    /// <summary>
    /// Asks <paramref name="name"/> <paramref name="type"/> IN; with <paramref name="dnssecOk"/> the OPT record
    /// carries the DO bit (RFC 3225 §3), over TCP too, so the answer comes with its RRSIGs and NSECs (RFC 4035 §3.2.1).
    /// </summary>
    public async Task<DnsQueryResult> QueryAsync(string name, DnsType type, bool tcp, bool dnssecOk, CancellationToken ct = default)
    {
        ushort id = (ushort)RandomNumberGenerator.GetInt32(0, 0x10000);
        // EDNS0 over UDP (RFC 6891): answers up to 1232 octets come in one datagram; over TCP it is not needed.
        byte[]? query = WithDo(DnsWire.WriteQuery(id, name, (ushort)type, edns: !tcp || dnssecOk, out string? problem), dnssecOk);
        if (query is null) return new DnsQueryResult(null, DnsQueryError.BadName, $"not a name that can be asked: {problem}", tcp);
        string qname = DnsNames.Normalize(name);
        if (Source is not null && Source.AddressFamily != Server.AddressFamily)
        {
            return NoAnswer($"cannot ask {Server.Address} from {Source}: not the same address family", tcp);
        }
        if (!tcp)
        {
            var udp = await UdpAsync(query, id, qname, type, ct).ConfigureAwait(false);
            if (udp is not null && (!udp.Ok || !udp.Response!.Truncated)) return udp;
            // RFC 1035 §4.2.1: a truncated answer is asked again over TCP (RFC 7766 §5); so is a datagram larger
            // than the payload size we offered (null), which a responder must not send (RFC 6891 §6.2.5).
            query = WithDo(DnsWire.WriteQuery(id, name, (ushort)type, edns: dnssecOk, out _), dnssecOk)!;
        }
        return await TcpAsync(query, id, qname, type, ct).ConfigureAwait(false);
    }

    // Our EDNS0 payload size (1232) with room to spare. A 64 KiB buffer per query in flight was held by every
    // session waiting on DNS, and the array pool kept dozens of them (issue 19 part 6).
    private const int UdpBufferSize = 4096;

    // Null when a datagram filled the buffer: bigger than we offered, maybe cut short by the kernel; ask over TCP.
    private async Task<DnsQueryResult?> UdpAsync(byte[] query, ushort id, string qname, DnsType type, CancellationToken ct)
    {
        using var socket = new Socket(Server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        IDisposable? registration = null;
        // Pooled: the parser copies what it keeps, so nothing refers to the buffer once it is returned.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(UdpBufferSize);
        try
        {
            Bind(socket);
            // Connected: the kernel delivers only datagrams from the server, and reports ICMP unreachable.
            await socket.ConnectAsync(Server, ct).ConfigureAwait(false);
            if (LabResolver) registration = LabResolverSockets.Register(ProtocolType.Udp, (IPEndPoint)socket.LocalEndPoint!);
            for (int attempt = 0; attempt <= Retries; attempt++)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(Timeout);
                try
                {
                    await socket.SendAsync(query, SocketFlags.None, wait.Token).ConfigureAwait(false);
                    while (true)
                    {
                        int n = await socket.ReceiveAsync(buffer.AsMemory(0, UdpBufferSize), SocketFlags.None, wait.Token).ConfigureAwait(false);
                        if (n == UdpBufferSize) return null;
                        var r = DnsResponseParser.Parse(buffer.AsSpan(0, n), out _);
                        // A datagram that is not the answer to this question (stale, forged, broken) is ignored.
                        if (r is not null && Matches(r, id, qname, type)) return new DnsQueryResult(r, null, null, false);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // This attempt timed out: try again, or give up below.
                }
            }
            return NoAnswer($"no answer within {Timeout.TotalSeconds:0.###} s ({Retries + 1} tries over UDP)", false);
        }
        catch (SocketException ex)
        {
            return NoAnswer(ex.Message, false);
        }
        finally
        {
            registration?.Dispose(); // before the socket closes: the end point may be someone else's after that
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<DnsQueryResult> TcpAsync(byte[] query, ushort id, string qname, DnsType type, CancellationToken ct)
    {
        using var socket = new Socket(Server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        IDisposable? registration = null;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(Timeout);
        try
        {
            Bind(socket);
            await socket.ConnectAsync(Server, wait.Token).ConfigureAwait(false);
            if (LabResolver) registration = LabResolverSockets.Register(ProtocolType.Tcp, (IPEndPoint)socket.LocalEndPoint!);
            // RFC 1035 §4.2.2: a two-octet length, then the message, in one write (RFC 7766 §8).
            await socket.SendAsync(DnsTcpFramer.Frame(query), SocketFlags.None, wait.Token).ConfigureAwait(false);
            var length = new byte[2];
            if (!await ReadExactlyAsync(socket, length, wait.Token).ConfigureAwait(false))
            {
                return NoAnswer("the lab DNS closed the TCP connection without answering", true);
            }
            var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
            if (!await ReadExactlyAsync(socket, message, wait.Token).ConfigureAwait(false))
            {
                return new DnsQueryResult(null, DnsQueryError.Malformed, $"the TCP answer is cut short ({message.Length} octets announced)", true);
            }
            var r = DnsResponseParser.Parse(message, out string? problem);
            if (r is null) return new DnsQueryResult(null, DnsQueryError.Malformed, $"unreadable answer over TCP: {problem}", true);
            if (!Matches(r, id, qname, type)) return new DnsQueryResult(null, DnsQueryError.Malformed, "the TCP answer is not for our question (id or question differ)", true);
            return new DnsQueryResult(r, null, null, true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return NoAnswer($"no answer within {Timeout.TotalSeconds:0.###} s over TCP", true);
        }
        catch (SocketException ex)
        {
            return NoAnswer(ex.Message, true);
        }
        finally
        {
            registration?.Dispose();
        }
    }

    /// <summary>
    /// Binds to <see cref="Source"/> (port chosen by the system) without SO_REUSEADDR, so no other socket
    /// can hold the same address and port while this one does (what <see cref="LabResolverSockets"/> relies on).
    /// </summary>
    private void Bind(Socket socket)
    {
        if (Source is null) return;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
        socket.Bind(new IPEndPoint(Source, 0));
    }

    private static bool Matches(DnsResponse r, ushort id, string qname, DnsType type) =>
        r.Id == id && (r.QuestionName is null
            ? r.Rcode != DnsRcode.NoError // FORMERR and the like may come without the question
            : r.QuestionName == qname && r.QuestionType == (ushort)type && r.QuestionClass == 1);

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    // The query ends with the OPT record (RFC 6891 §6.1.2: root name, type, class, TTL, RDLENGTH 0); the DO bit
    // is the top bit of the TTL's flags half (RFC 3225 §3), the fourth octet from the end.
    private static byte[]? WithDo(byte[]? query, bool dnssecOk)
    {
        if (query is not null && dnssecOk) query[^4] |= 0x80;
        return query;
    }

    private static DnsQueryResult NoAnswer(string reason, bool tcp) => new(null, DnsQueryError.NoAnswer, reason, tcp);
}
