using System.Buffers.Binary;
using System.Text;

namespace MailLab.Protocols.Dns;

/// <summary>Response codes (RFC 1035 §4.1.1).</summary>
public enum DnsRcode : byte
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NXDomain = 3,
    NotImp = 4,
    Refused = 5,
}

/// <summary>
/// A parsed query: header fields, the one question, the EDNS0 payload size if an OPT was sent, and its
/// DO bit (RFC 3225 §3: the client wants DNSSEC records).
/// </summary>
public sealed record DnsQuestionMessage(ushort Id, byte Opcode, bool RecursionDesired, string Name, ushort QType, ushort QClass,
    byte[] QuestionWire, ushort? EdnsUdpSize, bool DnssecOk = false);

/// <summary>
/// The DNS message format (RFC 1035 §4.1) for an authoritative server, without I/O: parses queries,
/// writes responses with name compression (§4.1.4). The wire codec is ours because ARSoft.Tools.Net's
/// server transports do not expose the port they bound (tests bind port 0, UDP and TCP on one port).
/// </summary>
public static class DnsWire
{
    /// <summary>RFC 1035 §2.3.4: a UDP message without EDNS carries at most 512 octets.</summary>
    public const int ClassicUdpLimit = 512;

    /// <summary>The EDNS0 payload size we offer (the DNS flag day 2020 value).</summary>
    public const ushort OurEdnsSize = 1232;

    /// <summary>The DO bit in the OPT record's TTL field (RFC 3225 §3).</summary>
    public const uint DoBit = 0x8000;

