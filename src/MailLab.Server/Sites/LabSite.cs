using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Lab;
using MailLab.Server.Trace;

namespace MailLab.Server.Sites;

/// <summary>
/// One running site's identity, built whole: its definition, certificate, tracer, MDA, peers and users.
/// Every protocol session of the site gets this object; services only one role uses (the outbound queue,
/// the site's resolver, the IMAP per-user limiter) are passed to that role by <see cref="LabRuntime"/>.
/// </summary>
public sealed class LabSite
{
    /// <summary>Creates the running form of a site.</summary>
    internal LabSite(LabDefinition lab, SiteDefinition definition, X509Certificate2 certificate, Tracer tracer, LocalDelivery mda,
        LabPeers? peers = null)
    {
        Peers = peers ?? LabPeers.AllInProcess;
        Lab = lab;
        Definition = definition;
        Certificate = certificate;
        Tracer = tracer;
        Mda = mda;
        CertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>How this site tells the lab's own clients (its relay) from a student's.</summary>
    internal LabPeers Peers { get; }

    /// <summary>The certificate prepared once for every TLS handshake of the site.</summary>
    public SslStreamCertificateContext CertificateContext { get; }

    /// <summary>The whole lab (switches and limits live there).</summary>
    public LabDefinition Lab { get; }

    /// <summary>This site's part of the lab definition.</summary>
    public SiteDefinition Definition { get; }

    /// <summary>The site's server certificate, issued by the lab CA.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Where trace events go.</summary>
    public Tracer Tracer { get; }

    /// <summary>The site's mail delivery agent.</summary>
    internal LocalDelivery Mda { get; }

    /// <summary>When the <c>spoof-dns</c> switch makes this site the attacker: the mail it takes for others' domains.</summary>
    internal MailCapture? Capture { get; init; }

    /// <summary>The site's name, stamped on its trace events.</summary>
    public string Name => Definition.Name;

    /// <summary>The primary host name, used in greetings and Received lines.</summary>
    public string HostName => Definition.HostNames[0];

    /// <summary>Whether mail for <paramref name="domain"/> is delivered here.</summary>
    public bool IsLocalDomain(string domain) =>
        Definition.Domains.Any(d => string.Equals(d, domain, StringComparison.OrdinalIgnoreCase));

    /// <summary>The user with this address at this site, or null.</summary>
    internal UserDefinition? FindUser(string address) =>
        Definition.Users.FirstOrDefault(u => string.Equals(u.Address, address, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether a local recipient exists. Postmaster is always accepted (RFC 5321 §4.5.1).
    /// </summary>
    public bool HasMailbox(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || !IsLocalDomain(address[(at + 1)..])) return false;
        return address[..at].Equals("postmaster", StringComparison.OrdinalIgnoreCase) || FindUser(address) is not null;
    }

    /// <summary>Checks a password in constant time; returns the user or null.</summary>
    internal UserDefinition? Authenticate(string address, string password)
    {
        var user = FindUser(address);
        var expected = Encoding.UTF8.GetBytes(user?.Password ?? "\0no-such-user");
        var given = Encoding.UTF8.GetBytes(password);
        var same = CryptographicOperations.FixedTimeEquals(SHA256.HashData(expected), SHA256.HashData(given));
        return user is not null && same ? user : null;
    }
}
