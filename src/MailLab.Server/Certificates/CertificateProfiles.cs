using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailLab.Server.Certificates;

/// <summary>
/// The two kinds of certificate the lab issues. RSA 2048 with SHA-256: every client the course uses
/// (Thunderbird/NSS, OpenSSL, swaks, MailKit) accepts it, and it is what students meet in the wild.
/// </summary>
internal static class CertificateProfiles
{
    public const string RootCommonName = "MailLab Lab Root CA";

    /// <summary>Server certificates: at most 398 days, the CA/Browser Forum limit that clients enforce.</summary>
    public static readonly TimeSpan ServerValidity = TimeSpan.FromDays(397);

    /// <summary>Backdating covers clocks that differ a little between the lab and a student's machine.</summary>
    private static readonly TimeSpan Backdate = TimeSpan.FromHours(1);

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public const string UserCaCommonName = "MailLab User CA";

    /// <summary>The root's pathLenConstraint: one CA (the user CA) may sit between it and an end entity.</summary>
    public const int RootPathLength = 1;

    /// <summary>User (S/MIME) certificates: two years, as public S/MIME CAs issue them (CA/B Forum S/MIME BR 6.3.2 allows 825 days).</summary>
    public static readonly TimeSpan UserValidity = TimeSpan.FromDays(730);

    private const string EmailProtectionOid = "1.3.6.1.5.5.7.3.4";

    public static X509Certificate2 CreateRoot(RSA key, DateTimeOffset now) => CreateRoot(key, null, now - Backdate, now.AddYears(10));

    /// <summary>
    /// A self-signed root; <paramref name="subject"/> and the dates given keep an existing root's name and
    /// lifetime when its certificate is re-issued with the same key (sites' certificates stay valid).
    /// </summary>
    public static X509Certificate2 CreateRoot(RSA key, X500DistinguishedName? subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName("MailLab teaching lab");
        name.AddCommonName(RootCommonName);
        var request = new CertificateRequest(subject ?? name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        // RFC 5280 §4.2.1.9 / §4.2.1.3: path length 1, so the root can sign one intermediate (the user CA).
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, RootPathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>The intermediate "MailLab User CA" under the root: it signs only end-entity S/MIME certificates and the CRL.</summary>
    public static X509Certificate2 CreateUserCa(X509Certificate2 root, RSA key, DateTimeOffset now)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName("MailLab teaching lab");
        name.AddCommonName(UserCaCommonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        // RFC 5280 §4.2.1.9: below it only end entities (path length 0).
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var (notBefore, notAfter) = Within(root, now, root.NotAfter);
        return request.Create(root, notBefore, notAfter, RandomSerial());
    }

    /// <summary>
    /// A user's S/MIME certificate (RFC 8550 §4.4): the address as rfc822Name SAN (§3), digitalSignature and
    /// keyEncipherment (RSA signs and receives key transport), EKU emailProtection, the CRL distribution point (RFC 5280 §4.2.1.13).
    /// </summary>
    public static X509Certificate2 CreateUser(X509Certificate2 userCa, RSA key, string address, string crlUrl, DateTimeOffset now)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName("MailLab teaching lab");
        name.AddCommonName(address);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(EmailProtectionOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(address);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(userCa, true, false));
        request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]));
        var (notBefore, notAfter) = Within(userCa, now, now + UserValidity);
        return request.Create(userCa, notBefore, notAfter, RandomSerial());
    }

    /// <summary>Backdated start and the wanted end, both within the issuer's own validity.</summary>
    private static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Within(X509Certificate2 issuer, DateTimeOffset now, DateTimeOffset wanted)
    {
        DateTimeOffset notAfter = wanted > issuer.NotAfter ? issuer.NotAfter : wanted;
        DateTimeOffset notBefore = now - Backdate;
        if (notBefore < issuer.NotBefore) notBefore = issuer.NotBefore;
        return (notBefore, notAfter);
    }

    public static X509Certificate2 CreateServer(
        X509Certificate2 issuer, RSA key, string siteName, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, DateTimeOffset now)
    {
        string commonName = dnsNames.Count > 0 ? dnsNames[0] : addresses[0].ToString();
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName($"MailLab site {siteName}");
        name.AddCommonName(commonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));

        // Clients match the host name against the SANs only (RFC 6125 §6.4.4), so every name goes here.
        var san = new SubjectAlternativeNameBuilder();
        foreach (string dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (IPAddress address in addresses)
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));

        DateTimeOffset notAfter = now + ServerValidity;
        if (notAfter > issuer.NotAfter)
        {
            notAfter = issuer.NotAfter; // a certificate cannot outlive its issuer
        }

        DateTimeOffset notBefore = now - Backdate;
        if (notBefore < issuer.NotBefore)
        {
            notBefore = issuer.NotBefore; // nor start before it (a CA created within the last hour)
        }

        return request.Create(issuer, notBefore, notAfter, RandomSerial());
    }

    /// <summary>
    /// 126 random bits: positive and minimally encoded (first byte 0x40..0x7F), RFC 5280 §4.1.2.2
    /// (at most 20 octets); unpredictable serials are the CA/Browser Forum's defence against collisions.
    /// </summary>
    private static byte[] RandomSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x40);
        return serial;
    }
}
