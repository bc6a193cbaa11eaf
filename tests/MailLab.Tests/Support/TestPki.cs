using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;

namespace MailLab.Tests.Support;

/// <summary>One lab CA for the whole test run (key generation is slow), in a temp directory.</summary>
public static class TestPki
{
    private static readonly Lazy<LabCertificateAuthority> Lazy = new(() =>
        LabCertificateAuthority.LoadOrCreate(Path.Combine(TempDir.Root, "shared-certs")));

    public static LabCertificateAuthority Ca => Lazy.Value;

    /// <summary>Certificate validation that trusts only the lab CA (as a student's -CAfile would).</summary>
    public static bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        using var c = new X509Chain();
        c.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        c.ChainPolicy.CustomTrustStore.Add(Ca.Certificate);
        c.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var ok = c.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        // Name mismatch is still an error; only the trust anchor is ours.
        return ok && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }
}

/// <summary>Temporary directories under one root per test run, removed at exit.</summary>
public static class TempDir
{
    public static readonly string Root = Directory.CreateTempSubdirectory("maillab-tests-").FullName;

    static TempDir()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }

    public static string New(string name) => Directory.CreateDirectory(Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;
}
