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

    public static X509Certificate2 CreateRoot(RSA key, DateTimeOffset now)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName("MailLab teaching lab");
        name.AddCommonName(RootCommonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        // RFC 5280 §4.2.1.9 / §4.2.1.3: a CA that signs only end-entity certificates (path length 0).
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now - Backdate, now.AddYears(10));
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
