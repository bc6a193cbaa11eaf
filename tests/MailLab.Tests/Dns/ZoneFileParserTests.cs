using System.Net;
using System.Text;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Tests.Dns;

public class ZoneFileParserTests
{
    private const string Full = """
        ; every record type the lab serves
        $ORIGIN example.test.
        $TTL 2h
        @   IN SOA ns.example.test. hostmaster ( 7   ; serial
                    1h 15m
                    1w 5m )
            IN NS  ns
        ns  3600 IN A 127.0.9.1
        www IN 1d AAAA ::1
        @   MX 10 mx
        mx  A 127.0.7.1
        alias CNAME www.example.test.
        @   TXT "v=spf1 ip4:127.0.7.1 -all" "second \"quoted\" string\059 \\ end"
        1.7.0 PTR mx.example.test.
        _smtp._tcp SRV 0 5 25 mx
        _25._tcp.mx TLSA 3 1 1 ( 0123456789ABCDEF
                                 0123456789abcdef )
        $ORIGIN sub.example.test.
        deep 30m A 127.0.7.2   ; relative to the new origin
        """;

    [Fact]
    public void Reads_every_record_type_with_origin_ttl_units_class_and_parentheses()
    {
        var r = ZoneFileParser.Parse(Full, "example.test.zone", "example.test");
        Assert.True(r.Ok, string.Join("\n", r.Errors));
        Assert.Equal("example.test", r.Origin);
        var soa = Assert.Single(r.Records, x => x.Type == DnsType.SOA);
        Assert.Equal(new SoaData("ns.example.test", "hostmaster.example.test", 7, 3600, 900, 604800, 300), soa.Data);
        Assert.Equal(7200u, soa.Ttl); // $TTL 2h
        var ns = Assert.Single(r.Records, x => x.Type == DnsType.NS);
        Assert.Equal("example.test", ns.Name); // blank start: same owner as the SOA
        Assert.Equal(new NameData("ns.example.test"), ns.Data);
        Assert.Equal(3600u, Assert.Single(r.Records, x => x.Type == DnsType.A && x.Name == "ns.example.test").Ttl);
        var aaaa = Assert.Single(r.Records, x => x.Type == DnsType.AAAA);
        Assert.Equal((86400u, IPAddress.IPv6Loopback), (aaaa.Ttl, ((AddressData)aaaa.Data).Address));
        Assert.Equal(new MxData(10, "mx.example.test"), Assert.Single(r.Records, x => x.Type == DnsType.MX).Data);
        Assert.Equal(new NameData("www.example.test"), Assert.Single(r.Records, x => x.Type == DnsType.CNAME && x.Name == "alias.example.test").Data);
        var txt = (TxtData)Assert.Single(r.Records, x => x.Type == DnsType.TXT).Data;
        Assert.Equal(["v=spf1 ip4:127.0.7.1 -all", "second \"quoted\" string; \\ end"], txt.Strings.Select(s => Encoding.UTF8.GetString(s)));
        Assert.Equal(new NameData("mx.example.test"), Assert.Single(r.Records, x => x.Type == DnsType.PTR && x.Name == "1.7.0.example.test").Data);
        Assert.Equal(new SrvData(0, 5, 25, "mx.example.test"), Assert.Single(r.Records, x => x.Type == DnsType.SRV && x.Name == "_smtp._tcp.example.test").Data);
        var tlsa = (TlsaData)Assert.Single(r.Records, x => x.Type == DnsType.TLSA && x.Name == "_25._tcp.mx.example.test").Data;
        Assert.Equal((3, 1, 1), (tlsa.Usage, tlsa.Selector, tlsa.MatchingType));
        Assert.Equal("0123456789ABCDEF0123456789ABCDEF", Convert.ToHexString(tlsa.Association));
        var deep = Assert.Single(r.Records, x => x.Name == "deep.sub.example.test");
        Assert.Equal(1800u, deep.Ttl);
    }

