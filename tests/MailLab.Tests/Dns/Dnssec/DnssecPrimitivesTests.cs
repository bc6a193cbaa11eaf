using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// The DNSSEC primitives against the published examples: RFC 6605 §6.1 (algorithm 13), RFC 5702 §6.1
/// (algorithm 8), RFC 4034 §6.1 (canonical order); the record types through the zone parser, the
/// response writer and the response parser.
/// </summary>
public class DnssecPrimitivesTests
{
    // RFC 6605 §6.1: example.net's P-256 KSK, its DS, and the RRSIG over www.example.net A 192.0.2.1.
    private const string Rfc6605Zone = """
        example.net. 3600 IN SOA ns.example.net. hostmaster.example.net. 1 3600 900 604800 300
        example.net. 3600 IN DNSKEY 257 3 13 ( GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb
                                               krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )
        www.example.net. 3600 IN A 192.0.2.1
        www.example.net. 3600 IN RRSIG A 13 3 3600 20100909100439 20100812100439 55648 example.net. (
                                  qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXA
                                  yGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw== )
        """;

    // RFC 5702 §6.1: a 512-bit RSA/SHA-256 ZSK of example.net and the RRSIG over www.example.net A 192.0.2.91.
    private const string Rfc5702Zone = """
        example.net. 3600 IN SOA ns.example.net. hostmaster.example.net. 1 3600 900 604800 300
        example.net. 3600 IN DNSKEY 256 3 8 ( AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFt
                                               R2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk= )
        www.example.net. 3600 IN A 192.0.2.91
        www.example.net. 3600 IN RRSIG A 8 3 3600 20300101000000 20000101000000 9033 example.net. (
                                  kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE
                                  9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg== )
        """;

    private static List<DnsRecord> Parse(string zone)
    {
        var result = ZoneFileParser.Parse(zone, "example.net.zone", "example.net");
        Assert.True(result.Ok, string.Join("; ", result.Errors));
        return result.Records.ToList();
    }

    private static (DnskeyData Key, RrsigData Sig, List<DnsRecord> A) Example(string zone)
    {
        var records = Parse(zone);
        return (records.Select(r => r.Data).OfType<DnskeyData>().Single(),
            records.Select(r => r.Data).OfType<RrsigData>().Single(),
            records.Where(r => r.Type == DnsType.A).ToList());
    }

    [Fact]
    public void Rfc6605_key_tag_and_ds_digest()
    {
        var (key, _, _) = Example(Rfc6605Zone);
        Assert.Equal(55648, DnssecCanonical.KeyTag(key));
        var ds = DnssecCanonical.Ds("example.net", key);
        Assert.Equal("55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17", ds.ToZoneText());
    }

    [Fact]
    public void Rfc6605_rrsig_verifies_and_a_changed_rrset_does_not()
    {
        var (key, sig, a) = Example(Rfc6605Zone);
        Assert.True(RrsigSigner.Verify(sig, "www.example.net", a, key, out var problem), problem);
        var changed = new List<DnsRecord> { a[0] with { Data = new AddressData(IPAddress.Parse("192.0.2.2")) } };
        Assert.False(RrsigSigner.Verify(sig, "www.example.net", changed, key, out problem));
        Assert.Equal("the signature does not match the RRset", problem);
        Assert.False(RrsigSigner.Verify(sig with { OriginalTtl = 60 }, "www.example.net", a, key, out _));
    }

    [Fact]
    public void Rfc5702_key_tag_and_rrsig_verify()
    {
        var (key, sig, a) = Example(Rfc5702Zone);
        Assert.Equal(9033, DnssecCanonical.KeyTag(key));
        Assert.True(RrsigSigner.Verify(sig, "www.example.net", a, key, out var problem), problem);
        byte[] flipped = sig.Signature.ToArray();
        flipped[^1] ^= 1;
        Assert.False(RrsigSigner.Verify(sig with { Signature = flipped }, "www.example.net", a, key, out _));
    }

    [Fact]
    public void Rfc4034_appendix_b_key_tag_of_the_rfc4035_zsk()
    {
        // RFC 4035 Appendix A: example.'s RSA/SHA-1 ZSK has key tag 38519 (its RRSIGs name it).
        var key = (DnskeyData)ZoneFileParser.Parse("""
            example. 3600 IN SOA ns1.example. bugs.x.w.example. 1081539377 3600 300 3600000 3600
            example. 3600 IN DNSKEY 256 3 5 ( AQOy1bZVvpPqhg4j7EJoM9rI3ZmyEx2OzDBVrZy/lvI5CQePxX
                                              HZS4i8dANH4DX3tbHol61ek8EFMcsGXxKciJFHyhl94C+NwILQd
                                              zsUlSFovBZsyl/NX6yEbtw/xN9ZNcrbYvgjjZ/UVPZIySFNsgEY
                                              vh0z2542lzMKR4Dh8uZffQ== )
            """, "example.zone", "example").Records[1].Data;
        Assert.Equal(38519, DnssecCanonical.KeyTag(key));
    }

