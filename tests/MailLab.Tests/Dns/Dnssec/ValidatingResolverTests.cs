using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Dns;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// The mail resolver with validation on, over real UDP against a DNS serving RRsets signed in the test:
/// statuses on MX, TXT, address and TLSA lookups, a bogus answer turned into a temporary error with its
/// reason, the chain walk traced once per answer (not per cached use), and no DO bit without the switch.
/// </summary>
public sealed class ValidatingResolverTests : IDisposable
{
    private readonly SignedChain w = new();

    public void Dispose() => w.Dispose();

    private List<DnsRecord> World(SignedRRset? mx = null, SignedRRset? txt = null)
    {
        var a = SignedChain.Sign("mx.bank.test", DnsType.A, SignedChain.ARecords("mx.bank.test"), "bank.test", w.BankZsk);
        var mxNsec = w.Nsec("bank.test", w.BankZsk, "mx.bank.test", "bank.test", DnsType.A, DnsType.RRSIG, DnsType.NSEC);
        txt ??= SignedChain.Sign("bank.test", DnsType.TXT, SignedChain.Records("bank.test", DnsType.TXT, TxtData.FromText("v=spf1 -all")), "bank.test", w.BankZsk);
        var unsigned = SignedChain.Records("plain.test", DnsType.MX, new MxData(10, "mx.plain.test"))
            .Concat(SignedChain.ARecords("mx.plain.test"));
        return SignedTestDns.Flatten(w.Root.Dnskey!, w.BankDs, w.Bank.Dnskey!, mx ?? w.SignedMx, a, mxNsec, w.PlainNoDs, txt)
            .Concat(unsigned).Concat(SignedChain.Records("bank.test", DnsType.SOA, new SoaData("ns.bank.test", "hm.bank.test", 1, 3600, 900, 604800, 300)))
            .ToList();
    }

    private (LabResolver Resolver, TraceStream Trace) Resolver(SignedTestDns dns, bool validate = true)
    {
        var tracer = new Tracer(new TraceStream(), null, false) { CheckContract = true };
        var anchor = w.Anchor;
        var resolver = new LabResolver(dns.EndPoint)
        {
            Validation = validate
                ? new ResolverValidation(() => anchor, tracer.ForLab(LabOrigin.Resolver, "bank", TraceRole.MTA), () => SignedChain.Now)
                : null,
        };
        return (resolver, tracer.Stream);
    }

    private static List<TraceEvent> Validations(TraceStream trace) =>
        trace.Query().Where(e => e.Kind == TraceKind.DnssecValidation).ToList();

    [Fact]
    public async Task A_signed_mx_is_secure_and_the_chain_walk_is_traced_once_per_answer()
    {
        await using var dns = new SignedTestDns(World());
        var (resolver, trace) = Resolver(dns);
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.Null(mx.TempError);
        Assert.Equal(DnssecStatus.Secure, mx.Dnssec);
        Assert.Equal([IPAddress.Parse("127.0.2.1")], mx.Hosts.Single().Addresses);
        Assert.All(dns.Questions, q => Assert.True(q.Do, $"{q.Name} {q.Type} asked without DO"));

        var events = Validations(trace);
        var mxEvent = events.Single(e => (string?)e.Fields["Type"] == "MX");
        Assert.Equal("DNSSEC bank.test. MX: secure", mxEvent.Text);
        Assert.Equal(LabOrigin.Resolver, mxEvent.Origin);
        Assert.Equal("bank", mxEvent.Site);
        var steps = ((IEnumerable<string>)mxEvent.Fields["Steps"]!).ToList();
        Assert.StartsWith($"DS test. key tag {w.RootKsk.KeyTag}", steps[0]);
        Assert.StartsWith($"RRSIG over bank.test. MX by key {w.BankZsk.KeyTag}", steps[^1]);
        Assert.Contains(events, e => (string?)e.Fields["Type"] == "AAAA" && (string?)e.Fields["Status"] == "secure"); // NODATA proven

        // A warm cache: the same answers are used again with their status, and nothing is traced again.
        int before = events.Count;
        var again = await resolver.ResolveMxAsync("bank.test");
        Assert.Equal(DnssecStatus.Secure, again.Dnssec);
        Assert.Equal(before, Validations(trace).Count);
    }