    /// <summary>Reads a query. Null with <paramref name="problem"/> set when it is malformed; the id is kept when known.</summary>
    public static DnsQuestionMessage? ParseQuery(ReadOnlySpan<byte> m, out ushort id, out string? problem)
    {
        id = 0;
        problem = null;
        if (m.Length < 12)
        {
            problem = "shorter than a DNS header";
            return null;
        }
        id = BinaryPrimitives.ReadUInt16BigEndian(m);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        ushort qd = BinaryPrimitives.ReadUInt16BigEndian(m[4..]);
        ushort an = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
        ushort ns = BinaryPrimitives.ReadUInt16BigEndian(m[8..]);
        ushort ar = BinaryPrimitives.ReadUInt16BigEndian(m[10..]);
        if ((flags & 0x8000) != 0)
        {
            problem = "QR is set: this is a response, not a query";
            return null;
        }
        if (qd != 1)
        {
            problem = $"{qd} questions; a query has exactly one";
            return null;
        }
        int pos = 12;
        string? name = ReadName(m, ref pos);
        if (name is null || pos + 4 > m.Length)
        {
            problem = "question is cut short or has a bad name";
            return null;
        }
        ushort qtype = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
        ushort qclass = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 2)..]);
        pos += 4;
        byte[] questionWire = m[12..pos].ToArray();
        ushort? edns = null;
        bool dnssecOk = false;
        // Skip answer and authority (empty in queries), then look for an OPT in the additional section (RFC 6891 §6.1.1).
        for (int i = 0; i < an + ns + ar; i++)
        {
            if (ReadName(m, ref pos) is null || pos + 10 > m.Length)
            {
                problem = "a record after the question is cut short";
                return null;
            }
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
            ushort cls = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 2)..]);
            ushort rdlen = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 8)..]);
            // RFC 6891 §6.1.3: the OPT's TTL holds extended rcode, version and flags; DO is the flags' top bit (RFC 3225 §3).
            bool doBit = (BinaryPrimitives.ReadUInt32BigEndian(m[(pos + 4)..]) & DoBit) != 0;
            pos += 10 + rdlen;
            if (pos > m.Length)
            {
                problem = "record data runs past the end of the message";
                return null;
            }
            if (type == (ushort)DnsType.OPT && i >= an + ns)
            {
                edns = Math.Max(cls, (ushort)ClassicUdpLimit);
                dnssecOk = doBit;
            }
        }
        return new DnsQuestionMessage(id, (byte)((flags >> 11) & 0xF), (flags & 0x0100) != 0, name, qtype, qclass, questionWire, edns, dnssecOk);
    }

    /// <summary>Reads a possibly compressed name; labels are returned lower case, dot separated, no trailing dot.</summary>
    internal static string? ReadName(ReadOnlySpan<byte> m, ref int pos) => ReadName(m, ref pos, out _);

    /// <summary>Pointers followed at most in one name: more is a compression loop (a name has at most 127 labels).</summary>
    public const int MaxCompressionJumps = 64;

    /// <summary>
    /// Reads a possibly compressed name (RFC 1035 §4.1.4); labels are returned lower case, dot separated,
    /// no trailing dot. Null with <paramref name="problem"/> saying why: cut short, a pointer outside the
    /// message, a pointer loop, a reserved label type, a name over 255 octets.
    /// </summary>
    internal static string? ReadName(ReadOnlySpan<byte> m, ref int pos, out string? problem)
    {
        var sb = new StringBuilder();
        int p = pos, jumps = 0;
        bool jumped = false;
        problem = null;
        while (true)
        {
            if (p >= m.Length)
            {
                problem = "a name is cut short";
                return null;
            }
            byte len = m[p];
            if ((len & 0xC0) == 0xC0)
            {
                if (p + 1 >= m.Length)
                {
                    problem = "a compression pointer is cut short";
                    return null;
                }
                if (++jumps > MaxCompressionJumps)
                {
                    problem = "a compression pointer loop";
                    return null;
                }
                if (!jumped) pos = p + 2;
                jumped = true;
                p = ((len & 0x3F) << 8) | m[p + 1];
                if (p >= m.Length)
                {
                    problem = $"a compression pointer to offset {p}, outside the {m.Length}-octet message";
                    return null;
                }
                continue;
            }
            if ((len & 0xC0) != 0)
            {
                problem = $"a label type 0x{len & 0xC0:X2} that RFC 1035 reserves";
                return null;
            }
            p++;
            if (len == 0) break;
            if (p + len > m.Length)
            {
                problem = "a label is cut short";
                return null;
            }
            if (m.Slice(p, len).Contains((byte)'.'))
            {
                problem = "a dot inside a label"; // not a host name we could hold
                return null;
            }
            if (sb.Length > 0) sb.Append('.');
            sb.Append(Encoding.Latin1.GetString(m.Slice(p, len)).ToLowerInvariant());
            p += len;
            if (sb.Length > 255)
            {
                problem = "a name longer than 255 octets"; // RFC 1035 §2.3.4
                return null;
            }
        }
        if (!jumped) pos = p;
        return sb.ToString();
    }

    /// <summary>
    /// Writes a query for one question (RFC 1035 §4.1): RD clear (the lab DNS is authoritative and does not
    /// recurse), and an EDNS0 OPT offering <see cref="OurEdnsSize"/> octets over UDP (RFC 6891 §6.1.2).
    /// Null with <paramref name="problem"/> when <paramref name="name"/> cannot be a DNS name (RFC 1035 §2.3.4).
    /// </summary>
    public static byte[]? WriteQuery(ushort id, string name, ushort qtype, bool edns, out string? problem) =>
        WriteQuery(id, name, qtype, edns, dnssecOk: false, checkingDisabled: false, out problem);

    /// <summary>
    /// As <see cref="WriteQuery(ushort, string, ushort, bool, out string?)"/>, with the DO bit (RFC 3225 §3: send
    /// RRSIGs and NSECs; implies EDNS) and the CD flag (RFC 4035 §3.2.2: a validating stub checks for itself).
    /// </summary>
    public static byte[]? WriteQuery(ushort id, string name, ushort qtype, bool edns, bool dnssecOk, bool checkingDisabled, out string? problem)
    {
        edns |= dnssecOk;
        problem = null;
        string n = DnsNames.Normalize(name);
        if (n.Length > 0)
        {
            if (!n.All(char.IsAscii))
            {
                problem = "not ASCII (the lab's names are; IDNs are asked in their xn-- form)";
                return null;
            }
            if (!DnsNames.CanExist(n))
            {
                problem = "an empty label, a label over 63 octets or a name over 253 octets (RFC 1035 §2.3.4)";
                return null;
            }
        }
        var w = new DnsWriter();
        w.U16(id);
        w.U16((ushort)(checkingDisabled ? 0x0010 : 0)); // QR=0, opcode QUERY, RD=0, CD as asked
        w.U16(1);
        w.U16(0);
        w.U16(0);
        w.U16((ushort)(edns ? 1 : 0));
        w.Name(n, compress: false);
        w.U16(qtype);
        w.U16(1); // class IN
        if (edns) w.Opt(dnssecOk);
        return w.ToArray();
    }

    /// <summary>
    /// Writes a response. When it exceeds <paramref name="limit"/> (UDP), the sections are dropped and
    /// TC is set, so the client asks again over TCP (RFC 1035 §4.2.1, RFC 2181 §9).
    /// </summary>
    public static byte[] WriteResponse(DnsQuestionMessage? q, ushort id, DnsRcode rcode, bool authoritative,
        IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord> authority, int limit, out bool truncated)
    {
        truncated = false;
        byte[] full = Write(q, id, rcode, authoritative, answers, authority, tc: false);
        if (full.Length <= limit) return full;
        truncated = true;
        return Write(q, id, rcode, authoritative, [], [], tc: true);
    }

    private static byte[] Write(DnsQuestionMessage? q, ushort id, DnsRcode rcode, bool aa,
        IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord> authority, bool tc)
    {
        var w = new DnsWriter();
        // QR=1, opcode echoed, AA, TC, RD echoed, RA=0 (no recursion here).
        int flags = 0x8000 | ((q?.Opcode ?? 0) << 11) | (aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (q?.RecursionDesired == true ? 0x0100 : 0) | (int)rcode;
        w.U16(id);
        w.U16((ushort)flags);
        w.U16((ushort)(q is null ? 0 : 1));
        w.U16((ushort)answers.Count);
        w.U16((ushort)authority.Count);
        w.U16((ushort)(q?.EdnsUdpSize is null ? 0 : 1));
        if (q is not null)
        {
            w.Raw(q.QuestionWire);
            w.Remember(q.Name, 12);
        }
        foreach (var r in answers) w.Record(r);
        foreach (var r in authority) w.Record(r);
        // RFC 3225 §3: the DO bit is copied into the response's OPT.
        if (q?.EdnsUdpSize is not null) w.Opt(q.DnssecOk);
        return w.ToArray();
    }
}

