using System.Collections.Concurrent;
using MailLab.Server.Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;

namespace MailLab.Server.Smime;

/// <summary>
/// What the lab trusts for S/MIME: its root and user CA (read from &lt;data&gt;/certs), the user CA's CRL
/// (read again whenever the file changes, so a CLI revoke reaches a running lab), and the users'
/// certificates (to name the recipients of an encrypted message). Facts about a certificate are
/// computed once and cached: the chain check is a signature verification, too dear to repeat per message.
/// Our own chain logic rather than X509Chain: it must say why a chain fails (a look-alike CA, another CA)
/// in words, stay in memory, and cost nothing on the second message from the same signer.
/// </summary>
internal sealed class SmimeTrust
{
    private readonly X509Certificate root;
    private readonly X509Certificate? userCa;
    private readonly string crlPath;
    private readonly string usersDirectory;
    private readonly ConcurrentDictionary<X509Certificate, CertificateFacts> facts = new();
    private readonly Lock crlLock = new();
    private (DateTime Written, long Length) crlStamp;
    private CrlState crl = CrlState.Missing;
    private (DateTime Written, Dictionary<(string Issuer, BigInteger Serial), string> Users)? userIndex;

    public SmimeTrust(string certsDirectory)
    {
        var parser = new X509CertificateParser();
        root = parser.ReadCertificate(File.ReadAllBytes(Path.Combine(certsDirectory, LabCertificateAuthority.CertificateFileName)));
        string userCaPath = Path.Combine(certsDirectory, UserCertificateAuthority.CertificateFileName);
        if (File.Exists(userCaPath))
        {
            var candidate = parser.ReadCertificate(File.ReadAllBytes(userCaPath));
            userCa = SignedBy(candidate, root) ? candidate : null;
        }
        crlPath = Path.Combine(certsDirectory, UserRevocations.CrlFileName);
        usersDirectory = Path.Combine(certsDirectory, UserCertificateAuthority.UsersFolderName);
    }

    /// <summary>What the lab knows about a certificate: subject, addresses, its chain to the lab root.</summary>
    public sealed record CertificateFacts(string Subject, string Serial, string Issuer, IReadOnlyList<string> Addresses,
        IReadOnlyList<string> Chain, bool Trusted, bool IssuedByUserCa, string ChainDetail, bool EmailProtection)
    {
        /// <summary>The certificate's RSA public key for .NET's verification (null: not RSA; BouncyCastle checks it).</summary>
        public System.Security.Cryptography.RSA? Rsa { get; init; }
    }

    /// <summary>A revocation found in the CRL.</summary>
    public sealed record Revoked(DateTime At, string Reason);

    /// <summary>The CRL as last read: null entries when there is no valid CRL.</summary>
    public sealed record CrlState(Dictionary<BigInteger, Revoked>? Entries, string Detail)
    {
        public static readonly CrlState Missing = new(null, "no CRL");
    }

    public CertificateFacts Facts(X509Certificate certificate) => facts.GetOrAdd(certificate, c => Compute(c) with { Rsa = SignatureCheck.RsaOf(c) });

    /// <summary>The current CRL; re-read (and its signature checked) only when the file's time or size changed.</summary>
    public CrlState Crl()
    {
        var info = new FileInfo(crlPath);
        var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
        lock (crlLock)
        {
            if (stamp == crlStamp) return crl;
            crlStamp = stamp;
            return crl = info.Exists ? ReadCrl() : CrlState.Missing;
        }
    }

    /// <summary>The lab user a recipient info names by issuer and serial (RFC 5652 §6.2.1), or null.</summary>
    public string? UserOf(X509Name? issuer, BigInteger? serial)
    {
        if (issuer is null || serial is null) return null;
        var written = Directory.Exists(usersDirectory) ? Directory.GetLastWriteTimeUtc(usersDirectory) : DateTime.MinValue;
        var index = userIndex;
        if (index is null || index.Value.Written != written)
        {
            var users = new Dictionary<(string, BigInteger), string>();
            if (Directory.Exists(usersDirectory))
            {
                var parser = new X509CertificateParser();
                foreach (var file in Directory.EnumerateFiles(usersDirectory, "*.crt"))
                {
                    try
                    {
                        var c = parser.ReadCertificate(File.ReadAllBytes(file));
                        users[(c.IssuerDN.ToString(), c.SerialNumber)] = Path.GetFileNameWithoutExtension(file);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or Org.BouncyCastle.Security.Certificates.CertificateException)
                    {
                        // An unreadable file names nobody.
                    }
                }
            }
            userIndex = index = (written, users);
        }
        return index.Value.Users.GetValueOrDefault((issuer.ToString(), serial));
    }

