using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;
using MailLab.Server.Lab;

namespace MailLab.Tests.Support;

/// <summary>One lab CA for the whole test run (key generation is slow), in a temp directory.</summary>
public static class TestPki
{
    private static readonly Lazy<LabCertificateAuthority> Lazy = new(() =>
        LabCertificateAuthority.LoadOrCreate(Path.Combine(TempDir.Root, "shared-certs")));

    public static LabCertificateAuthority Ca => Lazy.Value;

    // The user CA and an S/MIME certificate for every user of the default lab and the test lab, made once per
    // run under the shared root in a folder of their own (so no test copies a file while it is written).
    private static readonly Lazy<string> SharedUserPki = new(() =>
    {
        var dir = Path.Combine(TempDir.Root, "shared-user-pki");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(Ca.CertificatePath)!))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }
        var users = UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(dir), new LabWeb().CrlUrl);
        var addresses = LabDefinitionLoader.LoadDefault().Sites.Concat(LabDefinitionLoader.Parse(TestLab.LabYaml(), "test.yml").Sites)
            .SelectMany(s => s.Users).Select(u => u.Address).Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var address in addresses)
        {
            users.GetOrIssue(address, out _).Dispose();
        }
        return dir;
    });

    /// <summary>
    /// Copies the shared user CA and users' S/MIME certificates into <paramref name="data"/>/certs, for labs that make
    /// the users' keys on start (a real 'maillab up', the exercise labs): each RSA key costs about 0.2 s of CPU, and the
    /// lab reuses stored certificates of its own CA. Tests of issuing itself start without them.
    /// </summary>
    public static void SeedUserPki(string data)
    {
        var from = SharedUserPki.Value;
        var certs = Directory.CreateDirectory(Path.Combine(data, "certs")).FullName;
        foreach (var f in Directory.GetFiles(from, "user-ca*").Concat(Directory.GetFiles(Path.Combine(from, UserCertificateAuthority.UsersFolderName))))
        {
            var target = Path.Combine(certs, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!File.Exists(target)) File.Copy(f, target);
        }
    }

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
