using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Lab;

namespace MailLab.Server.Certificates;

/// <summary>
/// The intermediate "MailLab User CA" under the lab root and the S/MIME certificates it issues to lab
/// users (RFC 8550). Files, next to the root in &lt;data&gt;/certs: user-ca.crt, user-ca.key (0600),
/// users/&lt;address&gt;.crt and .key (0600), the revocation list user-ca.revoked and the CRL user-ca.crl.
/// Private keys never leave the folder except through an explicit export.
/// </summary>
public sealed class UserCertificateAuthority
{
    public const string CertificateFileName = "user-ca.crt";
    public const string KeyFileName = "user-ca.key";
    public const string UsersFolderName = "users";

    private readonly X509Certificate2 _signer; // with the private key
    private readonly Lock _issueLock = new();

    private UserCertificateAuthority(LabCertificateAuthority root, X509Certificate2 signer, string crlUrl)
    {
        Root = root;
        _signer = signer;
        Certificate = X509CertificateLoader.LoadCertificate(signer.RawData);
        CrlUrl = crlUrl;
        Revocations = new UserRevocations(root.Directory, signer);
    }

    /// <summary>The lab root that signed this CA.</summary>
    public LabCertificateAuthority Root { get; }

    /// <summary>The user CA certificate, public part only.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CRL distribution point the user certificates carry.</summary>
    public string CrlUrl { get; }

    /// <summary>The revoked serials and the CRL.</summary>
    public UserRevocations Revocations { get; }

    /// <summary>The folder of the users' certificates and keys.</summary>
    public string UsersDirectory => Path.Combine(Root.Directory, UsersFolderName);

