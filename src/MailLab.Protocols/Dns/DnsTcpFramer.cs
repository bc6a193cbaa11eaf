using System.Buffers.Binary;

namespace MailLab.Protocols.Dns;

/// <summary>RFC 1035 §4.2.2 framing over TCP: each message is preceded by its length in two octets.</summary>
public sealed class DnsTcpFramer
{
    private readonly List<byte> pending = [];

    /// <summary>Adds received bytes.</summary>
    public void Append(ReadOnlySpan<byte> data) { foreach (byte b in data) pending.Add(b); }

    /// <summary>The next whole message, or null if more bytes are needed.</summary>
    public byte[]? TryRead()
    {
        if (pending.Count < 2) return null;
        int len = (pending[0] << 8) | pending[1];
        if (pending.Count < 2 + len) return null;
        byte[] msg = pending.GetRange(2, len).ToArray();
        pending.RemoveRange(0, 2 + len);
        return msg;
    }

    /// <summary>A message with its length prefix.</summary>
    public static byte[] Frame(byte[] message)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        return framed;
    }
}
