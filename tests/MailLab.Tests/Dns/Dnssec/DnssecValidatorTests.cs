using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// The chain validator (RFC 4035 §5) against RRsets signed with the signer's primitives, and against
/// broken inputs: expired, future, wrong key, tampered data, DS mismatch, missing RRSIG, insecure
/// delegation, bad NSEC, unsupported algorithms, and the KeyTrap work limit.
/// </summary>
public sealed class DnssecValidatorTests : IDisposable
{
    private readonly SignedChain w = new();

    public void Dispose() => w.Dispose();

    private DnssecValidation Validate(SignedRRset? rrset, IReadOnlyList<ChainZone>? chain = null, TrustAnchor? anchor = null,
        string name = "bank.test", DnsType type = DnsType.MX, IReadOnlyList<SignedRRset>? denial = null, bool nx = false,
        DnssecLimits? limits = null) =>
        DnssecValidator.Validate(new DnssecAnswer(name, type, rrset, denial ?? [], nx), chain ?? w.BankChain, anchor ?? w.Anchor,
            SignedChain.Now, limits);

    [Theory]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    public void A_signed_answer_along_the_chain_is_secure_and_every_step_is_written_down(byte algorithm)
    {
        using var world = new SignedChain(algorithm);
        var v = DnssecValidator.Validate(new DnssecAnswer("bank.test", DnsType.MX, world.SignedMx, []), world.BankChain, world.Anchor, SignedChain.Now);
        Assert.True(v.Status == ValidationStatus.Secure, v.Reason);
        Assert.Null(v.Reason);
        string name = DnssecAlgorithm.Name(algorithm);
        Assert.Equal(
        [
            $"DS test. key tag {world.RootKsk.KeyTag} {name} SHA-256 matches DNSKEY {world.RootKsk.KeyTag}",
            $"RRSIG over test. DNSKEY by KSK {world.RootKsk.KeyTag} {name} valid 2026-12-05 12:00:00Z to 2026-12-20 12:00:00Z: verified",
            $"RRSIG over bank.test. DS by key {world.RootZsk.KeyTag} {name} valid 2026-12-05 12:00:00Z to 2026-12-20 12:00:00Z: verified",
            $"DS bank.test. key tag {world.BankKsk.KeyTag} {name} SHA-256 matches DNSKEY {world.BankKsk.KeyTag}",
            $"RRSIG over bank.test. DNSKEY by KSK {world.BankKsk.KeyTag} {name} valid 2026-12-05 12:00:00Z to 2026-12-20 12:00:00Z: verified",
            $"RRSIG over bank.test. MX by key {world.BankZsk.KeyTag} {name} valid 2026-12-05 12:00:00Z to 2026-12-20 12:00:00Z: verified",
        ], v.Steps);
        Assert.Equal(4, v.SignatureChecks);
    }

    [Fact]
    public void A_dnskey_trust_anchor_works_like_a_ds_one()
    {
        var v = Validate(w.SignedMx, anchor: TrustAnchor.FromKeys("test", w.RootKsk.Dnskey));
        Assert.True(v.Status == ValidationStatus.Secure, v.Reason);
        Assert.Contains($"DNSKEY test. key tag {w.RootKsk.KeyTag} ECDSAP256SHA256 is a trust anchor", v.Steps);
    }

    [Fact]
    public void An_expired_rrsig_is_bogus_with_its_expiry()
    {
        var records = SignedChain.MxRecords;
        uint past = (uint)SignedChain.Now.AddDays(-1).ToUnixTimeSeconds();
        var sig = RrsigSigner.Sign(w.BankZsk, "bank.test", records, past - 86400, past);
        var v = Validate(new SignedRRset("bank.test", DnsType.MX, records, [sig]));
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal($"RRSIG over bank.test. MX by key tag {w.BankZsk.KeyTag} expired 2026-12-05 12:00:00Z", v.Reason);
    }

    [Fact]
    public void A_signature_not_yet_valid_is_bogus()
    {
        var records = SignedChain.MxRecords;
        uint future = (uint)SignedChain.Now.AddDays(1).ToUnixTimeSeconds();
        var sig = RrsigSigner.Sign(w.BankZsk, "bank.test", records, future, future + 86400);
        var v = Validate(new SignedRRset("bank.test", DnsType.MX, records, [sig]));
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Contains("is not yet valid: from 2026-12-07 12:00:00Z", v.Reason);
    }