    [Fact]
    public async Task A_record_a_forger_adds_under_another_name_is_never_used()
    {
        // The genuine, signed bank.test MX, plus an unsigned MX under another owner that would win on preference.
        await using var dns = new SignedTestDns(World());
        dns.Extra.AddRange(SignedChain.Records("x.bank.test", DnsType.MX, new MxData(1, "mx.evil.test")));
        var (resolver, _) = Resolver(dns);
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.Equal(DnssecStatus.Secure, mx.Dnssec);
        Assert.Equal(["mx.bank.test"], mx.Hosts.Select(h => h.Host)); // RFC 2181 §5.4.1: not the answer, not used
    }

    [Fact]
    public async Task A_cname_target_is_validated_too_and_a_forged_target_is_bogus()
    {
        var cname = SignedChain.Sign("www.bank.test", DnsType.CNAME, SignedChain.Records("www.bank.test", DnsType.CNAME, new NameData("mx.bank.test")),
            "bank.test", w.BankZsk);
        await using (var dns = new SignedTestDns(World().Concat(SignedTestDns.Flatten(cname))))
        {
            var (resolver, trace) = Resolver(dns);
            var a = await resolver.AddressesAsync("www.bank.test", System.Net.Sockets.AddressFamily.InterNetwork);
            Assert.Null(a.TempError);
            Assert.Equal((DnssecStatus.Secure, "127.0.2.1"), (a.Dnssec, a.Values.Single().ToString()));
            var steps = ((IEnumerable<string>)Validations(trace).Single(e => (string?)e.Fields["Name"] == "www.bank.test").Fields["Steps"]!).ToList();
            Assert.Contains("CNAME www.bank.test. -> mx.bank.test.: validated in its own zone", steps);
            Assert.StartsWith($"RRSIG over mx.bank.test. A by key {w.BankZsk.KeyTag}", steps[^1]);
        }

        // The genuine signed CNAME, but the target's A record changed after signing: the answer is bogus, never used.
        var world = World().Concat(SignedTestDns.Flatten(cname)).ToList();
        int at = world.FindIndex(r => r.Name == "mx.bank.test" && r.Type == DnsType.A);
        world[at] = world[at] with { Data = new AddressData(IPAddress.Parse("127.0.3.1")) };
        await using (var dns = new SignedTestDns(world))
        {
            var (resolver, _) = Resolver(dns);
            var a = await resolver.AddressesAsync("www.bank.test", System.Net.Sockets.AddressFamily.InterNetwork);
            Assert.Empty(a.Values);
            Assert.Equal(DnssecStatus.Bogus, a.Dnssec);
            Assert.StartsWith("www.bank.test A: DNSSEC bogus: bad signature: RRSIG over mx.bank.test. A", a.TempError);
        }
    }

    [Fact]
    public async Task An_unsigned_zone_below_a_signed_proof_of_no_ds_is_insecure()
    {
        await using var dns = new SignedTestDns(World());
        var (resolver, trace) = Resolver(dns);
        var mx = await resolver.ResolveMxAsync("plain.test");
        Assert.Null(mx.TempError);
        Assert.Equal(DnssecStatus.Insecure, mx.Dnssec);
        Assert.Equal("mx.plain.test", mx.Hosts.Single().Host);
        var e = Validations(trace).First(e => (string?)e.Fields["Name"] == "plain.test");
        Assert.Equal("DNSSEC plain.test. MX: insecure: insecure delegation: test. proves plain.test. has no DS", e.Text);
    }

