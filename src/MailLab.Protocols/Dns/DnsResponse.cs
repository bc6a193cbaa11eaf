using System.Buffers.Binary;
using System.Net;

namespace MailLab.Protocols.Dns;

/// <summary>
/// A parsed DNS response (RFC 1035 §4.1): the header flags, the question it answers (absent in a
/// reply that has none, such as FORMERR), and the answer, authority and additional records. An OPT
/// record (RFC 6891) is not a record of the additional section here: <see cref="EdnsUdpSize"/> says it was there,
/// <see cref="DnssecOk"/> whether it had the DO bit (RFC 3225); <see cref="AuthenticData"/> is the AD flag (RFC 4035 §3.2.3).
/// </summary>
public sealed record DnsResponse(
    ushort Id,
    byte Opcode,
    bool Authoritative,
    bool Truncated,
    bool RecursionDesired,
    bool RecursionAvailable,
    DnsRcode Rcode,
    string? QuestionName,
    ushort QuestionType,
    ushort QuestionClass,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authority,
    IReadOnlyList<DnsRecord> Additional,
    ushort? EdnsUdpSize,
    int Size,
    bool AuthenticData = false,
    bool DnssecOk = false)
{
    /// <summary>The answer records of one type (an A query's answer may hold the CNAME it followed, too).</summary>
    public IEnumerable<T> AnswerData<T>(DnsType type) where T : DnsRData =>
        Answers.Where(r => r.Type == type).Select(r => r.Data).OfType<T>();

    /// <summary>At most this many CNAMEs are followed inside one answer.</summary>
    public const int MaxCnameHops = 8;

    /// <summary>
    /// The names the answer speaks for: the question name, then each CNAME target in turn (RFC 1034 §3.6.2),
    /// at most <see cref="MaxCnameHops"/> hops, stopping at a loop.
    /// </summary>
    public IReadOnlyList<string> CnameChain()
    {
        var chain = new List<string>();
        if (QuestionName is null) return chain;
        string owner = DnsNames.Normalize(QuestionName);
        chain.Add(owner);
        for (int hop = 0; hop < MaxCnameHops; hop++)
        {
            if (Answers.FirstOrDefault(r => r.Type == DnsType.CNAME && DnsNames.Normalize(r.Name) == owner)?.Data is not NameData target) break;
            owner = DnsNames.Normalize(target.Target);
            if (chain.Contains(owner)) break;
            chain.Add(owner);
        }
        return chain;
    }

    /// <summary>
    /// The records of one type that answer the question: at the question name or at the end of its CNAME chain.
    /// Records under any other owner in the answer section are not the answer and are never used (RFC 2181 §5.4.1:
    /// a resolver trusts only data that answers what it asked; a forger may add more).
    /// </summary>
    public IEnumerable<T> AnswerFor<T>(DnsType type) where T : DnsRData
    {
        var chain = CnameChain();
        return Answers.Where(r => r.Type == type && chain.Contains(DnsNames.Normalize(r.Name))).Select(r => r.Data).OfType<T>();
    }

    /// <summary>The rcode as dig prints it (NOERROR, NXDOMAIN, REFUSED ...).</summary>
    public string Status => RcodeName(Rcode);

    /// <summary>The mnemonic of an rcode (RFC 1035 §4.1.1, RFC 2136 §2.2 for 6-10).</summary>
    public static string RcodeName(DnsRcode rcode) => (int)rcode switch
    {
        0 => "NOERROR", 1 => "FORMERR", 2 => "SERVFAIL", 3 => "NXDOMAIN", 4 => "NOTIMP", 5 => "REFUSED",
        6 => "YXDOMAIN", 7 => "YXRRSET", 8 => "NXRRSET", 9 => "NOTAUTH", 10 => "NOTZONE",
        int n => $"RCODE{n}",
    };
}

/// <summary>Record data of a type this client does not interpret, kept as octets (RFC 3597 §5 text form).</summary>
public sealed record OpaqueData(byte[] Octets) : DnsRData
{
    /// <inheritdoc />
    public override string ToZoneText() => $"\\# {Octets.Length}{(Octets.Length == 0 ? "" : " " + Convert.ToHexString(Octets))}";

    /// <inheritdoc />
    public bool Equals(OpaqueData? other) => other is not null && Octets.AsSpan().SequenceEqual(other.Octets);

    /// <inheritdoc />
    public override int GetHashCode() => Octets.Length;
}

/// <summary>
/// Reads a DNS response without I/O (RFC 1035 §4.1): header, at most one question, and the records
/// of every section, with name compression (§4.1.4) followed under a jump limit. A, AAAA, NS, CNAME,
/// PTR, MX, TXT and SOA data are decoded (and SRV, TLSA, HINFO, and DNSKEY, RRSIG, NSEC and DS (RFC 4034), the other types the lab serves);
/// other types are kept as octets. Anything malformed is a
/// null with the reason, never an exception: records cut short, record data that does not fill its
/// RDLENGTH exactly, a compression pointer outside the message or in a loop, more records than
/// <see cref="MaxRecords"/>. A truncated response (TC) yields its header and question only: its
/// sections may be cut anywhere and the client asks again over TCP (RFC 1035 §4.2.1).
/// </summary>
public static class DnsResponseParser
{
    /// <summary>
    /// Records (all sections) a response may hold. A 64 KiB TCP message has room for about 6,000; the lab's
    /// largest answer holds a few dozen, so more is hostile or broken and is refused before any is read.
    /// </summary>
    public const int MaxRecords = 1024;