/// <summary>Builds a message, compressing names against those already written (RFC 1035 §4.1.4).</summary>
internal sealed class DnsWriter(bool compression = true)
{
    private readonly List<byte> buf = new(512);
    private readonly Dictionary<string, int> offsets = new(StringComparer.Ordinal);

    public void U16(ushort v) { buf.Add((byte)(v >> 8)); buf.Add((byte)v); }

    public void U32(uint v) { U16((ushort)(v >> 16)); U16((ushort)v); }

    public void Raw(ReadOnlySpan<byte> b) { foreach (byte x in b) buf.Add(x); }

    public void Remember(string name, int offset)
    {
        string n = name;
        int at = offset;
        while (n.Length > 0 && at < 0x3FFF)
        {
            offsets.TryAdd(n, at);
            int dot = n.IndexOf('.');
            if (dot < 0) break;
            at += dot + 1;
            n = n[(dot + 1)..];
        }
    }

    public void Name(string name, bool compress = true)
    {
        // Without compression this is the canonical form (RFC 4034 §6.2): names in US-ASCII lower case.
        string n = compression ? name : name.ToLowerInvariant();
        compress &= compression;
        while (n.Length > 0)
        {
            if (compress && offsets.TryGetValue(n, out int ptr))
            {
                U16((ushort)(0xC000 | ptr));
                return;
            }
            if (buf.Count < 0x3FFF) offsets.TryAdd(n, buf.Count);
            int dot = n.IndexOf('.');
            string label = dot < 0 ? n : n[..dot];
            buf.Add((byte)label.Length);
            Raw(Encoding.ASCII.GetBytes(label));
            n = dot < 0 ? "" : n[(dot + 1)..];
        }
        buf.Add(0);
    }

