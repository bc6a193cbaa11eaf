using System.Buffers.Binary;
using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Tests.Dns;

/// <summary>The sans-IO response parser on its own: every record type the lab's resolver reads, and bad input as an error value.</summary>
public class DnsResponseParserTests
{
    private static DnsQuestionMessage Question(string name, DnsType type, bool edns = false) =>
        DnsWire.ParseQuery(DnsWire.WriteQuery(0x1234, name, (ushort)type, edns, out _), out _, out _)!;

    private static byte[] Response(string name, DnsType type, DnsRcode rcode, IReadOnlyList<DnsRecord> answers,
        IReadOnlyList<DnsRecord>? authority = null, bool edns = false) =>
        DnsWire.WriteResponse(Question(name, type, edns), 0x1234, rcode, true, answers, authority ?? [], ushort.MaxValue, out _);

    private static readonly DnsRecord Soa = new("bank.test", DnsType.SOA, 300,
        new SoaData("ns.bank.test", "hostmaster.bank.test", 2025010101, 3600, 900, 604800, 300));

    /// <summary>One record of each type the resolver reads, written by the lab DNS's own writer (compressed names).</summary>
    public static TheoryData<DnsRecord> Records => new()
    {
        new DnsRecord("mx.bank.test", DnsType.A, 3600, new AddressData(IPAddress.Parse("127.0.2.1"))),
        new DnsRecord("mx.bank.test", DnsType.AAAA, 3600, new AddressData(IPAddress.Parse("fd00::2:1"))),
        new DnsRecord("bank.test", DnsType.MX, 3600, new MxData(10, "mx.bank.test")),
        new DnsRecord("bank.test", DnsType.MX, 3600, new MxData(0, "")),
        new DnsRecord("bank.test", DnsType.TXT, 60, TxtData.FromText("v=spf1 " + new string('x', 300) + " -all")),
        new DnsRecord("1.2.0.127.in-addr.arpa", DnsType.PTR, 3600, new NameData("mx.bank.test")),
        new DnsRecord("www.bank.test", DnsType.CNAME, 3600, new NameData("mx.bank.test")),
        new DnsRecord("bank.test", DnsType.NS, 3600, new NameData("ns.bank.test")),
        Soa,
        new DnsRecord("_25._tcp.mx.bank.test", DnsType.TLSA, 3600, new TlsaData(3, 1, 1, [0xAB, 0xCD])),
        new DnsRecord("_submission._tcp.bank.test", DnsType.SRV, 3600, new SrvData(0, 1, 587, "mail.bank.test")),
        new DnsRecord("bank.test", DnsType.HINFO, 3600, new HinfoData("RFC8482", "")),
        new DnsRecord("bank.test", (DnsType)99, 3600, new OpaqueData([3, 1, 1, 0xAB, 0xCD])), // a type the client does not know
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void Each_record_type_reads_back_as_written(DnsRecord record)
    {
        var wire = Response(record.Name, record.Type, DnsRcode.NoError, [record, record with { Ttl = 5 }], [Soa], edns: true);
        var r = DnsResponseParser.Parse(wire, out string? problem);
        Assert.True(r is not null, problem);
        Assert.Equal((0x1234, true, false, DnsRcode.NoError, record.Name, (ushort)record.Type, (ushort)1),
            (r.Id, r.Authoritative, r.Truncated, r.Rcode, r.QuestionName, r.QuestionType, r.QuestionClass));
        Assert.Equal([record, record with { Ttl = 5 }], r.Answers);
        Assert.Equal([Soa], r.Authority);
        Assert.Empty(r.Additional); // the OPT is not a record of the section
        Assert.Equal((ushort?)DnsWire.OurEdnsSize, r.EdnsUdpSize);
        Assert.Equal(wire.Length, r.Size);
    }

    [Fact]
    public void Nxdomain_with_its_soa_and_a_truncated_response_with_header_and_question_only()
    {
        var nx = DnsResponseParser.Parse(Response("ghost.bank.test", DnsType.A, DnsRcode.NXDomain, [], [Soa]), out _)!;
        Assert.Equal(("NXDOMAIN", 0, Soa), (nx.Status, nx.Answers.Count, nx.Authority.Single()));

        var many = Enumerable.Range(1, 60).Select(i => new DnsRecord("many.bank.test", DnsType.A, 60, new AddressData(IPAddress.Parse($"127.0.8.{i}")))).ToList();
        var tc = DnsWire.WriteResponse(Question("many.bank.test", DnsType.A), 0x1234, DnsRcode.NoError, true, many, [], DnsWire.ClassicUdpLimit, out bool truncated);
        Assert.True(truncated);
        var r = DnsResponseParser.Parse(tc, out _)!;
        Assert.True(r.Truncated);
        Assert.Equal("many.bank.test", r.QuestionName);
        // Another server may cut its sections anywhere and still count them in the header: only header and question are read.
        var cut = Response("many.bank.test", DnsType.A, DnsRcode.NoError, many)[..200];
        cut[2] |= 0x02; // TC
        Assert.True(DnsResponseParser.Parse(cut, out string? problem)?.Truncated, problem);
    }

    [Fact]
    public void Every_prefix_of_a_response_is_an_error_value_never_an_exception()
    {
        var wire = Response("bank.test", DnsType.MX, DnsRcode.NoError, [new DnsRecord("bank.test", DnsType.MX, 3600, new MxData(10, "mx.bank.test"))], [Soa]);
        for (int n = 0; n < wire.Length; n++)
        {
            Assert.Null(DnsResponseParser.Parse(wire.AsSpan(0, n), out string? problem));
            Assert.False(string.IsNullOrEmpty(problem), $"no reason for a {n}-octet prefix");
        }
        Assert.NotNull(DnsResponseParser.Parse(wire, out _));
    }

    [Fact]
    public void A_compression_pointer_loop_is_an_error()
    {
        // Header with one answer; the answer's owner name is a pointer to itself.
        var m = Header(qd: 0, an: 1);
        m.AddRange([0xC0, 12]);
        m.AddRange([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
        Assert.Null(DnsResponseParser.Parse(m.ToArray(), out string? problem));
        Assert.Contains("loop", problem);

        // Two names pointing at each other.
        var two = Header(qd: 1, an: 0);
        two.AddRange([0xC0, 14, 0xC0, 12, 0, 1, 0, 1]);
        Assert.Null(DnsResponseParser.Parse(two.ToArray(), out problem));
        Assert.Contains("loop", problem);
    }

    [Fact]
    public void A_compression_pointer_outside_the_message_is_an_error()
    {
        var m = Header(qd: 1, an: 0);
        m.AddRange([0xC0, 0xFF, 0, 1, 0, 1]);
        Assert.Null(DnsResponseParser.Parse(m.ToArray(), out string? problem));
        Assert.Contains("outside", problem);

        // A name inside MX data may not point past the end of that record's data either.
        var mx = Header(qd: 0, an: 1);
        mx.AddRange([0]); // owner: root
        mx.AddRange([0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xC0, 30]);
        Assert.Null(DnsResponseParser.Parse(mx.ToArray(), out problem));
        Assert.Contains("answer record 1", problem);
    }

    [Fact]
    public void More_records_than_the_limit_are_refused_before_any_is_read()
    {
        var m = Header(qd: 0, an: DnsResponseParser.MaxRecords, ns: 1);
        Assert.Null(DnsResponseParser.Parse(m.ToArray(), out string? problem));
        Assert.Contains("more than", problem);
        // At the limit the counts are believed, and the missing records are an error of their own.
        Assert.Null(DnsResponseParser.Parse(Header(qd: 0, an: DnsResponseParser.MaxRecords).ToArray(), out problem));
        Assert.Contains("answer record 1 of 1024", problem);
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 127, 0, 0, 1, 9 }, "not 4")] // A of 5 octets
    [InlineData(new byte[] { 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, 0x61, 0x62 }, "runs past its record")] // TXT string longer than the data
    [InlineData(new byte[] { 0, 16, 0, 1, 0, 0, 0, 60, 0, 0 }, "no character-string")] // empty TXT
    [InlineData(new byte[] { 0, 15, 0, 1, 0, 0, 0, 60, 0, 5, 0, 10, 0, 7, 7 }, "left over")] // MX with junk after the name
    [InlineData(new byte[] { 0, 6, 0, 1, 0, 0, 0, 60, 0, 6, 0, 0, 0, 0, 0, 0 }, "not 20")] // SOA without its numbers
    [InlineData(new byte[] { 0, 1, 0, 1, 0, 0, 0, 60, 0, 40, 127 }, "runs past the end")] // RDLENGTH past the message
    [InlineData(new byte[] { 0, 1, 0, 1, 0, 0 }, "cut short")] // fixed part cut
    public void Record_data_that_does_not_fit_its_type_is_an_error(byte[] afterRootOwner, string expected)
    {
        var m = Header(qd: 0, an: 1);
        m.Add(0); // owner: root
        m.AddRange(afterRootOwner);
        Assert.Null(DnsResponseParser.Parse(m.ToArray(), out string? problem));
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void A_query_and_a_message_with_two_questions_are_not_responses()
    {
        Assert.Null(DnsResponseParser.Parse(DnsWire.WriteQuery(1, "bank.test", (ushort)DnsType.A, false, out _), out string? problem));
        Assert.Contains("QR", problem);
        var two = Header(qd: 2, an: 0);
        Assert.Null(DnsResponseParser.Parse(two.ToArray(), out problem));
        Assert.Contains("2 questions", problem);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rng = new Random(14);
        var valid = Response("bank.test", DnsType.TXT, DnsRcode.NoError, [new DnsRecord("bank.test", DnsType.TXT, 60, TxtData.FromText("v=spf1 -all"))], [Soa]);
        for (int i = 0; i < 20_000; i++)
        {
            var m = (byte[])valid.Clone();
            for (int k = rng.Next(1, 6); k > 0; k--) m[rng.Next(2, m.Length)] = (byte)rng.Next(256); // keep the header's id
            m[2] |= 0x80;
            var r = DnsResponseParser.Parse(m, out string? problem);
            Assert.True(r is not null || problem is not null);
        }
    }

    [Fact]
    public void Queries_are_written_for_names_that_can_exist_only()
    {
        Assert.Null(DnsWire.WriteQuery(1, new string('a', 64) + ".test", (ushort)DnsType.A, false, out string? problem));
        Assert.Contains("63", problem);
        Assert.Null(DnsWire.WriteQuery(1, "mail.example...com", (ushort)DnsType.A, false, out problem));
        Assert.Null(DnsWire.WriteQuery(1, "bücher.test", (ushort)DnsType.A, false, out problem));
        Assert.Contains("ASCII", problem);
        var q = DnsWire.ParseQuery(DnsWire.WriteQuery(7, "Bank.Test.", (ushort)DnsType.MX, true, out _), out _, out _)!;
        Assert.Equal((7, "bank.test", (ushort)15, (ushort)1, false, (ushort?)DnsWire.OurEdnsSize),
            (q.Id, q.Name, q.QType, q.QClass, q.RecursionDesired, q.EdnsUdpSize));
    }

    [Fact]
    public void Reverse_names()
    {
        Assert.Equal("1.2.0.127.in-addr.arpa", DnsNames.ReverseName(IPAddress.Parse("127.0.2.1")));
        Assert.Equal("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", DnsNames.ReverseName(IPAddress.IPv6Loopback));
        Assert.Equal("1.3.0.127.in-addr.arpa", DnsNames.ReverseName(IPAddress.Parse("127.0.3.1").MapToIPv6()));
    }

    /// <summary>A response header (id 0x1234, QR and AA set) with the given counts.</summary>
    private static List<byte> Header(int qd, int an, int ns = 0, int ar = 0)
    {
        var h = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(h, 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), 0x8400);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), (ushort)qd);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), (ushort)an);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(8), (ushort)ns);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), (ushort)ar);
        return [.. h];
    }
}