    [Theory]
    [InlineData("1h30m", 5400u)]
    [InlineData("2d", 172800u)]
    [InlineData("1W", 604800u)]
    [InlineData("90s", 90u)]
    [InlineData("300", 300u)]
    public void Ttl_units(string ttl, uint seconds)
    {
        var r = ZoneFileParser.Parse($"@ {ttl} SOA ns hm 1 1 1 1 1\n", "t.zone", "t.test");
        Assert.True(r.Ok, string.Join("\n", r.Errors));
        Assert.Equal(seconds, r.Records[0].Ttl);
    }

    [Fact]
    public void A_txt_string_longer_than_255_octets_is_split_and_joins_back()
    {
        string key = new('k', 600);
        var r = ZoneFileParser.Parse($"$TTL 1h\n@ SOA ns hm 1 1 1 1 1\nlab._domainkey TXT \"v=DKIM1; p={key}\"\n", "t.zone", "t.test");
        Assert.True(r.Ok, string.Join("\n", r.Errors));
        var txt = (TxtData)r.Records.Single(x => x.Type == DnsType.TXT).Data;
        Assert.Equal([255, 255, 101], txt.Strings.Select(s => s.Length));
        Assert.Equal($"v=DKIM1; p={key}", txt.Text);
    }

    [Theory]
    [InlineData("www A 127.0.0.300", 4, 7, "not an IPv4 address")]
    [InlineData("www A 127.1", 4, 7, "not an IPv4 address")]
    [InlineData("www AAAA 127.0.0.1", 4, 10, "not an IPv6 address")]
    [InlineData("@ MX mx", 4, 6, "MX needs preference and exchange")]
    [InlineData("@ MX 70000 mx", 4, 6, "MX preference must be a whole number from 0 to 65535")]
    [InlineData("www 1x A 127.0.0.1", 4, 5, "'1x' is not a TTL")]
    [InlineData("www IN FOO 1", 4, 8, "unknown record type 'FOO'")]
    [InlineData("www CH A 127.0.0.1", 4, 5, "class CH is not served")]
    [InlineData("bad..name A 127.0.0.1", 4, 1, "not a valid name")]
    [InlineData("www A \"127.0.0.1\"", 4, 7, "quotes are only for TXT")]
    [InlineData("t TXT \"unclosed", 4, 7, "quoted string is not closed")]
    [InlineData("t TXT \"bad \\300 escape\"", 4, 12, "\\DDD must be 000 to 255")]
    [InlineData("x TLSA 3 1 1 XYZ", 4, 14, "TLSA data must be hexadecimal")]
    [InlineData("$INCLUDE other.zone", 4, 1, "$INCLUDE is not supported")]
    [InlineData("$ORIGN x.", 4, 1, "unknown directive")]
    [InlineData("elsewhere.example. A 127.0.0.1", 4, 1, "is outside the zone t.test.")]
    [InlineData("www A 127.0.0.1\nwww CNAME other", 4, 1, "has a CNAME, so it cannot have other records")]
    [InlineData("www A (127.0.0.1", 4, 7, "'(' is never closed")]
    [InlineData("www A 127.0.0.1 )", 4, 17, "')' without a matching '('")]
    public void Errors_name_line_and_column(string line, int expectedLine, int expectedColumn, string problem)
    {
        string text = $"$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\n{line}\n";
        var r = ZoneFileParser.Parse(text, "t.test.zone", "t.test");
        Assert.False(r.Ok);
        var e = r.Errors[0];
        Assert.Contains(problem, e.Problem);
        Assert.Equal(("t.test.zone", expectedLine, expectedColumn), (e.File, e.Line, e.Column));
        Assert.StartsWith($"t.test.zone:{expectedLine}:{expectedColumn}: ", e.ToString());
    }

    [Fact]
    public void A_file_without_soa_or_with_two_is_refused()
    {
        Assert.Contains("no SOA record", ZoneFileParser.Parse("$TTL 1h\nwww A 127.0.0.1\n", "t.zone", "t.test").Errors[0].Problem);
        var two = ZoneFileParser.Parse("$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n@ SOA ns hm 2 1 1 1 1\n", "t.zone", "t.test");
        Assert.Equal((3, "a second SOA record; a zone has exactly one"), (two.Errors[0].Line, two.Errors[0].Problem));
    }

