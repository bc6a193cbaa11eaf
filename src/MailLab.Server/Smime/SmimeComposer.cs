using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;
using X509CertificateParser = Org.BouncyCastle.X509.X509CertificateParser;

namespace MailLab.Server.Smime;

/// <summary>
/// Makes S/MIME messages with a lab user's key (<c>maillab smime sign|encrypt</c>, the tests and the bench):
/// MimeKit's MultipartSigned and ApplicationPkcs7Mime over a context that holds nothing but what is passed
/// in, so no key is ever copied into a store.
/// </summary>
public static class SmimeComposer
{
    /// <summary>
    /// Signs the body of <paramref name="message"/> as <paramref name="address"/> (multipart/signed, SHA-256,
    /// the signer's certificate and the user CA in the signature, RFC 8551 §2.4.2), replacing the body.
    /// </summary>
    public static void Sign(MimeMessage message, UserCertificateAuthority users, string address)
    {
        var (certificate, key) = LoadSigner(users, address);
        var chain = new[] { certificate, new X509CertificateParser().ReadCertificate(users.Certificate.RawData) };
        Sign(message, chain, key);
    }

    /// <summary>Signs with any certificate chain and key (the tests' mallory uses a CA of his own).</summary>
    public static void Sign(MimeMessage message, IReadOnlyList<X509Certificate> chain, AsymmetricKeyParameter key)
    {
        using var context = new TemporarySecureMimeContext();
        var signer = new CmsSigner(chain, key) { DigestAlgorithm = DigestAlgorithm.Sha256 };
        message.Body = MultipartSigned.Create(context, signer, message.Body ?? throw new ArgumentException("the message has no body"));
    }

    /// <summary>Encrypts the body of <paramref name="message"/> for the lab users <paramref name="to"/> (application/pkcs7-mime enveloped-data).</summary>
    public static void Encrypt(MimeMessage message, UserCertificateAuthority users, IEnumerable<string> to)
    {
        var recipients = new CmsRecipientCollection();
        var parser = new X509CertificateParser();
        foreach (var address in to)
        {
            using var c = users.Load(address) ?? throw new ArgumentException($"{address} has no S/MIME certificate; 'maillab smime issue {address}' makes one");
            recipients.Add(new CmsRecipient(parser.ReadCertificate(c.RawData)) { EncryptionAlgorithms = [EncryptionAlgorithm.Aes256] });
        }
        using var context = new TemporarySecureMimeContext();
        message.Body = ApplicationPkcs7Mime.Encrypt(context, recipients, message.Body ?? throw new ArgumentException("the message has no body"));
    }

    /// <summary>A lab user's certificate and private key in BouncyCastle's form.</summary>
    public static (X509Certificate Certificate, AsymmetricKeyParameter Key) LoadSigner(UserCertificateAuthority users, string address)
    {
        using var withKey = users.LoadWithKey(address) ?? throw new ArgumentException($"{address} has no S/MIME certificate; 'maillab smime issue {address}' makes one");
        using RSA rsa = withKey.GetRSAPrivateKey()!;
        return (new X509CertificateParser().ReadCertificate(withKey.RawData), DotNetUtilities.GetRsaKeyPair(rsa.ExportParameters(true)).Private);
    }

    /// <summary>The private key of a lab user, for the MDA when the lab holds the users' keys; null when none is stored.</summary>
    public static AsymmetricKeyParameter? PrivateKeyOf(UserCertificateAuthority users, string address)
    {
        try
        {
            return LoadSigner(users, address).Key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException)
        {
            return null;
        }
    }
}
