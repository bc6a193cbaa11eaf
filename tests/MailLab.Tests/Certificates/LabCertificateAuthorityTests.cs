using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;

namespace MailLab.Tests.Certificates;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // checks Unix file modes of the key files
public sealed class LabCertificateAuthorityTests : IDisposable
{
    private static readonly string[] UcNames = ["mx.uc.test", "mail.uc.test"];
    private static readonly IPAddress[] UcAddresses = [IPAddress.Parse("127.0.1.1")];
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string CaKey => Path.Combine(_dir.Path, "ca.key");

    [Fact]
    public void CreatesARootCaWithTheRightProfileAndAPrivateKeyFile()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);

        Assert.Equal(Path.Combine(_dir.Path, "ca.crt"), ca.CertificatePath);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(ca.CertificatePath), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(CaKey), StringComparison.Ordinal);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(CaKey));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));

        X509Certificate2 root = ca.Certificate;
        Assert.False(root.HasPrivateKey);
        Assert.Equal("MailLab Lab Root CA", root.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal(root.Subject, root.Issuer);
        X509BasicConstraintsExtension constraints = root.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, root.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.InRange((root.NotAfter - root.NotBefore).TotalDays, 365 * 10, 366 * 10 + 1);
        Assert.Equal(2048, root.GetRSAPublicKey()!.KeySize);
    }

    [Fact]
    public void ReloadGivesTheSameCa()
    {
        string first = LabCertificateAuthority.LoadOrCreate(_dir.Path).Certificate.Thumbprint;
        var again = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        Assert.Equal(first, again.Certificate.Thumbprint);

        // The reloaded CA can still sign: its server certificates chain to the same root.
        X509Certificate2 server = again.GetOrCreateServerCertificate("uc", UcNames, UcAddresses);
        Assert.True(TestChains.ChainsTo(again.Certificate, server));
    }

    [Fact]
    public void LooseKeyPermissionsAreTightenedOnLoad()
    {
        LabCertificateAuthority.LoadOrCreate(_dir.Path);
        File.SetUnixFileMode(CaKey, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        LabCertificateAuthority.LoadOrCreate(_dir.Path);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(CaKey));
    }

    [Fact]
    public void CertificateWithoutKeyIsAClearError()
    {
        LabCertificateAuthority.LoadOrCreate(_dir.Path);
        File.Delete(CaKey);
        var e = Assert.Throws<LabCertificateException>(() => LabCertificateAuthority.LoadOrCreate(_dir.Path));
        Assert.Contains("ca.key is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerCertificateHasTheServerProfile()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        X509Certificate2 server = ca.GetOrCreateServerCertificate("uc", UcNames, [IPAddress.Parse("127.0.1.1"), IPAddress.Any]);

        Assert.True(server.HasPrivateKey);
        Assert.True(TestChains.ChainsTo(ca.Certificate, server));
        Assert.Equal("mx.uc.test", server.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal(ca.Certificate.Subject, server.Issuer);

        X509SubjectAlternativeNameExtension san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(UcNames, san.EnumerateDnsNames());
        Assert.Equal(UcAddresses, san.EnumerateIPAddresses()); // the wildcard 0.0.0.0 is not a name anyone connects to

        Assert.Contains(server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.False(server.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.InRange((server.NotAfter - server.NotBefore).TotalDays, 365, 398);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(_dir.Path, "sites", "uc.key")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "sites", "uc.crt")));
    }

    [Fact]
    public void SerialNumbersAreRandomAndPositive()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        byte[] a = ca.GetOrCreateServerCertificate("a", ["mx.a.test"], []).GetSerialNumber();
        byte[] b = ca.GetOrCreateServerCertificate("b", ["mx.b.test"], []).GetSerialNumber();
        Assert.NotEqual(a, b);
        Assert.True(a.Length >= 8); // at least 64 bits
        Assert.True(a[^1] < 0x80 && a[^1] != 0); // little-endian: the last byte is the most significant
    }

    [Fact]
    public void ServerCertificateIsReusedAfterARestartWhileItFits()
    {
        string first = LabCertificateAuthority.LoadOrCreate(_dir.Path).GetOrCreateServerCertificate("uc", UcNames, UcAddresses).Thumbprint;

        var restarted = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        X509Certificate2 again = restarted.GetOrCreateServerCertificate("uc", ["MX.uc.test.", "mail.uc.test"], UcAddresses);
        Assert.Equal(first, again.Thumbprint);
        Assert.True(again.HasPrivateKey);
    }

    [Fact]
    public void OtherNamesGiveANewCertificate()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        string first = ca.GetOrCreateServerCertificate("uc", UcNames, UcAddresses).Thumbprint;

        X509Certificate2 more = ca.GetOrCreateServerCertificate("uc", [.. UcNames, "smtp.uc.test"], UcAddresses);
        Assert.NotEqual(first, more.Thumbprint);
        Assert.Contains("smtp.uc.test", more.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());

        X509Certificate2 otherAddress = ca.GetOrCreateServerCertificate("uc", [.. UcNames, "smtp.uc.test"], [IPAddress.Parse("127.0.1.2")]);
        Assert.NotEqual(more.Thumbprint, otherAddress.Thumbprint);

        X509Certificate2 otherPrimary = ca.GetOrCreateServerCertificate("uc", ["mail.uc.test", "mx.uc.test", "smtp.uc.test"], [IPAddress.Parse("127.0.1.2")]);
        Assert.NotEqual(otherAddress.Thumbprint, otherPrimary.Thumbprint);
        Assert.Equal("mail.uc.test", otherPrimary.GetNameInfo(X509NameType.SimpleName, false));

        // The newest one was stored: a restart reuses it.
        Assert.Equal(otherPrimary.Thumbprint, LabCertificateAuthority.LoadOrCreate(_dir.Path)
            .GetOrCreateServerCertificate("uc", ["mail.uc.test", "mx.uc.test", "smtp.uc.test"], [IPAddress.Parse("127.0.1.2")]).Thumbprint);
    }

    /// <summary>Stores a uc certificate with the right names, signed by the lab CA, that ends in <paramref name="days"/> days.</summary>
    private string PlantUcCertificate(LabCertificateAuthority ca, int days)
    {
        using X509Certificate2 signer = X509Certificate2.CreateFromPemFile(ca.CertificatePath, CaKey);
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=mx.uc.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mx.uc.test");
        san.AddDnsName("mail.uc.test");
        san.AddIpAddress(UcAddresses[0]);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 planted = request.Create(
            signer, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(days), [0x42, 1, 2, 3, 4, 5, 6, 7]);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "sites"));
        File.WriteAllText(Path.Combine(_dir.Path, "sites", "uc.crt"), planted.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir.Path, "sites", "uc.key"), key.ExportPkcs8PrivateKeyPem());
        return planted.Thumbprint;
    }

    [Fact]
    public void CertificateWithMoreThan30DaysLeftIsKept()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        string planted = PlantUcCertificate(ca, days: 100);
        Assert.Equal(planted, ca.GetOrCreateServerCertificate("uc", UcNames, UcAddresses).Thumbprint);
    }

    [Fact]
    public void CertificateExpiringWithin30DaysIsReissued()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        string planted = PlantUcCertificate(ca, days: 10);

        X509Certificate2 served = ca.GetOrCreateServerCertificate("uc", UcNames, UcAddresses);
        Assert.NotEqual(planted, served.Thumbprint);
        Assert.True(served.NotAfter > DateTime.Now.AddDays(300));
        Assert.Equal(served.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir.Path, "sites", "uc.crt")).Thumbprint);
    }

    [Fact]
    public void CertificateFromAnEarlierCaIsReissued()
    {
        string oldServer = LabCertificateAuthority.LoadOrCreate(_dir.Path).GetOrCreateServerCertificate("uc", UcNames, UcAddresses).Thumbprint;
        File.Delete(Path.Combine(_dir.Path, "ca.crt"));
        File.Delete(CaKey);

        var newCa = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        X509Certificate2 server = newCa.GetOrCreateServerCertificate("uc", UcNames, UcAddresses);
        Assert.NotEqual(oldServer, server.Thumbprint);
        Assert.True(TestChains.ChainsTo(newCa.Certificate, server));
    }

    [Theory]
    [InlineData("../uc")]
    [InlineData("uc/x")]
    [InlineData("")]
    public void SiteNameThatIsNotASafeFileNameIsRejected(string site)
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        Assert.Throws<ArgumentException>(() => ca.GetOrCreateServerCertificate(site, UcNames, UcAddresses));
    }

    [Fact]
    public void ACertificateNeedsAName()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        Assert.Throws<ArgumentException>(() => ca.GetOrCreateServerCertificate("uc", [], [IPAddress.Any]));
        Assert.Throws<ArgumentException>(() => ca.GetOrCreateServerCertificate("uc", ["bad name.test"], UcAddresses));
    }
}
