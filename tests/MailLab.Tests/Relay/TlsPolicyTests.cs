using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>The relay's TLS policy (RFC 7672 DANE, RFC 8461 MTA-STS): every row of the decision table.</summary>
public sealed class TlsPolicyTests
{
    private static readonly TlsaData Ee = new(3, 1, 1, new byte[32]);
    private static readonly TlsaData Ta = new(2, 1, 1, new byte[32]);
    private static readonly TlsaData PkixEe = new(1, 1, 1, new byte[32]);

    private static TlsaLookup Tlsa(DnssecStatus status, params TlsaData[] records) =>
        new("_25._tcp.mx.bank.test", records, status, false, null);

    private static readonly MtaStsPolicy Enforce = new(MtaStsMode.Enforce, ["mx.bank.test", "*.backup.test"], TimeSpan.FromDays(1));
    private static readonly MtaStsPolicy Testing = Enforce with { Mode = MtaStsMode.Testing };
    private static readonly MtaStsPolicy NoneMode = Enforce with { Mode = MtaStsMode.None };

    private static readonly List<(string Row, DnssecStatus Mx, TlsaLookup? Tlsa, MtaStsPolicy? Sts, bool RequireTls,
        string Policy, bool TlsRequired, string Check, bool Defer, string? Failure)> Table =
    [
        // name, MX status, TLSA, STS, REQUIRETLS => policy, TLS required, check, defer, TLS-RPT failure type
        ("unvalidated, no policy: opportunistic (unchanged)", DnssecStatus.Unchecked, null, null, false, "opportunistic", false, "None", false, null),
        ("bogus MX defers", DnssecStatus.Bogus, null, Enforce, false, "dane", true, "None", true, "dnssec-invalid"),
        ("secure MX, secure DANE-EE TLSA: DANE", DnssecStatus.Secure, Tlsa(DnssecStatus.Secure, Ee), Enforce, false, "dane", true, "Dane", false, null),
        ("secure MX, secure DANE-TA TLSA: DANE", DnssecStatus.Secure, Tlsa(DnssecStatus.Secure, Ta), null, false, "dane", true, "Dane", false, null),
        ("secure TLSA with only unusable records: TLS, unauthenticated", DnssecStatus.Secure, Tlsa(DnssecStatus.Secure, PkixEe), null, false, "dane", true, "None", false, null),
        ("secure MX, bogus TLSA defers", DnssecStatus.Secure, Tlsa(DnssecStatus.Bogus, Ee) with { BogusReason = "RRSIG expired" }, null, false, "dane", true, "None", true, "dnssec-invalid"),
        ("secure MX, TLSA lookup failed defers", DnssecStatus.Secure, new TlsaLookup("_25._tcp.mx.bank.test", [], DnssecStatus.Indeterminate, false, "SERVFAIL"), null, false, "dane", true, "None", true, "dnssec-invalid"),
        ("secure MX, no TLSA, STS enforce", DnssecStatus.Secure, new TlsaLookup("_25._tcp.mx.bank.test", [], DnssecStatus.Secure, true, null), Enforce, false, "mta-sts-enforce", true, "Pkix", false, null),
        ("secure MX, insecure TLSA ignored: STS enforce", DnssecStatus.Secure, Tlsa(DnssecStatus.Insecure, Ee), Enforce, false, "mta-sts-enforce", true, "Pkix", false, null),
        ("insecure MX: secure TLSA not used, opportunistic", DnssecStatus.Insecure, Tlsa(DnssecStatus.Secure, Ee), null, false, "opportunistic", false, "None", false, null),
        ("unchecked TLSA ignored: opportunistic", DnssecStatus.Unchecked, Tlsa(DnssecStatus.Unchecked, Ee), null, false, "opportunistic", false, "None", false, null),
        ("STS enforce, MX listed", DnssecStatus.Unchecked, null, Enforce, false, "mta-sts-enforce", true, "Pkix", false, null),
        ("STS enforce, MX not listed defers", DnssecStatus.Unchecked, null, Enforce with { Mx = ["mx.other.test"] }, false, "mta-sts-enforce", true, "None", true, "validation-failure"),
        ("STS testing, MX listed: checked, not enforced", DnssecStatus.Unchecked, null, Testing, false, "mta-sts-testing", false, "Pkix", false, null),
        ("STS testing, MX not listed: delivers, reports", DnssecStatus.Unchecked, null, Testing with { Mx = ["mx.other.test"] }, false, "mta-sts-testing", false, "Pkix", false, "validation-failure"),
        ("STS none: opportunistic", DnssecStatus.Unchecked, null, NoneMode, false, "opportunistic", false, "None", false, null),
        ("indeterminate MX, no policy: opportunistic", DnssecStatus.Indeterminate, null, null, false, "opportunistic", false, "None", false, null),
    ];