    [Fact]
    public void A_signature_by_a_key_outside_the_zones_dnskey_set_is_bogus()
    {
        using var stranger = DnssecKey.Generate(DnssecAlgorithm.EcdsaP256Sha256, DnskeyData.ZoneKeyFlags);
        var v = Validate(SignedChain.Sign("bank.test", DnsType.MX, SignedChain.MxRecords, "bank.test", stranger));
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.StartsWith($"no matching key: no DNSKEY of bank.test. has key tag {stranger.KeyTag}", v.Reason);
    }

    [Fact]
    public void Tampered_record_data_is_bogus_with_a_bad_signature()
    {
        var signed = w.SignedMx;
        var forged = signed with { Records = SignedChain.Records("bank.test", DnsType.MX, new MxData(10, "mx.evil.test")) };
        var v = Validate(forged);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.StartsWith($"bad signature: RRSIG over bank.test. MX by key tag {w.BankZsk.KeyTag} does not verify", v.Reason);
        Assert.Equal(ValidationStatus.Secure, Validate(signed).Status);
    }

    [Fact]
    public void A_ds_that_does_not_match_the_childs_key_is_bogus()
    {
        var ds = DnssecCanonical.Ds("bank.test", w.BankKsk.Dnskey);
        var bad = ds with { Digest = ds.Digest.Select((b, i) => i == 0 ? (byte)(b ^ 1) : b).ToArray() };
        var badDs = SignedChain.Sign("bank.test", DnsType.DS, SignedChain.Records("bank.test", DnsType.DS, bad), "test", w.RootZsk);
        var v = Validate(w.SignedMx, [w.Root, w.Bank with { Ds = badDs }]);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal($"DS digest mismatch: the DS of bank.test. for key tag {w.BankKsk.KeyTag} does not match DNSKEY {w.BankKsk.KeyTag}", v.Reason);
    }

    [Fact]
    public void A_missing_rrsig_in_a_signed_zone_is_bogus()
    {
        var v = Validate(new SignedRRset("bank.test", DnsType.MX, SignedChain.MxRecords, []));
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("missing RRSIG over bank.test. MX in the signed zone bank.test.", v.Reason);
    }

    [Fact]
    public void A_dnskey_set_signed_only_by_the_zsk_is_bogus()
    {
        var dnskeys = SignedChain.Sign("bank.test", DnsType.DNSKEY,
            SignedChain.Records("bank.test", DnsType.DNSKEY, w.BankKsk.Dnskey, w.BankZsk.Dnskey), "bank.test", w.BankZsk);
        var v = Validate(w.SignedMx, [w.Root, w.Bank with { Dnskey = dnskeys }]);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.StartsWith($"no matching key: no DNSKEY of bank.test. has key tag {w.BankZsk.KeyTag}", v.Reason);
    }

    [Fact]
    public void A_signed_proof_of_no_ds_makes_the_child_insecure()
    {
        var plain = new ChainZone("plain.test", null, null, [w.PlainNoDs]);
        var v = Validate(new SignedRRset("plain.test", DnsType.A, SignedChain.ARecords("plain.test"), []), [w.Root, plain], name: "plain.test", type: DnsType.A);
        Assert.True(v.Status == ValidationStatus.Insecure, v.Reason);
        Assert.Equal("insecure delegation: test. proves plain.test. has no DS", v.Reason);
        Assert.Equal("NSEC at plain.test. (NS RRSIG NSEC) proves no DS: plain.test. is unsigned", v.Steps[^1]);
    }

    [Fact]
    public void A_no_ds_proof_that_lists_ds_or_is_unsigned_or_is_missing_is_bogus()
    {
        var answer = new SignedRRset("plain.test", DnsType.A, SignedChain.ARecords("plain.test"), []);
        var withDs = w.Nsec("test", w.RootZsk, "plain.test", "test", DnsType.NS, DnsType.DS, DnsType.RRSIG, DnsType.NSEC);
        var v = Validate(answer, [w.Root, new ChainZone("plain.test", null, null, [withDs])], name: "plain.test", type: DnsType.A);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Contains("is not a delegation without DS", v.Reason);

        var unsigned = w.PlainNoDs with { Signatures = [] };
        v = Validate(answer, [w.Root, new ChainZone("plain.test", null, null, [unsigned])], name: "plain.test", type: DnsType.A);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("missing RRSIG over plain.test. NSEC in the signed zone test.", v.Reason);

        v = Validate(answer, [w.Root, new ChainZone("plain.test", null)], name: "plain.test", type: DnsType.A);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("test. gives neither a DS for plain.test. nor a signed proof that it has none", v.Reason);
    }