    /// <summary>
    /// Loads the user CA next to <paramref name="root"/>, or makes it (again) when it is missing or was not
    /// signed by this root (a new root makes a new user CA; the old users' certificates are then re-issued).
    /// Writes the CRL when there is none yet.
    /// </summary>
    public static UserCertificateAuthority LoadOrCreate(LabCertificateAuthority root, string crlUrl)
    {
        string certificatePath = Path.Combine(root.Directory, CertificateFileName);
        string keyPath = Path.Combine(root.Directory, KeyFileName);
        X509Certificate2? signer = TryLoad(certificatePath, keyPath, root.Certificate);
        if (signer is null)
        {
            using RSA key = RSA.Create(2048);
            using X509Certificate2 made = CertificateProfiles.CreateUserCa(root.Signer, key, DateTimeOffset.UtcNow);
            PemFiles.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), privateKey: true);
            PemFiles.Write(certificatePath, made.ExportCertificatePem(), privateKey: false);
            signer = TryLoad(certificatePath, keyPath, root.Certificate)
                ?? throw new LabCertificateException($"the user CA just written to {certificatePath} does not load");
        }

        var ca = new UserCertificateAuthority(root, signer, crlUrl);
        if (!File.Exists(ca.Revocations.CrlPath))
        {
            ca.Revocations.WriteCrl();
        }

        return ca;
    }

    /// <summary>Paths of a user's certificate and key.</summary>
    public (string Certificate, string Key) PathsOf(string address)
    {
        string name = FileNameOf(address);
        return (Path.Combine(UsersDirectory, name + ".crt"), Path.Combine(UsersDirectory, name + ".key"));
    }

    /// <summary>
    /// The user's certificate: the stored one while it is this CA's, not revoked and not near its end; else a new
    /// one is issued and stored. <paramref name="issued"/> says which.
    /// </summary>
    public X509Certificate2 GetOrIssue(string address, out bool issued)
    {
        address = NormalizeAddress(address);
        var (certificatePath, keyPath) = PathsOf(address);
        lock (_issueLock)
        {
            if (TryLoadUser(certificatePath) is { } stored)
            {
                bool fresh = stored.NotAfter.ToUniversalTime() - LabCertificateAuthority.RenewBefore > DateTime.UtcNow;
                if (fresh && File.Exists(keyPath) && IsIssuedHere(stored) && Revocations.Find(stored.SerialNumber) is null)
                {
                    issued = false;
                    return stored;
                }

                stored.Dispose();
            }

            issued = true;
            return Issue(address, certificatePath, keyPath);
        }
    }

    /// <summary>Issues a new certificate and key for <paramref name="address"/>, replacing any stored one.</summary>
    public X509Certificate2 IssueNew(string address)
    {
        address = NormalizeAddress(address);
        var (certificatePath, keyPath) = PathsOf(address);
        lock (_issueLock)
        {
            return Issue(address, certificatePath, keyPath);
        }
    }

    /// <summary>The user's certificate with its private key (for sign, export, decrypt); null when none is stored.</summary>
    public X509Certificate2? LoadWithKey(string address)
    {
        var (certificatePath, keyPath) = PathsOf(NormalizeAddress(address));
        if (!File.Exists(certificatePath) || !File.Exists(keyPath)) return null;
        PemFiles.RestrictKey(keyPath);
        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }

    /// <summary>The user's stored certificate (public part); null when none.</summary>
    public X509Certificate2? Load(string address) => TryLoadUser(PathsOf(NormalizeAddress(address)).Certificate);

    /// <summary>Every stored user certificate by address (the verifier maps recipient infos to users with it).</summary>
    public IEnumerable<(string Address, X509Certificate2 Certificate)> LoadAll()
    {
        if (!System.IO.Directory.Exists(UsersDirectory)) yield break;
        foreach (string file in System.IO.Directory.EnumerateFiles(UsersDirectory, "*.crt"))
        {
            if (TryLoadUser(file) is { } c) yield return (Path.GetFileNameWithoutExtension(file), c);
        }
    }

    /// <summary>
    /// The user's certificate, key and chain (user CA, root) as PKCS#12 protected by <paramref name="password"/>
    /// (PBES2 with AES-256 and SHA-256, which NSS/Thunderbird and OpenSSL 3 read); null when none is stored.
    /// </summary>
    public byte[]? ExportPkcs12(string address, string password)
    {
        using X509Certificate2? withKey = LoadWithKey(address);
        if (withKey is null) return null;
        var collection = new X509Certificate2Collection { withKey, Certificate, Root.Certificate };
        return collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }

    /// <summary>The user's certificate, the chain and the unencrypted private key as PEM (for openssl); null when none is stored.</summary>
    public string? ExportPem(string address)
    {
        using X509Certificate2? withKey = LoadWithKey(address);
        if (withKey is null) return null;
        using RSA key = withKey.GetRSAPrivateKey()!;
        return withKey.ExportCertificatePem() + "\n" + Certificate.ExportCertificatePem() + "\n" + Root.Certificate.ExportCertificatePem() + "\n"
            + key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>Revokes the user's current certificate (RFC 5280 §5.3.1 reason) and writes the CRL; false when there is none.</summary>
    public bool Revoke(string address, X509RevocationReason reason, out UserRevocations.Entry? entry)
    {
        address = NormalizeAddress(address);
        entry = null;
        using X509Certificate2? certificate = Load(address);
        if (certificate is null) return false;
        entry = Revocations.Revoke(certificate.SerialNumber, address, reason, DateTimeOffset.UtcNow);
        return true;
    }

    /// <summary>Lower case, and only an address the lab file could name (so it is a safe file name too).</summary>
    public static string NormalizeAddress(string address)
    {
        string a = address.Trim().ToLowerInvariant();
        int at = a.LastIndexOf('@');
        if (at <= 0 || at == a.Length - 1 || !LabNames.IsDnsName(a[(at + 1)..]) || a.Any(ch => ch is '/' or '\\' or ' ' || char.IsControl(ch)) || a.StartsWith('.'))
        {
            throw new ArgumentException($"'{address}' is not a lab mail address.", nameof(address));
        }

        return a;
    }

    private static string FileNameOf(string address) => address; // NormalizeAddress already made it file-safe

    private X509Certificate2 Issue(string address, string certificatePath, string keyPath)
    {
        System.IO.Directory.CreateDirectory(UsersDirectory);
        using RSA key = RSA.Create(2048);
        X509Certificate2 issued = CertificateProfiles.CreateUser(_signer, key, address, CrlUrl, DateTimeOffset.UtcNow);
        PemFiles.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), privateKey: true);
        PemFiles.Write(certificatePath, issued.ExportCertificatePem(), privateKey: false);
        return issued;
    }

    private bool IsIssuedHere(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements.Count == 3
            && chain.ChainElements[1].Certificate.RawData.AsSpan().SequenceEqual(Certificate.RawData);
    }

    private static X509Certificate2? TryLoadUser(string path)
    {
        try
        {
            return File.Exists(path) ? X509Certificate2.CreateFromPem(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static X509Certificate2? TryLoad(string certificatePath, string keyPath, X509Certificate2 root)
    {
        if (!File.Exists(certificatePath) || !File.Exists(keyPath)) return null;
        X509Certificate2 loaded;
        try
        {
            PemFiles.RestrictKey(keyPath);
            loaded = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(loaded) && loaded.NotAfter.ToUniversalTime() - LabCertificateAuthority.RenewBefore > DateTime.UtcNow) return loaded;
        loaded.Dispose();
        return null;
    }
}
