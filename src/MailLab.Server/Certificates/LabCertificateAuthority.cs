using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Lab;

namespace MailLab.Server.Certificates;

/// <summary>
/// The lab's own root CA and the server certificates it issues to sites. Everything lives in one
/// directory (normally &lt;data&gt;/certs): ca.crt, ca.key (mode 0600), sites/&lt;site&gt;.crt and .key.
/// Private keys are only ever written there; only the public CA certificate is meant to leave it.
/// </summary>
public sealed class LabCertificateAuthority
{
    public const string CertificateFileName = "ca.crt";
    public const string KeyFileName = "ca.key";
    public const string SitesFolderName = "sites";

    /// <summary>A server certificate closer than this to its end is reissued at start-up.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private readonly X509Certificate2 _signer; // with the private key; never handed out
    private readonly Lock _issueLock = new();

    private LabCertificateAuthority(string directory, X509Certificate2 signer)
    {
        Directory = directory;
        _signer = signer;
        Certificate = X509CertificateLoader.LoadCertificate(signer.RawData);
        CertificatePath = Path.Combine(directory, CertificateFileName);
    }

    /// <summary>The folder that holds the CA and the site certificates.</summary>
    public string Directory { get; }

    /// <summary>The root certificate, public part only (no private key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Path of ca.crt, the file students import to trust the lab.</summary>
    public string CertificatePath { get; }

    /// <summary>
    /// True when this load re-issued an old root (pathLenConstraint 0) with the same key and subject so it
    /// may sign the user CA: students who imported the old ca.crt import it again.
    /// </summary>
    public bool RootReissued { get; private init; }

    /// <summary>The root with its private key, for the user CA it signs (same assembly only; never handed out).</summary>
    internal X509Certificate2 Signer => _signer;