    [Fact]
    public void A_signed_nxdomain_with_its_wildcard_denial_is_secure()
    {
        // bank.test's zone: bank.test -> mx.bank.test -> (apex). nope.bank.test sorts between them; *.bank.test before mx.
        var apex = w.Nsec("bank.test", w.BankZsk, "bank.test", "mx.bank.test", DnsType.MX, DnsType.SOA, DnsType.NS, DnsType.DNSKEY);
        var mx = w.Nsec("bank.test", w.BankZsk, "mx.bank.test", "bank.test", DnsType.A, DnsType.RRSIG, DnsType.NSEC);
        var v = Validate(null, name: "nope.bank.test", type: DnsType.A, denial: [apex, mx], nx: true);
        Assert.True(v.Status == ValidationStatus.Secure, v.Reason);
        Assert.Contains("proves NXDOMAIN for nope.bank.test., and no wildcard *.bank.test.", v.Steps[^1]);

        // Only the NSEC covering the name, not the wildcard: not proven.
        v = Validate(null, name: "nope.bank.test", type: DnsType.A, denial: [mx], nx: true);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("no NSEC covers the wildcard *.bank.test., so NXDOMAIN is not proven", v.Reason);

        // An NSEC that does not cover the name at all.
        v = Validate(null, name: "aaa.bank.test", type: DnsType.A, denial: [mx], nx: true);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("no NSEC covers aaa.bank.test., so NXDOMAIN is not proven", v.Reason);
    }

    [Fact]
    public void A_wildcard_expansion_is_secure_only_with_the_nsec_proving_the_name_does_not_exist()
    {
        // *.bank.test A, signed once (Labels 2), replayed as the answer for mx.bank.test A and for x.bank.test A.
        var wildcard = SignedChain.Sign("*.bank.test", DnsType.A, SignedChain.Records("*.bank.test", DnsType.A, new AddressData(System.Net.IPAddress.Parse("127.0.3.1"))),
            "bank.test", w.BankZsk);
        SignedRRset At(string owner) => wildcard with { Owner = owner, Records = SignedChain.Records(owner, DnsType.A, wildcard.Records[0].Data) };
        var mx = w.Nsec("bank.test", w.BankZsk, "mx.bank.test", "bank.test", DnsType.A, DnsType.RRSIG, DnsType.NSEC);
        var apex = w.Nsec("bank.test", w.BankZsk, "bank.test", "*.bank.test", DnsType.MX, DnsType.SOA, DnsType.NS, DnsType.DNSKEY);

        // The expansion verifies, but without a proof it could stand in for a name that exists: bogus.
        var v = Validate(At("mx.bank.test"), name: "mx.bank.test", type: DnsType.A);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("mx.bank.test. was answered from the wildcard *.bank.test., but no NSEC proves that mx.bank.test. itself does not exist", v.Reason);

        // x.bank.test sorts between mx.bank.test and the apex (the chain wraps): the NSEC at mx covers it.
        v = Validate(At("x.bank.test"), name: "x.bank.test", type: DnsType.A, denial: [mx]);
        Assert.True(v.Status == ValidationStatus.Secure, v.Reason);
        Assert.Equal("wildcard *.bank.test. expanded for x.bank.test.: NSEC mx.bank.test. -> bank.test. proves no closer match", v.Steps[^1]);

        // An NSEC that does not cover the name proves nothing.
        v = Validate(At("x.bank.test"), name: "x.bank.test", type: DnsType.A, denial: [apex]);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
    }

    [Fact]
    public void A_signed_nodata_is_secure_but_not_when_the_nsec_lists_the_type()
    {
        var mx = w.Nsec("bank.test", w.BankZsk, "mx.bank.test", "bank.test", DnsType.A, DnsType.RRSIG, DnsType.NSEC);
        var v = Validate(null, name: "mx.bank.test", type: DnsType.AAAA, denial: [mx]);
        Assert.True(v.Status == ValidationStatus.Secure, v.Reason);
        Assert.Equal("NSEC at mx.bank.test. (A RRSIG NSEC) proves NODATA for AAAA", v.Steps[^1]);

        v = Validate(null, name: "mx.bank.test", type: DnsType.A, denial: [mx]);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("the NSEC at mx.bank.test. lists A, so it cannot prove NODATA", v.Reason);

        var forgedNsec = mx with { Records = SignedChain.Records("mx.bank.test", DnsType.NSEC, new NsecData("bank.test", [DnsType.RRSIG])) };
        v = Validate(null, name: "mx.bank.test", type: DnsType.A, denial: [forgedNsec]);
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.StartsWith("bad signature: RRSIG over mx.bank.test. NSEC", v.Reason);
    }

