using System.Net;
using System.Net.Sockets;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// The lab DNS serving signed zones over real loopback sockets: RRSIGs and NSEC proofs only with DO
/// (RFC 3225, RFC 4035 §3.1), the DS from the parent, the test. root, and every signature checked with
/// the DNSKEY the server itself publishes.
/// </summary>
public class SignedZoneServerTests
{
    private static async Task<DnsResponse> Ask(IPEndPoint server, string name, DnsType type, bool dnssecOk, bool tcp = true)
    {
        byte[] query = DnsWire.WriteQuery(0x4242, name, (ushort)type, edns: true, dnssecOk, checkingDisabled: false, out _)!;
        byte[] reply;
        if (tcp)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(server);
            var stream = client.GetStream();
            await stream.WriteAsync(DnsTcpFramer.Frame(query));
            var framer = new DnsTcpFramer();
            var buffer = new byte[65536];
            byte[]? message = null;
            while (message is null)
            {
                int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                Assert.True(n > 0, "the server closed the connection");
                framer.Append(buffer.AsSpan(0, n));
                message = framer.TryRead();
            }
            reply = message;
        }
        else
        {
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            await udp.SendAsync(query, server);
            reply = (await udp.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(5))).Buffer;
        }
        var parsed = DnsResponseParser.Parse(reply, out var problem);
        Assert.True(parsed is not null, problem);
        return parsed!;
    }

    private static async Task<DnskeyData[]> Keys(IPEndPoint server, string zone) =>
        (await Ask(server, zone, DnsType.DNSKEY, true)).AnswerData<DnskeyData>(DnsType.DNSKEY).ToArray();

    /// <summary>Every RRset of a section verifies with one of <paramref name="keys"/> under its RRSIG.</summary>
    private static void AllSigned(IReadOnlyList<DnsRecord> section, DnskeyData[] keys)
    {
        var rrsets = section.Where(r => r.Type != DnsType.RRSIG).GroupBy(r => (r.Name, r.Type)).ToList();
        Assert.NotEmpty(rrsets);
        foreach (var rrset in rrsets)
        {
            var sigs = section.Where(r => r.Name == rrset.Key.Name && r.Data is RrsigData s && s.TypeCovered == rrset.Key.Type).Select(r => (RrsigData)r.Data).ToList();
            Assert.True(sigs.Count > 0, $"no RRSIG over {rrset.Key}");
            string? problem = null;
            Assert.True(sigs.Any(s => keys.Any(k => RrsigSigner.Verify(s, rrset.Key.Name, rrset.ToList(), k, out problem))), $"{rrset.Key}: {problem}");
        }
    }

    [Theory]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    public async Task With_do_the_answer_carries_rrsigs_that_verify_with_the_zones_dnskey(byte algorithm)
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: algorithm);
        var keys = await Keys(dns.EndPoint, "bank.test");
        Assert.Equal(2, keys.Length);
        Assert.Equal([256, 257], keys.Select(k => (int)k.Flags).Order());
        var mx = await Ask(dns.EndPoint, "bank.test", DnsType.MX, true);
        Assert.True(mx.DnssecOk); // RFC 3225 §3: DO is echoed
        Assert.Contains(mx.Answers, r => r.Type == DnsType.RRSIG);
        AllSigned(mx.Answers, keys);
        var dnskeys = await Ask(dns.EndPoint, "bank.test", DnsType.DNSKEY, true);
        AllSigned(dnskeys.Answers, keys.Where(k => k.IsSecureEntryPoint).ToArray()); // the DNSKEY RRset is signed by the KSK
        var signed = Assert.Single(dns.Events(TraceKind.ZoneSigned), e => (string?)e.Fields["Zone"] == "bank.test");
        Assert.Equal((long)algorithm, Convert.ToInt64(signed.Fields["Algorithm"]));
    }

    [Fact]
    public async Task Without_do_the_answer_is_what_it_was_unsigned()
    {
        await using var plain = DnsTestServer.Start();
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256);
        foreach (var (name, type) in new[] { ("bank.test", DnsType.MX), ("ghost.bank.test", DnsType.A), ("bank.test", DnsType.AAAA), ("alias.extra.test", DnsType.A) })
        {
            var before = await Ask(plain.EndPoint, name, type, false);
            var after = await Ask(dns.EndPoint, name, type, false);
            Assert.False(after.DnssecOk);
            Assert.Equal(before.Rcode, after.Rcode);
            Assert.Equal(before.Answers, after.Answers);
            Assert.Equal(before.Authority.Select(r => (r.Name, r.Type)), after.Authority.Select(r => (r.Name, r.Type)));
            Assert.DoesNotContain(after.Answers.Concat(after.Authority), r => r.Type is DnsType.RRSIG or DnsType.NSEC);
        }
    }

    [Fact]
    public async Task Nxdomain_and_nodata_carry_the_soa_and_nsec_proofs_signed()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256);
        var keys = await Keys(dns.EndPoint, "bank.test");
        var nx = await Ask(dns.EndPoint, "ghost.bank.test", DnsType.A, true);
        Assert.Equal(DnsRcode.NXDomain, nx.Rcode);
        AllSigned(nx.Authority, keys);
        var nsecs = nx.Authority.Where(r => r.Type == DnsType.NSEC).ToList();
        Assert.NotEmpty(nsecs);
        // One NSEC covers the name (owner before it, next after it in canonical order, RFC 4034 §6.1).
        Assert.Contains(nsecs, n => DnssecCanonical.CompareNames(n.Name, "ghost.bank.test") < 0
            && DnssecCanonical.CompareNames("ghost.bank.test", ((NsecData)n.Data).NextName) < 0);
        var nodata = await Ask(dns.EndPoint, "mx.bank.test", DnsType.AAAA, true);
        Assert.Equal((DnsRcode.NoError, 0), (nodata.Rcode, nodata.Answers.Count));
        AllSigned(nodata.Authority, keys);
        var own = Assert.Single(nodata.Authority, r => r.Type == DnsType.NSEC);
        Assert.Equal("mx.bank.test", own.Name);
        Assert.DoesNotContain(DnsType.AAAA, ((NsecData)own.Data).Types);
        Assert.Contains(DnsType.A, ((NsecData)own.Data).Types);
    }

    [Fact]
    public async Task The_ds_comes_from_test_and_matches_the_childs_ksk_and_an_unsigned_zone_has_none()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256, unsignedZones: ["evil.test"]);
        var rootKeys = await Keys(dns.EndPoint, "test");
        var ds = await Ask(dns.EndPoint, "bank.test", DnsType.DS, true);
        AllSigned(ds.Answers, rootKeys); // signed by test., the parent (RFC 4035 §3.1.4.1)
        var ksk = (await Keys(dns.EndPoint, "bank.test")).Single(k => k.IsSecureEntryPoint);
        Assert.Equal(DnssecCanonical.Ds("bank.test", ksk), Assert.Single(ds.AnswerData<DsData>(DnsType.DS)));
        var insecure = await Ask(dns.EndPoint, "evil.test", DnsType.DS, true);
        Assert.Empty(insecure.Answers);
        var proof = Assert.Single(insecure.Authority, r => r.Type == DnsType.NSEC);
        Assert.Equal(("evil.test", true, false), (proof.Name, ((NsecData)proof.Data).Types.Contains(DnsType.NS), ((NsecData)proof.Data).Types.Contains(DnsType.DS)));
        AllSigned(insecure.Authority, rootKeys);
        var evil = await Ask(dns.EndPoint, "evil.test", DnsType.MX, true);
        Assert.DoesNotContain(evil.Answers, r => r.Type == DnsType.RRSIG);
        Assert.Equal(DnsRcode.NXDomain, (await Ask(dns.EndPoint, "nowhere.test", DnsType.A, true)).Rcode);
    }

    [Fact]
    public async Task Cname_chain_and_any_stay_signed()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256);
        var keys = await Keys(dns.EndPoint, "extra.test");
        var chain = await Ask(dns.EndPoint, "alias.extra.test", DnsType.A, true);
        Assert.Equal([DnsType.CNAME, DnsType.RRSIG, DnsType.A, DnsType.RRSIG], chain.Answers.Select(r => r.Type));
        AllSigned(chain.Answers, keys);
        var any = await Ask(dns.EndPoint, "extra.test", DnsType.ANY, true);
        Assert.Equal([DnsType.HINFO, DnsType.RRSIG], any.Answers.Select(r => r.Type));
        AllSigned(any.Answers, keys);
    }

    [Fact]
    public async Task A_signed_answer_too_big_for_udp_sets_tc_and_tcp_carries_it()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.RsaSha256);
        var udp = await Ask(dns.EndPoint, "bank.test", DnsType.DNSKEY, true, tcp: false);
        var tcp = await Ask(dns.EndPoint, "bank.test", DnsType.DNSKEY, true);
        // Two 2048-bit keys and a 256-octet signature fit in 1232 octets; the TC rule is checked with 80 A records below.
        Assert.False(tcp.Truncated);
        Assert.Equal(udp.Truncated ? 0 : tcp.Answers.Count, udp.Answers.Count);
        File.AppendAllText(Path.Combine(dns.Directory, "extra.test.zone"),
            "\n" + string.Join("\n", Enumerable.Range(0, 80).Select(i => $"many A 127.0.8.{i + 1}")) + "\n");
        dns.Zones.Refresh();
        var big = await Ask(dns.EndPoint, "many.extra.test", DnsType.A, true, tcp: false);
        Assert.True(big.Truncated);
        var whole = await Ask(dns.EndPoint, "many.extra.test", DnsType.A, true);
        Assert.Equal(81, whole.Answers.Count); // 80 A and their RRSIG
    }

    [Fact]
    public async Task An_edit_is_re_signed_with_a_higher_serial()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256);
        var keys = await Keys(dns.EndPoint, "bank.test");
        uint before = ((SoaData)(await Ask(dns.EndPoint, "bank.test", DnsType.SOA, true)).Answers[0].Data).Serial;
        File.AppendAllText(Path.Combine(dns.Directory, "bank.test.zone"), "\nnew A 127.0.2.77\n");
        dns.Zones.Refresh();
        var a = await Ask(dns.EndPoint, "new.bank.test", DnsType.A, true);
        AllSigned(a.Answers, keys);
        uint after = ((SoaData)(await Ask(dns.EndPoint, "bank.test", DnsType.SOA, true)).Answers[0].Data).Serial;
        Assert.True(after >= before, $"{after} < {before}");
        Assert.True(((SoaData)(await Ask(dns.EndPoint, "bank.test", DnsType.SOA, false)).Answers[0].Data).Serial > 2025010101);
        Assert.Equal(2, dns.Events(TraceKind.ZoneSigned).Count(e => (string?)e.Fields["Zone"] == "bank.test"));
    }
}
