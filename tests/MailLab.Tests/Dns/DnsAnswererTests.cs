using System.Buffers.Binary;
using System.Text;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Tests.Dns;

public class DnsAnswererTests
{
    private static Zone Parse(string origin, string text)
    {
        var r = ZoneFileParser.Parse(text, origin + ".zone", origin);
        Assert.True(r.Ok, string.Join("\n", r.Errors));
        return Zone.FromParse(r, "site");
    }

    private static readonly ZoneSet Zones = new([
        Parse("a.test", """
            $TTL 1h
            @ SOA ns hm 1 1h 1h 1h 5m
            @ NS ns
            @ MX 10 mx
            mx A 127.0.5.1
            www CNAME mx
            ext CNAME alias.b.test.
            broken CNAME nowhere
            loop1 CNAME loop2
            loop2 CNAME loop1
            x.y.deep A 127.0.5.2
            """),
        Parse("b.test", """
            $TTL 1h
            @ SOA ns hm 1 1h 1h 1h 10m
            www A 127.0.6.1
            alias CNAME www
            """),
    ]);

    private static ushort T(DnsType t) => (ushort)t;

    [Fact]
    public void A_name_that_exists_answers_authoritatively()
    {
        var a = DnsAnswerer.Answer(Zones, "MX.A.TEST.", T(DnsType.A));
        Assert.Equal((DnsRcode.NoError, true), (a.Rcode, a.Authoritative));
        Assert.Equal("mx.a.test. 3600 IN A 127.0.5.1", Assert.Single(a.Answers).ToString());
        Assert.Empty(a.Authority);
    }

    [Fact]
    public void A_missing_name_is_nxdomain_with_the_soa_and_its_negative_ttl()
    {
        var a = DnsAnswerer.Answer(Zones, "nope.a.test", T(DnsType.A));
        Assert.Equal(DnsRcode.NXDomain, a.Rcode);
        Assert.Empty(a.Answers);
        var soa = Assert.Single(a.Authority);
        Assert.Equal((DnsType.SOA, "a.test", 300u), (soa.Type, soa.Name, soa.Ttl)); // min(TTL 3600, minimum 300), RFC 2308 §3
    }

    [Fact]
    public void A_name_without_that_type_is_nodata_noerror_with_the_soa()
    {
        var a = DnsAnswerer.Answer(Zones, "mx.a.test", T(DnsType.TXT));
        Assert.Equal((DnsRcode.NoError, true), (a.Rcode, a.Authoritative));
        Assert.Empty(a.Answers);
        Assert.Equal(DnsType.SOA, Assert.Single(a.Authority).Type);
    }

    [Fact]
    public void An_empty_non_terminal_is_nodata_not_nxdomain()
    {
        var a = DnsAnswerer.Answer(Zones, "y.deep.a.test", T(DnsType.A));
        Assert.Equal(DnsRcode.NoError, a.Rcode);
        Assert.Single(a.Authority);
    }

    [Fact]
    public void Cname_is_chased_within_a_zone_and_across_lab_zones()
    {
        var a = DnsAnswerer.Answer(Zones, "www.a.test", T(DnsType.A));
        Assert.Equal(["www.a.test. 3600 IN CNAME mx.a.test.", "mx.a.test. 3600 IN A 127.0.5.1"], a.Answers.Select(r => r.ToString()));
        var b = DnsAnswerer.Answer(Zones, "ext.a.test", T(DnsType.A));
        Assert.Equal([DnsType.CNAME, DnsType.CNAME, DnsType.A], b.Answers.Select(r => r.Type));
        Assert.Equal("www.b.test. 3600 IN A 127.0.6.1", b.Answers[^1].ToString());
    }

    [Fact]
    public void A_cname_to_a_missing_name_keeps_the_cname_and_says_nxdomain()
    {
        var a = DnsAnswerer.Answer(Zones, "broken.a.test", T(DnsType.A));
        Assert.Equal(DnsRcode.NXDomain, a.Rcode);
        Assert.Equal(DnsType.CNAME, Assert.Single(a.Answers).Type);
        Assert.Equal(DnsType.SOA, Assert.Single(a.Authority).Type);
    }

    [Fact]
    public void A_cname_loop_ends()
    {
        var a = DnsAnswerer.Answer(Zones, "loop1.a.test", T(DnsType.A));
        Assert.Equal(DnsRcode.NoError, a.Rcode);
        Assert.Equal(2, a.Answers.Count);
    }

