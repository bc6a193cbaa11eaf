using System.Text;
using MailLab.Server.Certificates;
using MailLab.Server.Smime;
using MailLab.Tests.Certificates;
using MimeKit;
using MimeKit.Cryptography;

namespace MailLab.Tests.Smime;

/// <summary>The verifier on its own: what the MDA may open with the switch, compressed-data, and bad input as verdicts.</summary>
public sealed class SmimeVerifierTests : IClassFixture<SmimeVerifierTests.Pki>
{
    /// <summary>A lab PKI in a temp folder with two users.</summary>
    public sealed class Pki : IDisposable
    {
        private readonly TempDirectory dir = new();
        public UserCertificateAuthority Users { get; }
        public string Certs => dir.Path;

        public Pki()
        {
            Users = UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(dir.Path), "http://127.0.9.1:0/pki/user-ca.crl");
            Users.GetOrIssue("alice@uc.test", out _).Dispose();
            Users.GetOrIssue("bob@bank.test", out _).Dispose();
        }

        public void Dispose() => dir.Dispose();
    }

    private readonly Pki pki;
    public SmimeVerifierTests(Pki pki) => this.pki = pki;

    [Fact]
    public void With_the_mda_holding_user_keys_an_encrypted_signed_message_is_decrypted_and_its_signature_verified()
    {
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "signed then encrypted");
        SmimeComposer.Sign(m, pki.Users, "alice@uc.test");
        SmimeComposer.Encrypt(m, pki.Users, ["bob@bank.test"]);
        var bytes = SmimeTestKit.Bytes(m);

        var closed = new SmimeVerifier(pki.Certs).Verify(bytes, "alice@uc.test");
        Assert.Equal("encrypted", closed.Verdict);
        Assert.Null(closed.Inner);

        var holding = new SmimeVerifier(pki.Certs, a => SmimeComposer.PrivateKeyOf(pki.Users, a));
        var opened = holding.Verify(bytes, "alice@uc.test");
        Assert.Equal("decrypted", opened.Verdict);
        Assert.True(opened.Decrypted);
        Assert.Equal("multipart/signed: valid", opened.InnerStructure);
        Assert.Contains(opened.Steps, s => s.Step == "decrypt" && s.Detail.Contains("end-to-end encryption keeps from it"));
    }

    [Fact]
    public void Compressed_data_is_recognised_and_its_content_looked_into()
    {
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "compressed");
        using (var ctx = new TemporarySecureMimeContext()) m.Body = ApplicationPkcs7Mime.Compress(ctx, m.Body!);
        var r = new SmimeVerifier(pki.Certs).Verify(SmimeTestKit.Bytes(m), "alice@uc.test");
        Assert.Equal("compressed-data", r.Structure);
        Assert.Equal("compressed", r.Verdict);
        Assert.Equal("none", r.Inner!.Verdict);
        Assert.Contains(r.Steps, s => s.Step == "compression" && s.Detail.Contains("zlib"));
    }

    [Fact]
    public void Signed_data_inside_application_pkcs7_mime_is_verified()
    {
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "opaque");
        var (cert, key) = SmimeComposer.LoadSigner(pki.Users, "alice@uc.test");
        using (var ctx = new TemporarySecureMimeContext())
        {
            m.Body = ApplicationPkcs7Mime.Sign(ctx, new CmsSigner([cert], key) { DigestAlgorithm = DigestAlgorithm.Sha256 }, m.Body!);
        }
        var r = new SmimeVerifier(pki.Certs).Verify(SmimeTestKit.Bytes(m), "alice@uc.test");
        Assert.Equal("signed-data", r.Structure);
        Assert.Equal("valid", r.Verdict);
    }

    [Fact]
    public void A_signature_by_a_lab_certificate_that_has_expired_is_expired()
    {
        // A certificate the user CA issued for alice that ended almost an hour ago (made here with the user CA's key).
        using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            Path.Combine(pki.Certs, "user-ca.crt"), Path.Combine(pki.Certs, "user-ca.key"));
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=alice@uc.test", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddEmailAddress("alice@uc.test");
        request.CertificateExtensions.Add(san.Build());
        using var old = request.Create(ca, ca.NotBefore, ca.NotBefore.AddMinutes(1), [0x33, 0x44]); // the CA is backdated one hour
        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "old key");
        SmimeComposer.Sign(m, [parser.ReadCertificate(old.RawData), parser.ReadCertificate(ca.RawData)],
            Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(key.ExportParameters(true)).Private);

        var r = new SmimeVerifier(pki.Certs).Verify(SmimeTestKit.Bytes(m), "alice@uc.test");
        Assert.Equal("expired", r.Verdict);
        Assert.Contains(r.Steps, s => s.Step == "validity" && s.Ok == false && s.Detail.Contains("EXPIRED"));
        Assert.Equal("good", r.Revocation);
    }

    [Theory]
    [InlineData("application/pkcs7-mime; smime-type=signed-data", "base64", "AAAA", "malformed")]
    [InlineData("application/pkcs7-mime; smime-type=enveloped-data", "base64", "MIIBAgYJKoZIhvcNAQcBoIIBBAQA", "malformed")]
    [InlineData("application/pkcs7-mime", "base64", "MAsGCSqGSIb3DQEHAQ==", "unsupported")] // CMS "data": not an S/MIME type
    [InlineData("multipart/signed; protocol=\"application/pgp-signature\"; boundary=b", "7bit", "x", "unsupported")]
    [InlineData("multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b", "7bit", "no parts at all", "malformed")]
    public void Bad_input_is_a_verdict_never_an_exception(string type, string encoding, string body, string verdict)
    {
        var text = $"From: alice@uc.test\r\nSubject: bad\r\nMIME-Version: 1.0\r\nContent-Type: {type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n";
        var r = new SmimeVerifier(pki.Certs).Verify(Encoding.ASCII.GetBytes(text), "alice@uc.test");
        Assert.Equal(verdict, r.Verdict);
        Assert.False(string.IsNullOrEmpty(r.Reason));
    }

    [Fact]
    public void Nested_compression_stops_at_the_depth_limit()
    {
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "nested");
        using (var ctx = new TemporarySecureMimeContext())
        {
            for (int i = 0; i < SmimeVerifier.MaxDepth + 3; i++) m.Body = ApplicationPkcs7Mime.Compress(ctx, m.Body!);
        }
        var r = new SmimeVerifier(pki.Certs).Verify(SmimeTestKit.Bytes(m), null);
        int depth = 0;
        var inner = r;
        while (inner.Inner is { } next)
        {
            inner = next;
            depth++;
        }
        Assert.Equal(SmimeVerifier.MaxDepth, depth);
        Assert.Equal("unsupported", inner.Verdict);
        Assert.Contains("layers", inner.Reason);
    }
}