    [Fact]
    public void A_name_outside_the_trust_anchor_is_indeterminate()
    {
        var v = Validate(null, name: "example.org", type: DnsType.A);
        Assert.Equal(ValidationStatus.Indeterminate, v.Status);
        Assert.Equal("no trust anchor covers example.org. (the anchor is test.)", v.Reason);
    }

    [Fact]
    public void A_ds_set_of_unsupported_algorithms_only_is_insecure_and_an_unsupported_rrsig_is_skipped()
    {
        // RFC 4035 §5.2, RFC 6840 §5.2: a DS of an algorithm the validator does not know means "unsigned" to it.
        var gost = new DsData(12345, 12, 2, new byte[32]);
        var ds = SignedChain.Sign("bank.test", DnsType.DS, SignedChain.Records("bank.test", DnsType.DS, gost), "test", w.RootZsk);
        var v = Validate(w.SignedMx, [w.Root, w.Bank with { Ds = ds }]);
        Assert.True(v.Status == ValidationStatus.Insecure, v.Reason);

        var odd = w.SignedMx.Signatures[0] with { Algorithm = 12 };
        v = Validate(w.SignedMx with { Signatures = [odd, .. w.SignedMx.Signatures] });
        Assert.True(v.Status == ValidationStatus.Secure, v.Reason);
        v = Validate(w.SignedMx with { Signatures = [odd] });
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("the RRSIG over bank.test. MX uses unsupported algorithm 12", v.Reason);
    }

    [Fact]
    public void Signature_checks_per_answer_are_capped_against_keytrap()
    {
        // 40 ZSKs in the DNSKEY set and 40 RRSIGs over the MX, each by one of them over other data: every one
        // fails after a full verification. The validator stops at the cap instead of trying them all.
        var zsks = Enumerable.Range(0, 40).Select(_ => DnssecKey.Generate(DnssecAlgorithm.EcdsaP256Sha256, DnskeyData.ZoneKeyFlags)).ToList();
        try
        {
            var keyRecords = SignedChain.Records("bank.test", DnsType.DNSKEY, [w.BankKsk.Dnskey, .. zsks.Select(k => k.Dnskey)]);
            var dnskeys = SignedChain.Sign("bank.test", DnsType.DNSKEY, keyRecords, "bank.test", w.BankKsk);
            var other = SignedChain.Records("bank.test", DnsType.MX, new MxData(20, "other.bank.test"));
            var sigs = zsks.Select(k => RrsigSigner.Sign(k, "bank.test", other, SignedChain.Inception, SignedChain.Expiration)).ToList();
            var v = Validate(new SignedRRset("bank.test", DnsType.MX, SignedChain.MxRecords, sigs), [w.Root, w.Bank with { Dnskey = dnskeys }],
                limits: new DnssecLimits(MaxSignatureChecks: 10));
            Assert.Equal(ValidationStatus.Bogus, v.Status);
            Assert.Equal("more than 10 signature checks for one answer (the KeyTrap limit, CVE-2023-50387)", v.Reason);
            Assert.Equal(10, v.SignatureChecks);
        }
        finally
        {
            zsks.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public void A_chain_deeper_than_the_cap_is_refused()
    {
        var v = Validate(w.SignedMx, limits: new DnssecLimits(MaxChainDepth: 1));
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("the chain has 2 zones, more than the 1 allowed", v.Reason);
    }

    [Fact]
    public void An_rrsig_by_another_zone_is_not_accepted()
    {
        var v = Validate(SignedChain.Sign("bank.test", DnsType.MX, SignedChain.MxRecords, "test", w.RootZsk));
        Assert.Equal(ValidationStatus.Bogus, v.Status);
        Assert.Equal("the RRSIG over bank.test. MX is by test., not by its zone bank.test.", v.Reason);
    }
}