    public static TheoryData<string> Rows() => new(Table.Select(t => t.Row));

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decision_table(string row)
    {
        var (_, mx, tlsa, sts, _, policy, tlsRequired, check, defer, failure) = Table.Single(t => t.Row == row);
        var d = TlsPolicy.Decide(new TlsPolicyInput("bank.test", "mx.bank.test", mx, tlsa, sts));
        Assert.True(policy == d.PolicyName, $"{row}: policy {d.PolicyName}");
        Assert.True(tlsRequired == d.TlsRequired, $"{row}: TLS required {d.TlsRequired}");
        Assert.True(check == d.Check.ToString(), $"{row}: check {d.Check}");
        Assert.True(defer == (d.DeferReason is not null), $"{row}: defer {d.DeferReason}");
        Assert.True(failure == d.FailureType, $"{row}: failure type {d.FailureType}");
        Assert.False(string.IsNullOrWhiteSpace(d.Reason));
    }

    [Theory]
    [InlineData("mx.bank.test", true)]
    [InlineData("MX.Bank.Test.", true)]
    [InlineData("a.backup.test", true)]
    [InlineData("a.b.backup.test", false)] // RFC 8461 §4.1: the wildcard covers one label only
    [InlineData("backup.test", false)]
    [InlineData("mx.bank.test.evil.test", false)]
    public void Mx_patterns_match_as_RFC_8461_section_4_1_says(string host, bool matches) =>
        Assert.Equal(matches, Enforce.MatchesMx(host));

    [Theory]
    [InlineData("version: STSv1\r\nmode: enforce\r\nmx: mx.bank.test\r\nmax_age: 86400\r\n", "Enforce", 86400)]
    [InlineData("version: STSv1\nmode: testing\nmx: *.bank.test\nmx: mx.bank.test\nmax_age: 0\nextension: ignored\n", "Testing", 0)]
    [InlineData("version: STSv1\nmode: none\nmax_age: 600\n", "None", 600)]
    public void Valid_policies_parse(string body, string mode, int maxAge)
    {
        var p = MtaStsPolicy.Parse(body, out var error);
        Assert.Null(error);
        Assert.Equal(mode, p!.Mode.ToString());
        Assert.Equal(TimeSpan.FromSeconds(maxAge), p.MaxAge);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: mx.bank.test\nmax_age: 86400\n", "version")]
    [InlineData("version: STSv2\nmode: enforce\nmx: mx.bank.test\nmax_age: 86400\n", "STSv1")]
    [InlineData("version: STSv1\nmode: strict\nmx: mx.bank.test\nmax_age: 86400\n", "mode")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 86400\n", "mx")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.bank.test\nmax_age: 31557601\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.bank.test\nmax_age: -1\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx..bank\nmax_age: 1\n", "mx")]
    [InlineData("<html>not a policy</html>", "line 1")]
    public void Invalid_policies_are_no_policy_with_a_reason(string body, string says)
    {
        Assert.Null(MtaStsPolicy.Parse(body, out var error));
        Assert.Contains(says, error);
    }