    /// <summary>
    /// Loads the CA from <paramref name="directory"/>, or creates it there when it does not exist yet.
    /// Throws <see cref="LabCertificateException"/> when the folder holds an unusable CA.
    /// </summary>
    public static LabCertificateAuthority LoadOrCreate(string directory)
    {
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        string certificatePath = Path.Combine(directory, CertificateFileName);
        string keyPath = Path.Combine(directory, KeyFileName);

        if (File.Exists(certificatePath))
        {
            if (!File.Exists(keyPath))
            {
                throw new LabCertificateException(
                    $"{certificatePath} exists but {keyPath} is missing, so the lab CA cannot sign. Delete {directory} to create a new lab CA.");
            }

            X509Certificate2 loaded = LoadRoot(certificatePath, keyPath);
            bool reissued = false;
            if (loaded.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { HasPathLengthConstraint: true, PathLengthConstraint: < CertificateProfiles.RootPathLength })
            {
                // A root from before the user CA (pathLenConstraint 0) forbids any intermediate (RFC 5280 §4.2.1.9).
                // Same key and subject, so every site certificate stays valid; only ca.crt must be imported again.
                using (loaded)
                using (RSA key = loaded.GetRSAPrivateKey()!)
                using (X509Certificate2 root = CertificateProfiles.CreateRoot(key, loaded.SubjectName, loaded.NotBefore, loaded.NotAfter))
                {
                    PemFiles.Write(certificatePath, root.ExportCertificatePem(), privateKey: false);
                }

                loaded = LoadRoot(certificatePath, keyPath);
                reissued = true;
            }

            return new LabCertificateAuthority(directory, loaded) { RootReissued = reissued };
        }

        // No certificate: a key alone is left over from an interrupted start, nobody can trust it yet.
        using (RSA key = RSA.Create(2048))
        using (X509Certificate2 root = CertificateProfiles.CreateRoot(key, DateTimeOffset.UtcNow))
        {
            PemFiles.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), privateKey: true);
            PemFiles.Write(certificatePath, root.ExportCertificatePem(), privateKey: false);
        }

        // Read back what was written, so a first start uses exactly what later starts will load.
        return new LabCertificateAuthority(directory, LoadRoot(certificatePath, keyPath));
    }

    /// <summary>
    /// The TLS server certificate of <paramref name="siteName"/>, with its private key, ready for
    /// <c>SslStream.AuthenticateAsServerAsync</c>. The stored one is reused when it was issued by this CA,
    /// has exactly these names and is not within <see cref="RenewBefore"/> of expiry; otherwise a new one
    /// is issued and stored. Wildcard bind addresses (0.0.0.0, ::) are left out of the SANs.
    /// </summary>
    /// <exception cref="ArgumentException">The site name is not safe as a file name, a DNS name is invalid, or there is no name at all.</exception>
    public X509Certificate2 GetOrCreateServerCertificate(string siteName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        if (!LabNames.IsSiteName(siteName))
        {
            throw new ArgumentException($"'{siteName}' is not a valid site name.", nameof(siteName));
        }

        List<string> names = [];
        foreach (string raw in dnsNames)
        {
            string name = LabNames.NormalizeDomain(raw);
            if (!LabNames.IsDnsName(name))
            {
                throw new ArgumentException($"'{raw}' is not a valid DNS name.", nameof(dnsNames));
            }

            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        List<IPAddress> ips = addresses.Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)).Distinct().ToList();
        if (names.Count == 0 && ips.Count == 0)
        {
            throw new ArgumentException("A server certificate needs at least one DNS name or address.", nameof(dnsNames));
        }

        string sites = Path.Combine(Directory, SitesFolderName);
        string certificatePath = Path.Combine(sites, siteName + ".crt");
        string keyPath = Path.Combine(sites, siteName + ".key");
        lock (_issueLock)
        {
            System.IO.Directory.CreateDirectory(sites);
            if (TryLoadReusable(certificatePath, keyPath, names, ips) is { } existing)
            {
                return existing;
            }

            using RSA key = RSA.Create(2048);
            using X509Certificate2 issued = CertificateProfiles.CreateServer(_signer, key, siteName, names, ips, DateTimeOffset.UtcNow);
            PemFiles.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), privateKey: true);
            PemFiles.Write(certificatePath, issued.ExportCertificatePem(), privateKey: false);
            using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
            return ForSslStream(withKey);
        }
    }

    private static X509Certificate2 LoadRoot(string certificatePath, string keyPath)
    {
        X509Certificate2 root;
        try
        {
            PemFiles.RestrictKey(keyPath);
            root = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new LabCertificateException($"Cannot load the lab CA from {certificatePath} and {keyPath}: {e.Message}", e);
        }

        bool isCa = root.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
        if (!isCa || root.NotAfter.ToUniversalTime() <= DateTime.UtcNow)
        {
            root.Dispose();
            string why = isCa ? "has expired" : "is not a CA certificate";
            throw new LabCertificateException(
                $"{certificatePath} {why}. Delete {Path.GetDirectoryName(certificatePath)} to create a new lab CA (students must then import the new ca.crt).");
        }

        return root;
    }

    /// <summary>The stored site certificate if it still fits; null (reissue) when it is missing, broken, foreign, stale or for other names.</summary>
    private X509Certificate2? TryLoadReusable(string certificatePath, string keyPath, List<string> names, List<IPAddress> ips)
    {
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return null;
        }

        X509Certificate2 stored;
        try
        {
            PemFiles.RestrictKey(keyPath);
            stored = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        using (stored)
        {
            DateTime now = DateTime.UtcNow;
            bool fresh = stored.NotBefore.ToUniversalTime() <= now && stored.NotAfter.ToUniversalTime() - RenewBefore > now;
            if (fresh && IsIssuedByThisCa(stored) && HasExactly(stored, names, ips))
            {
                return ForSslStream(stored);
            }
        }

        return null;
    }

    private bool IsIssuedByThisCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static bool HasExactly(X509Certificate2 certificate, List<string> names, List<IPAddress> ips)
    {
        X509SubjectAlternativeNameExtension? san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        string expectedCommonName = names.Count > 0 ? names[0] : ips[0].ToString();
        return certificate.GetNameInfo(X509NameType.SimpleName, false) == expectedCommonName
            && san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(names)
            && san.EnumerateIPAddresses().ToHashSet().SetEquals(ips);
    }

    /// <summary>
    /// A PKCS#12 round trip gives a certificate whose key SslStream can use on every platform
    /// (a key attached with CopyWithPrivateKey or from PEM is ephemeral, which Windows' TLS rejects).
    /// </summary>
    private static X509Certificate2 ForSslStream(X509Certificate2 withKey)
    {
        byte[] pkcs12 = withKey.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pkcs12, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs12);
        }
    }
}