    [Theory]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    public void Our_signature_verifies_with_our_key_and_not_with_another(byte algorithm)
    {
        using var key = DnssecKey.Generate(algorithm, DnskeyData.ZoneKeyFlags);
        using var other = DnssecKey.Generate(algorithm, DnskeyData.ZoneKeyFlags);
        var mx = new List<DnsRecord>
        {
            new("bank.test", DnsType.MX, 3600, new MxData(20, "MX2.bank.test")),
            new("bank.test", DnsType.MX, 3600, new MxData(10, "mx.bank.test")),
        };
        var sig = RrsigSigner.Sign(key, "bank.test", mx, 1_700_000_000, 1_700_600_000);
        Assert.Equal((byte)2, sig.Labels);
        Assert.Equal(key.KeyTag, sig.KeyTag);
        // Order and case of the RRset do not matter (RFC 4034 §6.2-6.3).
        var reordered = new List<DnsRecord> { mx[1], mx[0] with { Data = new MxData(20, "mx2.bank.test") } };
        Assert.True(RrsigSigner.Verify(sig, "bank.test", reordered, key.Dnskey, out var problem), problem);
        Assert.False(RrsigSigner.Verify(sig, "bank.test", mx, other.Dnskey, out problem));
        Assert.Contains("key tag", problem);
        Assert.False(RrsigSigner.Verify(sig with { KeyTag = other.KeyTag }, "bank.test", mx, other.Dnskey, out problem));
        Assert.Equal("the signature does not match the RRset", problem);
    }