    /// <summary>The response in <paramref name="m"/>, or null with <paramref name="problem"/> saying what is wrong.</summary>
    public static DnsResponse? Parse(ReadOnlySpan<byte> m, out string? problem)
    {
        problem = null;
        if (m.Length < 12)
        {
            problem = $"{m.Length} octets: shorter than a DNS header (12)";
            return null;
        }
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(m);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(m[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(m[8..]);
        int ar = BinaryPrimitives.ReadUInt16BigEndian(m[10..]);
        if ((flags & 0x8000) == 0)
        {
            problem = "QR is clear: a query, not a response";
            return null;
        }
        if (qd > 1)
        {
            problem = $"{qd} questions; a response to our query has at most one";
            return null;
        }
        bool tc = (flags & 0x0200) != 0;
        if (!tc && an + ns + ar > MaxRecords)
        {
            problem = $"{an + ns + ar} records: more than the {MaxRecords} a response may hold here";
            return null;
        }
        int pos = 12;
        string? qname = null;
        ushort qtype = 0, qclass = 0;
        if (qd == 1)
        {
            qname = DnsWire.ReadName(m, ref pos, out string? nameProblem);
            if (qname is null)
            {
                problem = $"question: {nameProblem}";
                return null;
            }
            if (pos + 4 > m.Length)
            {
                problem = "question: type and class are cut short";
                return null;
            }
            qtype = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
            qclass = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 2)..]);
            pos += 4;
        }
        var answers = new List<DnsRecord>();
        var authority = new List<DnsRecord>();
        var additional = new List<DnsRecord>();
        ushort? edns = null;
        bool dnssecOk = false;
        if (!tc)
        {
            // Sections in order; an OPT counts only in the additional section (RFC 6891 §6.1.1).
            (List<DnsRecord> List, int Count, string Name)[] sections = [(answers, an, "answer"), (authority, ns, "authority"), (additional, ar, "additional")];
            foreach (var (list, count, section) in sections)
            {
                for (int i = 0; i < count; i++)
                {
                    var r = ReadRecord(m, ref pos, out ushort type, out ushort cls, out uint rawTtl, out string? recordProblem);
                    if (recordProblem is not null)
                    {
                        problem = $"{section} record {i + 1} of {count}: {recordProblem}";
                        return null;
                    }
                    if (type == (ushort)DnsType.OPT)
                    {
                        if (section == "additional")
                        {
                            edns = Math.Max(cls, (ushort)DnsWire.ClassicUdpLimit);
                            dnssecOk = (rawTtl & DnsWire.DoBit) != 0;
                        }
                        continue;
                    }
                    if (r is not null && cls == 1) list.Add(r); // class IN only: the only class we ask
                }
            }
        }
        return new DnsResponse(id, (byte)((flags >> 11) & 0xF), (flags & 0x0400) != 0, tc, (flags & 0x0100) != 0, (flags & 0x0080) != 0,
            (DnsRcode)(flags & 0xF), qname, qtype, qclass, answers, authority, additional, edns, m.Length, (flags & 0x0020) != 0, dnssecOk);
    }

    private static DnsRecord? ReadRecord(ReadOnlySpan<byte> m, ref int pos, out ushort type, out ushort cls, out uint rawTtl, out string? problem)
    {
        type = cls = 0;
        rawTtl = 0;
        string? owner = DnsWire.ReadName(m, ref pos, out problem);
        if (owner is null) return null;
        if (pos + 10 > m.Length)
        {
            problem = "type, class, TTL and RDLENGTH are cut short";
            return null;
        }
        type = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
        cls = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 2)..]);
        // RFC 2181 §8: a TTL with the top bit set is treated as 0.
        uint ttl = rawTtl = BinaryPrimitives.ReadUInt32BigEndian(m[(pos + 4)..]);
        if (ttl > int.MaxValue) ttl = 0;
        int rdlength = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 8)..]);
        pos += 10;
        int start = pos, end = pos + rdlength;
        if (end > m.Length)
        {
            problem = $"RDLENGTH {rdlength} runs past the end of the message";
            return null;
        }
        pos = end;
        if (type == (ushort)DnsType.OPT) return null;
        var data = ReadData(m, start, end, type, out problem);
        return data is null ? null : new DnsRecord(owner, (DnsType)type, ttl, data);
    }

    private static DnsRData? ReadData(ReadOnlySpan<byte> m, int start, int end, ushort type, out string? problem)
    {
        problem = null;
        int length = end - start;
        int p = start;
        switch ((DnsType)type)
        {
            case DnsType.A or DnsType.AAAA:
                int size = type == (ushort)DnsType.A ? 4 : 16;
                if (length != size)
                {
                    problem = $"{(DnsType)type} data of {length} octets, not {size}";
                    return null;
                }
                return new AddressData(new IPAddress(m.Slice(start, size)));
            case DnsType.NS or DnsType.CNAME or DnsType.PTR:
            {
                string? target = Name(m, ref p, end, out problem);
                return target is null ? null : Filled(p, end, ref problem, new NameData(target));
            }
            case DnsType.MX:
            {
                if (length < 3)
                {
                    problem = "MX data shorter than a preference and a name";
                    return null;
                }
                ushort preference = BinaryPrimitives.ReadUInt16BigEndian(m[p..]);
                p += 2;
                string? exchange = Name(m, ref p, end, out problem);
                return exchange is null ? null : Filled(p, end, ref problem, new MxData(preference, exchange));
            }
            case DnsType.TXT:
            {
                // RFC 1035 §3.3.14: one or more character-strings filling the data exactly.
                var strings = new List<byte[]>();
                while (p < end)
                {
                    int n = m[p++];
                    if (p + n > end)
                    {
                        problem = "a TXT character-string runs past its record's data";
                        return null;
                    }
                    strings.Add(m.Slice(p, n).ToArray());
                    p += n;
                }
                if (strings.Count == 0)
                {
                    problem = "TXT data with no character-string";
                    return null;
                }
                return new TxtData(strings);
            }
            case DnsType.SOA:
            {
                string? mname = Name(m, ref p, end, out problem);
                if (mname is null) return null;
                string? rname = Name(m, ref p, end, out problem);
                if (rname is null) return null;
                if (end - p != 20)
                {
                    problem = $"SOA data has {end - p} octets after its names, not 20";
                    return null;
                }
                var t = m.Slice(p, 20);
                return new SoaData(mname, rname, BinaryPrimitives.ReadUInt32BigEndian(t), BinaryPrimitives.ReadUInt32BigEndian(t[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(t[8..]), BinaryPrimitives.ReadUInt32BigEndian(t[12..]), BinaryPrimitives.ReadUInt32BigEndian(t[16..]));
            }
            case DnsType.SRV:
            {
                // RFC 2782: priority, weight, port, target.
                if (length < 7)
                {
                    problem = "SRV data shorter than its three numbers and a name";
                    return null;
                }
                var n = m.Slice(p, 6);
                p += 6;
                string? target = Name(m, ref p, end, out problem);
                return target is null ? null : Filled(p, end, ref problem, new SrvData(BinaryPrimitives.ReadUInt16BigEndian(n),
                    BinaryPrimitives.ReadUInt16BigEndian(n[2..]), BinaryPrimitives.ReadUInt16BigEndian(n[4..]), target));
            }
            case DnsType.TLSA:
                // RFC 6698 §2.1: usage, selector, matching type, association data.
                if (length < 3)
                {
                    problem = "TLSA data shorter than its three numbers";
                    return null;
                }
                return new TlsaData(m[start], m[start + 1], m[start + 2], m[(start + 3)..end].ToArray());
            case DnsType.OPENPGPKEY:
                // RFC 7929 §2.1: the whole RDATA is the key.
                return new OpenPgpKeyData(m[start..end].ToArray());
            case DnsType.HINFO:
            {
                // RFC 1035 §3.3.2: two character-strings, CPU and OS.
                var parts = new List<string>();
                while (p < end && parts.Count < 2)
                {
                    int n = m[p++];
                    if (p + n > end)
                    {
                        problem = "an HINFO character-string runs past its record's data";
                        return null;
                    }
                    parts.Add(System.Text.Encoding.Latin1.GetString(m.Slice(p, n)));
                    p += n;
                }
                if (parts.Count != 2 || p != end)
                {
                    problem = "HINFO data is not exactly two character-strings";
                    return null;
                }
                return new HinfoData(parts[0], parts[1]);
            }
            case DnsType.DNSKEY or DnsType.DS or DnsType.RRSIG or DnsType.NSEC:
                return DnssecWire.Read(m, start, end, (DnsType)type, out problem);
            default:
                return new OpaqueData(m[start..end].ToArray());
        }
    }

    /// <summary>A name inside record data: its uncompressed part must stay inside the data (RFC 1035 §3.3).</summary>
    private static string? Name(ReadOnlySpan<byte> m, ref int p, int end, out string? problem)
    {
        string? name = DnsWire.ReadName(m[..end], ref p, out problem);
        if (name is null && problem is "a name is cut short" or "a label is cut short") problem = "a name runs past its record's data";
        return name;
    }

    private static DnsRData? Filled(int p, int end, ref string? problem, DnsRData data)
    {
        if (p == end) return data;
        problem = $"{end - p} octets left over after the record's data";
        return null;
    }
}
