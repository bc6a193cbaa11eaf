using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;
using MailLab.Tests.Certificates;

namespace MailLab.Tests.Smime;

/// <summary>The user CA under the lab root, the users' S/MIME certificates (RFC 8550) and revocation (RFC 5280 §5).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // checks Unix file modes of the key files
public sealed class UserPkiTests : IDisposable
{
    private const string CrlUrl = "http://127.0.9.1:11371/pki/user-ca.crl";
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void A_user_certificate_has_the_smime_profile_and_chains_through_the_user_ca_to_the_root()
    {
        var root = LabCertificateAuthority.LoadOrCreate(dir.Path);
        var users = UserCertificateAuthority.LoadOrCreate(root, CrlUrl);
        using var alice = users.GetOrIssue("Alice@UC.test", out bool issued);
        Assert.True(issued);

        Assert.Equal("MailLab User CA", users.Certificate.GetNameInfo(X509NameType.SimpleName, false));
        var caConstraints = users.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(caConstraints.CertificateAuthority);
        Assert.Equal(0, caConstraints.PathLengthConstraint);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(dir.Path, "user-ca.key")));

        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, alice.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal("1.3.6.1.5.5.7.3.4", alice.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Single().Value);
        Assert.Equal("alice@uc.test", alice.GetNameInfo(X509NameType.EmailName, false));
        Assert.Equal(2048, alice.GetRSAPublicKey()!.KeySize);
        Assert.NotNull(alice.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
        Assert.NotNull(alice.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().SingleOrDefault());
        var cdp = alice.Extensions.Single(e => e.Oid!.Value == "2.5.29.31");
        Assert.Contains(CrlUrl, System.Text.Encoding.ASCII.GetString(cdp.RawData));
        var (crt, key) = users.PathsOf("alice@uc.test");
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(key));
        Assert.True(File.Exists(crt));

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(users.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(alice), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(3, chain.ChainElements.Count);

        // A second start keeps it.
        using var again = UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(dir.Path), CrlUrl).GetOrIssue("alice@uc.test", out bool reissued);
        Assert.False(reissued);
        Assert.Equal(alice.Thumbprint, again.Thumbprint);
    }

    [Fact]
    public void The_pem_files_end_with_a_line_end_so_that_cat_joins_them_into_a_bundle_openssl_reads()
    {
        // README/handout 13: 'cat ca.crt user-ca.crt > lab-cas.pem' for openssl -CAfile; without the final
        // newline the first END line runs into the next BEGIN line and openssl refuses the file.
        var root = LabCertificateAuthority.LoadOrCreate(dir.Path);
        var users = UserCertificateAuthority.LoadOrCreate(root, CrlUrl);
        using var alice = users.GetOrIssue("alice@uc.test", out _);
        var (crt, key) = users.PathsOf("alice@uc.test");
        foreach (var file in new[] { Path.Combine(dir.Path, "ca.crt"), Path.Combine(dir.Path, "user-ca.crt"), Path.Combine(dir.Path, "user-ca.key"), crt, key })
        {
            Assert.EndsWith("-----\n", File.ReadAllText(file), StringComparison.Ordinal);
        }
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPem(File.ReadAllText(Path.Combine(dir.Path, "ca.crt")) + File.ReadAllText(Path.Combine(dir.Path, "user-ca.crt")));
        Assert.Equal(2, bundle.Count);
    }

    [Fact]
    public void An_old_root_with_path_length_0_is_reissued_with_the_same_key_and_its_site_certificates_stay_valid()
    {
        // The root of a lab made before the user CA: pathLenConstraint 0 forbids any intermediate.
        using (var key = RSA.Create(2048))
        {
            var name = new X500DistinguishedName("CN=MailLab Lab Root CA, O=MailLab teaching lab");
            var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var old = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(10));
            File.WriteAllText(Path.Combine(dir.Path, "ca.crt"), old.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir.Path, "ca.key"), key.ExportPkcs8PrivateKeyPem());
        }
        string oldPem = File.ReadAllText(Path.Combine(dir.Path, "ca.crt"));
        using var oldRoot = X509Certificate2.CreateFromPem(oldPem);
        var site = LabCertificateAuthority.LoadOrCreate(dir.Path);
        // (first load already re-issues; make a site certificate under the old root by hand to prove it survives)
        Assert.True(site.RootReissued);
        Assert.Equal(1, site.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().PathLengthConstraint);
        Assert.Equal(oldRoot.Subject, site.Certificate.Subject);
        Assert.Equal(oldRoot.GetPublicKeyString(), site.Certificate.GetPublicKeyString());
        var server = site.GetOrCreateServerCertificate("uc", ["mx.uc.test"], [IPAddress.Parse("127.0.1.1")]);
        // Issued by the same key and name: it chains to the old root certificate as well as to the new one.
        Assert.True(TestChains.ChainsTo(oldRoot, server));
        Assert.True(TestChains.ChainsTo(site.Certificate, server));
        Assert.False(LabCertificateAuthority.LoadOrCreate(dir.Path).RootReissued);

        var users = UserCertificateAuthority.LoadOrCreate(site, CrlUrl);
        using var bob = users.GetOrIssue("bob@bank.test", out _);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(site.Certificate);
        chain.ChainPolicy.ExtraStore.Add(users.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(bob));
    }

    [Fact]
    public void Revoking_lists_the_serial_with_date_and_reason_in_a_signed_crl_and_the_next_start_issues_a_new_certificate()
    {
        var root = LabCertificateAuthority.LoadOrCreate(dir.Path);
        var users = UserCertificateAuthority.LoadOrCreate(root, CrlUrl);
        using var bob = users.GetOrIssue("bob@bank.test", out _);
        Assert.True(File.Exists(users.Revocations.CrlPath));
        Assert.True(users.Revoke("bob@bank.test", X509RevocationReason.KeyCompromise, out var entry));
        Assert.Equal(bob.SerialNumber, entry!.Serial);
        Assert.Equal(X509RevocationReason.KeyCompromise, Assert.Single(users.Revocations.All()).Reason);

        var crl = new Org.BouncyCastle.X509.X509CrlParser().ReadCrl(File.ReadAllBytes(users.Revocations.CrlPath));
        crl.Verify(new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(users.Certificate.RawData).GetPublicKey());
        var listed = Assert.Single(crl.GetRevokedCertificates());
        Assert.Equal(bob.SerialNumber, listed.SerialNumber.ToString(16).ToUpperInvariant());
        Assert.True(crl.NextUpdate > DateTime.UtcNow.AddDays(7));

        using var next = users.GetOrIssue("bob@bank.test", out bool issued);
        Assert.True(issued);
        Assert.NotEqual(bob.SerialNumber, next.SerialNumber);
    }

    [Fact]
    public void A_path_in_the_address_is_refused()
    {
        var users = UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(dir.Path), CrlUrl);
        Assert.Throws<ArgumentException>(() => users.GetOrIssue("../../etc@uc.test", out _));
        Assert.Throws<ArgumentException>(() => users.GetOrIssue("nobody", out _));
    }
}