    [Fact]
    public void A_private_key_survives_pem_export_and_import()
    {
        using var key = DnssecKey.Generate(DnssecAlgorithm.EcdsaP256Sha256, DnskeyData.KeySigningKeyFlags);
        using var again = DnssecKey.Import(key.ExportPrivateKeyPem(), DnssecAlgorithm.EcdsaP256Sha256, DnskeyData.KeySigningKeyFlags, out var problem);
        Assert.NotNull(again);
        Assert.Equal(key.Dnskey, again.Dnskey);
        Assert.Null(DnssecKey.Import(key.ExportPrivateKeyPem(), DnssecAlgorithm.RsaSha256, 257, out problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void A_wildcard_expansion_is_signed_as_the_wildcard()
    {
        using var key = DnssecKey.Generate(DnssecAlgorithm.EcdsaP256Sha256, DnskeyData.ZoneKeyFlags);
        var wild = new List<DnsRecord> { new("*.bank.test", DnsType.A, 300, new AddressData(IPAddress.Parse("127.0.2.1"))) };
        var sig = RrsigSigner.Sign(key, "bank.test", wild, 1_700_000_000, 1_700_600_000);
        Assert.Equal((byte)2, sig.Labels); // RFC 4034 §3.1.3: the '*' label is not counted
        var expanded = new List<DnsRecord> { wild[0] with { Name = "www.bank.test" } };
        Assert.True(RrsigSigner.Verify(sig, "www.bank.test", expanded, key.Dnskey, out var problem), problem);
    }

    [Fact]
    public void Rfc4034_section_6_1_canonical_name_order()
    {
        // The RFC's example list, in order; \001 and \200 are the octets 0x01 and 0x80.
        string[] ordered = ["example", "a.example", "yljkjljk.a.example", "Z.a.example", "zABC.a.EXAMPLE", "z.example",
            "\u0001.z.example", "*.z.example", "\u0080.z.example"];
        var shuffled = ordered.Reverse().ToList();
        shuffled.Sort(DnssecCanonical.NameOrder);
        Assert.Equal(ordered, shuffled);
        Assert.Equal(0, DnssecCanonical.CompareNames("Z.A.example", "z.a.EXAMPLE"));
        Assert.True(DnssecCanonical.CompareNames("", "test") < 0);
    }

    [Fact]
    public void Rrset_canonical_order_is_by_rdata_octets_and_drops_duplicates()
    {
        var a = new[] { "127.0.0.10", "127.0.0.2", "127.0.0.2" }
            .Select(ip => new DnsRecord("h.test", DnsType.A, 60, new AddressData(IPAddress.Parse(ip)))).ToList();
        var rdata = DnssecCanonical.OrderedRData(a);
        Assert.Equal(2, rdata.Count);
        Assert.Equal(new byte[] { 127, 0, 0, 2 }, rdata[0]);
        Assert.Equal(new byte[] { 127, 0, 0, 10 }, rdata[1]);
    }

    public static TheoryData<DnsRecord> DnssecRecords => new()
    {
        new DnsRecord("bank.test", DnsType.DNSKEY, 3600, new DnskeyData(257, 3, 13, Enumerable.Range(0, 64).Select(i => (byte)i).ToArray())),
        new DnsRecord("bank.test", DnsType.DS, 3600, new DsData(55648, 13, 2, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray())),
        new DnsRecord("mx.bank.test", DnsType.RRSIG, 3600, new RrsigData(DnsType.A, 13, 3, 3600, 1_700_600_000, 1_700_000_000, 4711, "bank.test", [1, 2, 3])),
        new DnsRecord("bank.test", DnsType.NSEC, 3600, new NsecData("mx.bank.test",
            [DnsType.A, DnsType.NS, DnsType.SOA, DnsType.MX, DnsType.TXT, DnsType.RRSIG, DnsType.NSEC, DnsType.DNSKEY, DnsType.TLSA, (DnsType)1234])),
        new DnsRecord("zzz.bank.test", DnsType.NSEC, 3600, new NsecData("bank.test", [])),
    };

    [Theory]
    [MemberData(nameof(DnssecRecords))]
    public void Dnssec_records_round_trip_through_writer_parser_and_zone_text(DnsRecord record)
    {
        var q = DnsWire.ParseQuery(DnsWire.WriteQuery(7, record.Name, (ushort)record.Type, true, out _), out _, out _)!;
        byte[] wire = DnsWire.WriteResponse(q, 7, DnsRcode.NoError, true, [record], [], ushort.MaxValue, out _);
        var parsed = DnsResponseParser.Parse(wire, out var problem);
        Assert.Null(problem);
        Assert.Equal(record, Assert.Single(parsed!.Answers));
        var zone = ZoneFileParser.Parse("bank.test. 60 IN SOA ns.bank.test. h.bank.test. 1 1 1 1 1\n" + record + "\n", "z", "bank.test");
        Assert.True(zone.Ok, string.Join("; ", zone.Errors));
        Assert.Equal(record, zone.Records[1]);
    }

    [Fact]
    public void Nsec_bitmap_matches_rfc4034_section_4_3()
    {
        // RFC 4034 §4.3: "A MX RRSIG NSEC TYPE1234" is 0x00 0x06 0x40 0x01 0x00 0x00 0x00 0x03 0x04 0x1b ... 0x20.
        byte[] bitmap = DnssecWire.TypeBitmap([DnsType.A, DnsType.MX, DnsType.RRSIG, DnsType.NSEC, (DnsType)1234]);
        byte[] expected = [0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, .. new byte[26], 0x20];
        Assert.Equal(expected, bitmap);
    }

    [Theory]
    [InlineData(DnsType.DNSKEY, new byte[] { 1, 1, 3 })]
    [InlineData(DnsType.DS, new byte[] { 0, 1, 13, 2 })]
    [InlineData(DnsType.RRSIG, new byte[] { 0, 1, 13, 2, 0, 0 })]
    [InlineData(DnsType.NSEC, new byte[] { 0, 0, 5, 1 })]
    [InlineData(DnsType.NSEC, new byte[] { 0, 1, 0, 1, 0x40 })]
    public void Malformed_dnssec_data_is_an_error_not_an_exception(DnsType type, byte[] rdata)
    {
        var q = DnsWire.ParseQuery(DnsWire.WriteQuery(7, "bank.test", (ushort)type, false, out _), out _, out _)!;
        byte[] wire = DnsWire.WriteResponse(q, 7, DnsRcode.NoError, true,
            [new DnsRecord("bank.test", type, 60, new OpaqueData(rdata))], [], ushort.MaxValue, out _);
        Assert.Null(DnsResponseParser.Parse(wire, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Signature_times_read_both_forms()
    {
        Assert.Equal(1_284_026_679u, DnssecText.ParseTime("20100909100439"));
        Assert.Equal(1_284_026_679u, DnssecText.ParseTime("1284026679"));
        Assert.Null(DnssecText.ParseTime("2010-09-09"));
        Assert.Equal("20100909100439", DnssecText.Time(1_284_026_679));
    }
}
