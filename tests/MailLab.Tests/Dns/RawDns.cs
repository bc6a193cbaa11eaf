using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DnsClient;
using DnsClient.Protocol;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dns;

/// <summary>Raw DNS over loopback sockets, for tests that need what DnsClient hides (source address, TC, slow bytes).</summary>
internal static class RawDns
{
    internal static async Task<TcpClient> Connect(IPEndPoint server, IPAddress from)
    {
        var c = new TcpClient(new IPEndPoint(from, 0));
        await c.ConnectAsync(server);
        return c;
    }

    internal static async Task<bool> ClosedWithin(NetworkStream stream, TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        try
        {
            return await stream.ReadAsync(new byte[64], cts.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }

    internal static int Rcode(byte[] reply) => reply[3] & 0x0F;

    internal static async Task<byte[]> TcpQuery(NetworkStream stream, string name, DnsType type)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await stream.WriteAsync(DnsTcpFramer.Frame(Query(1, name, type)), cts.Token);
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, cts.Token);
        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(head)];
        await stream.ReadExactlyAsync(reply, cts.Token);
        return reply;
    }

    /// <summary>A plain query without EDNS (RFC 1035 §4.1).</summary>
    internal static byte[] Query(ushort id, string name, DnsType type)
    {
        var m = new List<byte> { (byte)(id >> 8), (byte)id, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(Encoding.ASCII.GetBytes(label));
        }
        m.AddRange([0, (byte)((ushort)type >> 8), (byte)type, 0, 1]);
        return m.ToArray();
    }
}