    public void Record(DnsRecord r)
    {
        Name(r.Name);
        U16((ushort)r.Type);
        U16(1); // class IN
        U32(r.Ttl);
        int lengthAt = buf.Count;
        U16(0);
        RData(r.Data);
        int len = buf.Count - lengthAt - 2;
        buf[lengthAt] = (byte)(len >> 8);
        buf[lengthAt + 1] = (byte)len;
    }

    /// <summary>The record data alone; a writer made without compression writes the RFC 4034 §6.2 canonical form.</summary>
    public void RData(DnsRData data)
    {
        switch (data)
        {
            case AddressData a: Raw(a.Address.GetAddressBytes()); break;
            case NameData n: Name(n.Target); break;
            case MxData mx: U16(mx.Preference); Name(mx.Exchange); break;
            case SoaData s:
                Name(s.MName); Name(s.RName);
                U32(s.Serial); U32(s.Refresh); U32(s.Retry); U32(s.Expire); U32(s.Minimum);
                break;
            case TxtData t:
                foreach (var s in t.Strings) { buf.Add((byte)s.Length); Raw(s); }
                break;
            // RFC 2782: the SRV target is not compressed.
            case SrvData srv: U16(srv.Priority); U16(srv.Weight); U16(srv.Port); Name(srv.Target, compress: false); break;
            case HinfoData h:
                foreach (string s in new[] { h.Cpu, h.Os }) { buf.Add((byte)s.Length); Raw(Encoding.ASCII.GetBytes(s)); }
                break;
            case OpaqueData o: Raw(o.Octets); break;
            case OpenPgpKeyData pgp: Raw(pgp.Key); break;
            case TlsaData tlsa: buf.Add(tlsa.Usage); buf.Add(tlsa.Selector); buf.Add(tlsa.MatchingType); Raw(tlsa.Association); break;
            case DnskeyData k: U16(k.Flags); buf.Add(k.Protocol); buf.Add(k.Algorithm); Raw(k.PublicKey); break;
            case DsData ds: U16(ds.KeyTag); buf.Add(ds.Algorithm); buf.Add(ds.DigestType); Raw(ds.Digest); break;
            case RrsigData sig: RrsigFields(sig); Raw(sig.Signature); break;
            // RFC 4034 §4.1.1: the next name is not compressed.
            case NsecData nsec: Name(nsec.NextName, compress: false); Raw(DnssecWire.TypeBitmap(nsec.Types)); break;
        }
    }

    /// <summary>RRSIG data up to the signature (RFC 4034 §3.1); the signer's name is never compressed (§3.1.7).</summary>
    public void RrsigFields(RrsigData sig)
    {
        U16((ushort)sig.TypeCovered); buf.Add(sig.Algorithm); buf.Add(sig.Labels);
        U32(sig.OriginalTtl); U32(sig.Expiration); U32(sig.Inception); U16(sig.KeyTag);
        Name(sig.SignerName, compress: false);
    }

    /// <summary>
    /// The EDNS OPT pseudo-record (RFC 6891 §6.1.2): root owner, class = our UDP payload size,
    /// TTL = extended rcode 0, version 0, flags 0 or DO (RFC 3225 §3); no options.
    /// </summary>
    public void Opt(bool dnssecOk = false)
    {
        Name("");
        U16((ushort)DnsType.OPT);
        U16(DnsWire.OurEdnsSize);
        U32(dnssecOk ? DnsWire.DoBit : 0);
        U16(0);
    }

    public byte[] ToArray() => buf.ToArray();
}