    private CrlState ReadCrl()
    {
        if (userCa is null) return new CrlState(null, "no lab user CA to check the CRL's signature with");
        try
        {
            var list = new X509CrlParser().ReadCrl(File.ReadAllBytes(crlPath));
            if (list is null) return new CrlState(null, $"{crlPath} holds no CRL");
            list.Verify(userCa.GetPublicKey()); // RFC 5280 §6.3.3 (f): the CRL must be signed by the certificate's issuer
            var entries = new Dictionary<BigInteger, Revoked>();
            foreach (X509CrlEntry e in list.GetRevokedCertificates() ?? new HashSet<X509CrlEntry>())
            {
                entries[e.SerialNumber] = new Revoked(e.RevocationDate.ToUniversalTime(), ReasonOf(e));
            }
            var next = list.NextUpdate?.ToUniversalTime();
            return new CrlState(entries, $"CRL of {userCa.SubjectDN} from {list.ThisUpdate.ToUniversalTime():yyyy-MM-dd HH:mm}Z" +
                $"{(next is null ? "" : $", next update {next:yyyy-MM-dd HH:mm}Z")}, {entries.Count} revoked");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new CrlState(null, $"the CRL in {crlPath} is unusable: {e.Message}");
        }
    }

    private static string ReasonOf(X509CrlEntry e)
    {
        var value = e.GetExtensionValue(X509Extensions.ReasonCode);
        if (value is null) return "unspecified";
        var code = DerEnumerated.GetInstance(Asn1Object.FromByteArray(value.GetOctets())).IntValueExact;
        // RFC 5280 §5.3.1 reason codes.
        return code switch
        {
            1 => "keyCompromise", 2 => "cACompromise", 3 => "affiliationChanged", 4 => "superseded",
            5 => "cessationOfOperation", 6 => "certificateHold", 9 => "privilegeWithdrawn", 10 => "aACompromise", _ => "unspecified",
        };
    }

    private CertificateFacts Compute(X509Certificate c)
    {
        string subject = c.SubjectDN.ToString();
        string issuer = c.IssuerDN.ToString();
        string serial = c.SerialNumber.ToString(16).ToUpperInvariant();
        var addresses = Addresses(c);
        var eku = c.GetExtendedKeyUsage();
        // RFC 8550 §4.4.4: with an EKU extension, emailProtection (or anyExtendedKeyUsage) must be in it.
        bool email = eku is null || eku.Any(o => o.Id is "1.3.6.1.5.5.7.3.4" or "2.5.29.37.0");
        if (userCa is not null && c.IssuerDN.Equivalent(userCa.SubjectDN))
        {
            if (SignedBy(c, userCa))
            {
                return new(subject, serial, issuer, addresses, [subject, userCa.SubjectDN.ToString(), root.SubjectDN.ToString()], true, true,
                    "signed by the lab's user CA, which the lab root signed", email);
            }
            return new(subject, serial, issuer, addresses, [subject, $"other CA: {issuer}"], false, false,
                $"the issuer is named like the lab's user CA, but the signature does not verify with the lab's key: a look-alike CA", email);
        }
        if (c.IssuerDN.Equivalent(root.SubjectDN) && SignedBy(c, root))
        {
            return new(subject, serial, issuer, addresses, [subject, root.SubjectDN.ToString()], true, false, "signed by the lab root directly", email);
        }
        var self = c.IssuerDN.Equivalent(c.SubjectDN) ? " (self-signed)" : "";
        return new(subject, serial, issuer, addresses, [subject, $"other CA: {issuer}{self}"], false, false,
            $"issued by {issuer}{self}, which is not the lab's CA: nothing links it to the lab root", email);
    }

    private static bool SignedBy(X509Certificate c, X509Certificate issuer)
    {
        try
        {
            c.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.Certificates.CertificateException
            or Org.BouncyCastle.Security.SignatureException or Org.BouncyCastle.Security.SecurityUtilityException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>rfc822Name SANs; else the subject's emailAddress (RFC 8550 §3 allows both, prefers the SAN).</summary>
    private static IReadOnlyList<string> Addresses(X509Certificate c)
    {
        var list = new List<string>();
        try
        {
            foreach (var san in c.GetSubjectAlternativeNames() ?? [])
            {
                if (san.Count >= 2 && san[0] is int tag && tag == GeneralName.Rfc822Name && san[1] is string a) list.Add(a.ToLowerInvariant());
            }
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.Certificates.CertificateParsingException or ArgumentException or InvalidCastException)
        {
            // An unparsable SAN names nobody.
        }
        if (list.Count == 0)
        {
            list.AddRange(c.SubjectDN.GetValueList(X509Name.EmailAddress).Select(v => v.ToLowerInvariant()));
        }
        return list;
    }
}