    [Fact]
    public void A_record_without_any_ttl_is_an_error()
    {
        var r = ZoneFileParser.Parse("www A 127.0.0.1\n@ SOA ns hm 1 1 1 1 1\n", "t.zone", "t.test");
        Assert.Equal((1, 5), (r.Errors[0].Line, r.Errors[0].Column));
        Assert.Contains("no TTL", r.Errors[0].Problem);
    }

    [Fact]
    public void Every_error_of_a_file_is_reported_in_file_order()
    {
        var r = ZoneFileParser.Parse("$TTL 1h\n@ SOA ns hm 1 1 1 1 1\na A 1.2.3\nb MX x y\nc AAAA zz\n", "t.zone", "t.test");
        Assert.Equal([3, 4, 5], r.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Zone_text_round_trips_through_the_parser()
    {
        var first = ZoneFileParser.Parse(Full, "example.test.zone", "example.test");
        string printed = string.Join("\n", first.Records.Select(x => x.ToString()));
        var second = ZoneFileParser.Parse(printed, "printed.zone", "example.test");
        Assert.True(second.Ok, string.Join("\n", second.Errors));
        Assert.Equal(first.Records, second.Records);
    }

    [Fact]
    public void The_default_zones_parse_and_publish_mx_a_spf_dmarc_and_ptr_for_each_site()
    {
        var zones = LabZones.DefaultZones().ToDictionary(z => z.Name, z => ZoneFileParser.Parse(z.Text, z.Name, z.Name[..^5]));
        Assert.Equal(["127.in-addr.arpa.zone", "bank.test.zone", "evil.test.zone", "uc.test.zone"], zones.Keys.Order());
        Assert.All(zones.Values, z => Assert.True(z.Ok, string.Join("\n", z.Errors)));
        var reverse = zones["127.in-addr.arpa.zone"].Records;
        // Strict, softfail and open SPF records side by side (issue 4's default lab).
        // DMARC (issue 6): the bank, the site attackers impersonate, rejects forged From; the others only monitor.
        foreach (var (domain, address, spf, dmarc) in new[]
        {
            ("uc.test", "127.0.1.1", "v=spf1 ip4:127.0.1.1 ~all", "v=DMARC1; p=none; rua=mailto:postmaster@uc.test"),
            ("bank.test", "127.0.2.1", "v=spf1 ip4:127.0.2.1 -all",
                "v=DMARC1; p=reject; rua=mailto:postmaster@bank.test; ruf=mailto:postmaster@bank.test; fo=1"),
            ("evil.test", "127.0.3.1", "v=spf1 +all", "v=DMARC1; p=none; rua=mailto:postmaster@evil.test"),
        })
        {
            var recs = zones[$"{domain}.zone"].Records;
            Assert.Contains(recs, r => r is { Type: DnsType.MX } && r.Name == domain && r.Data.Equals(new MxData(10, $"mx.{domain}")));
            Assert.Contains(recs, r => r.Type == DnsType.NS && r.Data.Equals(new NameData($"ns.{domain}")));
            Assert.Contains(recs, r => r.Type == DnsType.A && r.Name == $"ns.{domain}" && r.Data.Equals(new AddressData(IPAddress.Parse("127.0.9.1"))));
            foreach (var host in new[] { "mx", "mail" })
            {
                Assert.Contains(recs, r => r.Type == DnsType.A && r.Name == $"{host}.{domain}" && r.Data.Equals(new AddressData(IPAddress.Parse(address))));
            }
            Assert.Contains(recs, r => r.Data is TxtData t && r.Name == domain && t.Text == spf);
            Assert.Contains(recs, r => r.Data is TxtData t && r.Name == $"_dmarc.{domain}" && t.Text == dmarc);
            string ptrName = string.Join('.', address.Split('.').Reverse()) + ".in-addr.arpa";
            Assert.Contains(reverse, r => r.Type == DnsType.PTR && r.Name == ptrName && r.Data.Equals(new NameData($"mx.{domain}")));
        }
    }
}