    [Fact]
    public async Task An_expired_mx_signature_is_never_used_it_is_a_temporary_error_with_the_reason()
    {
        uint past = (uint)SignedChain.Now.AddDays(-1).ToUnixTimeSeconds();
        var expired = new SignedRRset("bank.test", DnsType.MX, SignedChain.MxRecords,
            [RrsigSigner.Sign(w.BankZsk, "bank.test", SignedChain.MxRecords, past - 86400, past)]);
        await using var dns = new SignedTestDns(World(mx: expired));
        var (resolver, trace) = Resolver(dns);
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.Empty(mx.Hosts);
        Assert.Equal(DnssecStatus.Bogus, mx.Dnssec);
        Assert.Equal($"bank.test MX: DNSSEC bogus: RRSIG over bank.test. MX by key tag {w.BankZsk.KeyTag} expired 2026-12-05 12:00:00Z", mx.TempError);
        Assert.Equal("bogus", Validations(trace).Single(e => (string?)e.Fields["Type"] == "MX").Fields["Status"]);
    }

    [Fact]
    public async Task A_forged_spf_record_gives_spf_a_temporary_error()
    {
        var good = SignedChain.Sign("bank.test", DnsType.TXT, SignedChain.Records("bank.test", DnsType.TXT, TxtData.FromText("v=spf1 -all")), "bank.test", w.BankZsk);
        var forged = good with { Records = SignedChain.Records("bank.test", DnsType.TXT, TxtData.FromText("v=spf1 +all")) };
        await using var dns = new SignedTestDns(World(txt: forged));
        var (resolver, _) = Resolver(dns);
        var txt = await resolver.TxtAsync("bank.test");
        Assert.Equal(DnssecStatus.Bogus, txt.Dnssec);
        Assert.Empty(txt.Values);
        Assert.StartsWith("bank.test TXT: DNSSEC bogus: bad signature: RRSIG over bank.test. TXT", txt.TempError);
        var spf = await new MailLab.MailAuth.Spf.SpfEvaluator(new LabSpfResolver(resolver), receiver: "mx.uc.test")
            .CheckHostAsync(IPAddress.Parse("127.0.6.6"), "bank.test", "alice@bank.test", "bank.test");
        Assert.Equal(MailLab.MailAuth.Spf.SpfResultCode.TempError, spf.Result);
        Assert.Contains("DNSSEC bogus", spf.Problem);
    }

    [Fact]
    public async Task Without_the_switch_no_do_bit_is_sent_and_nothing_is_checked()
    {
        await using var dns = new SignedTestDns(World());
        var (resolver, trace) = Resolver(dns, validate: false);
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.Equal(DnssecStatus.Unchecked, mx.Dnssec);
        Assert.Equal("mx.bank.test", mx.Hosts.Single().Host);
        Assert.NotEmpty(dns.Questions);
        Assert.All(dns.Questions, q => Assert.False(q.Do));
        Assert.Empty(Validations(trace));
        var tlsa = await resolver.TlsaAsync("mx.bank.test", 25);
        Assert.Equal(DnssecStatus.Unchecked, tlsa.Status);
    }

    [Fact]
    public async Task A_tlsa_lookup_carries_its_status_and_a_bogus_one_its_reason()
    {
        var tlsa = SignedChain.Records("_25._tcp.mx.bank.test", DnsType.TLSA, new TlsaData(3, 1, 1, new byte[32]));
        var signed = SignedChain.Sign("_25._tcp.mx.bank.test", DnsType.TLSA, tlsa, "bank.test", w.BankZsk);
        var world = World().Concat(SignedTestDns.Flatten(signed)).ToList();
        await using (var dns = new SignedTestDns(world))
        {
            var (resolver, _) = Resolver(dns);
            var r = await resolver.TlsaAsync("mx.bank.test", 25);
            Assert.Equal(DnssecStatus.Secure, r.Status);
            Assert.Single(r.Records);
        }
        var unsignedWorld = World().Concat(tlsa).ToList();
        await using (var dns = new SignedTestDns(unsignedWorld))
        {
            var (resolver, _) = Resolver(dns);
            var r = await resolver.TlsaAsync("mx.bank.test", 25);
            Assert.Equal(DnssecStatus.Bogus, r.Status);
            Assert.Empty(r.Records);
            Assert.Equal("_25._tcp.mx.bank.test TLSA: DNSSEC bogus: missing RRSIG over _25._tcp.mx.bank.test. TLSA in the signed zone bank.test.", r.BogusReason);
        }
    }
}