    [Fact]
    public void Asking_for_the_cname_itself_does_not_chase()
    {
        var a = DnsAnswerer.Answer(Zones, "www.a.test", T(DnsType.CNAME));
        Assert.Equal(DnsType.CNAME, Assert.Single(a.Answers).Type);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("test")]
    [InlineData("")]
    public void Names_outside_the_lab_zones_are_refused_without_aa(string name)
    {
        var a = DnsAnswerer.Answer(Zones, name, T(DnsType.A));
        Assert.Equal((DnsRcode.Refused, false), (a.Rcode, a.Authoritative));
        Assert.Empty(a.Answers);
        Assert.Empty(a.Authority);
    }

    internal static byte[] Query(ushort id, string name, DnsType type, ushort? edns = null)
    {
        var b = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, (byte)(edns is null ? 0 : 1) };
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            b.Add((byte)label.Length);
            b.AddRange(Encoding.ASCII.GetBytes(label));
        }
        b.AddRange([0, 0, (byte)type, 0, 1]);
        if (edns is { } size) b.AddRange([0, 0, 41, (byte)(size >> 8), (byte)size, 0, 0, 0, 0, 0, 0]);
        return b.ToArray();
    }

    [Fact]
    public void Query_parsing_keeps_id_name_type_rd_and_edns_size()
    {
        var q = DnsWire.ParseQuery(Query(0xBEEF, "Mx.Bank.Test", DnsType.MX, edns: 4096), out ushort id, out string? problem);
        Assert.Null(problem);
        Assert.NotNull(q);
        Assert.Equal((0xBEEF, "mx.bank.test", (ushort)15, (ushort)1, true, (ushort?)4096), (id, q!.Name, q.QType, q.QClass, q.RecursionDesired, q.EdnsUdpSize));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "shorter than a DNS header")]
    [InlineData(new byte[] { 0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, "this is a response")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0 }, "2 questions")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, (byte)'a' }, "cut short")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 }, "cut short or has a bad name")]
    public void Malformed_queries_are_values_not_exceptions(byte[] message, string problem)
    {
        Assert.Null(DnsWire.ParseQuery(message, out _, out string? why));
        Assert.Contains(problem, why);
    }

    [Fact]
    public void Responses_over_512_octets_without_edns_are_truncated_with_tc()
    {
        var lines = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"big TXT \"{new string((char)('a' + i % 26), 40)}\""));
        var zones = new ZoneSet([Parse("c.test", "$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n" + lines)]);
        var a = DnsAnswerer.Answer(zones, "big.c.test", T(DnsType.TXT));
        var q = DnsWire.ParseQuery(Query(7, "big.c.test", DnsType.TXT), out _, out _)!;
        byte[] udp = DnsWire.WriteResponse(q, 7, a.Rcode, true, a.Answers, a.Authority, DnsWire.ClassicUdpLimit, out bool truncated);
        Assert.True(truncated);
        Assert.True(udp.Length <= 512);
        Assert.Equal(0x0200, BinaryPrimitives.ReadUInt16BigEndian(udp.AsSpan(2)) & 0x0200); // TC
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(udp.AsSpan(6))); // no answers in the truncated reply
        byte[] tcp = DnsWire.WriteResponse(q, 7, a.Rcode, true, a.Answers, a.Authority, ushort.MaxValue, out bool tcpTruncated);
        Assert.False(tcpTruncated);
        Assert.Equal(40, BinaryPrimitives.ReadUInt16BigEndian(tcp.AsSpan(6)));
    }

    [Fact]
    public void Response_header_has_qr_aa_no_ra_and_echoes_id_and_rd()
    {
        var q = DnsWire.ParseQuery(Query(0x1234, "mx.a.test", DnsType.A), out _, out _)!;
        var a = DnsAnswerer.Answer(Zones, q.Name, q.QType);
        byte[] r = DnsWire.WriteResponse(q, q.Id, a.Rcode, a.Authoritative, a.Answers, a.Authority, 512, out _);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(2));
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(r));
        Assert.Equal(0x8000 | 0x0400 | 0x0100, flags); // QR, AA, RD echoed; RA=0, rcode 0
    }

    [Fact]
    public void Tcp_framing_reads_messages_fed_whole_and_byte_by_byte()
    {
        byte[] one = Query(1, "a.test", DnsType.A), two = Query(2, "b.test", DnsType.MX);
        byte[] stream = [.. DnsTcpFramer.Frame(one), .. DnsTcpFramer.Frame(two)];
        var whole = new DnsTcpFramer();
        whole.Append(stream);
        Assert.Equal(one, whole.TryRead());
        Assert.Equal(two, whole.TryRead());
        Assert.Null(whole.TryRead());

        var bytes = new DnsTcpFramer();
        var got = new List<byte[]>();
        foreach (byte b in stream)
        {
            bytes.Append([b]);
            while (bytes.TryRead() is { } m) got.Add(m);
        }
        Assert.Equal([one, two], got);
    }
}