    [Theory]
    [InlineData("v=STSv1; id=20261206T1;", "20261206T1")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv2; id=abc;", null)]
    [InlineData("id=abc; v=STSv1;", null)]
    [InlineData("v=STSv1; id=has-dash;", null)]
    [InlineData("v=STSv1;", null)]
    public void Txt_records_give_the_policy_id(string txt, string? id) => Assert.Equal(id, MtaStsPolicy.TxtId(txt));

    [Fact]
    public void Dane_EE_matches_the_leaf_SPKI_whatever_its_names_and_dates()
    {
        using var leaf = Issue("other", ["mx.other.test"]);
        var spki = SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo());
        var d = Dane(new TlsaData(3, 1, 1, spki));
        // Names are ignored (RFC 7672 §3.1.1): the certificate is for another host and still passes.
        Assert.True(TlsCertificateCheck.Check(d, "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow).Passed);
        // And dates: ten years on it still passes.
        Assert.True(TlsCertificateCheck.Check(d, "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow.AddYears(10)).Passed);
        // Full certificate (selector 0) with SHA-512 (matching 2) too.
        Assert.True(TlsCertificateCheck.Check(Dane(new TlsaData(3, 0, 2, SHA512.HashData(leaf.RawData))), "x", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow).Passed);
        var wrong = TlsCertificateCheck.Check(Dane(new TlsaData(3, 1, 1, new byte[32])), "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow);
        Assert.False(wrong.Passed);
        Assert.Equal("tlsa-invalid", wrong.FailureType);
    }

    [Fact]
    public void Dane_TA_pins_the_lab_CA_and_checks_the_MX_name()
    {
        using var leaf = Issue("bank", ["mx.bank.test"]);
        var caSpki = SHA256.HashData(TestPki.Ca.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        var d = Dane(new TlsaData(2, 1, 1, caSpki));
        Assert.True(TlsCertificateCheck.Check(d, "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow).Passed);
        var mismatch = TlsCertificateCheck.Check(d, "mx.evil.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow);
        Assert.False(mismatch.Passed);
        Assert.Equal("certificate-host-mismatch", mismatch.FailureType);
        // A TA record pinning some other key: the lab CA is no anchor then.
        var other = TlsCertificateCheck.Check(Dane(new TlsaData(2, 1, 1, new byte[32])), "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow);
        Assert.False(other.Passed);
        Assert.Equal("tlsa-invalid", other.FailureType);
    }

    [Fact]
    public void Pkix_needs_the_lab_CA_and_the_MX_name()
    {
        using var leaf = Issue("bank", ["mx.bank.test"]);
        var pkix = new TlsDecision(TlsPolicyKind.MtaStsEnforce, true, CertificateCheck.Pkix, true, [], "test");
        Assert.True(TlsCertificateCheck.Check(pkix, "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow).Passed);
        var name = TlsCertificateCheck.Check(pkix, "mx.evil.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow);
        Assert.Equal(("certificate-host-mismatch", false), (name.FailureType, name.Passed));
        using var selfSigned = SelfSigned("mx.bank.test");
        var untrusted = TlsCertificateCheck.Check(pkix, "mx.bank.test", selfSigned, [], TestPki.Ca.Certificate, DateTime.UtcNow);
        Assert.Equal(("validation-failure", false), (untrusted.FailureType, untrusted.Passed));
        var expired = TlsCertificateCheck.Check(pkix, "mx.bank.test", leaf, [], TestPki.Ca.Certificate, DateTime.UtcNow.AddYears(10));
        Assert.False(expired.Passed);
    }

    private static TlsDecision Dane(TlsaData r) => new(TlsPolicyKind.Dane, true, CertificateCheck.Dane, true, [r], "test");

    private static X509Certificate2 Issue(string site, string[] names) =>
        TestPki.Ca.GetOrCreateServerCertificate("tlspolicy-" + site + "-" + Guid.NewGuid().ToString("N")[..6], names, [IPAddress.Loopback]);

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        req.CertificateExtensions.Add(san.Build());
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }
}
