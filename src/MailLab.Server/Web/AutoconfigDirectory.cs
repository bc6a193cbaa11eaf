using MailLab.Server.Lab;
using MailLab.Server.Listeners;

namespace MailLab.Server.Web;

/// <summary>
/// One server a mail client is told to use (an <c>incomingServer</c> or <c>outgoingServer</c> of the autoconfig file):
/// type (<c>imap</c>, <c>pop3</c>, <c>smtp</c>), host name, port and socketType (<c>SSL</c>, <c>STARTTLS</c>).
/// </summary>
internal sealed record AutoconfigServer(string Type, string HostName, int Port, string SocketType)
{
    /// <summary>True for an <c>incomingServer</c> (IMAP, POP3), false for the <c>outgoingServer</c> (SMTP submission).</summary>
    public bool Incoming => Type != "smtp";
}

/// <summary>
/// Where a lab domain's users point their mail client: the site's IMAP, POP3 and submission listeners (never the MTA,
/// which takes no AUTH). A listener this process runs gives its bound port (a lab on port 0 tells the real one); a site
/// run elsewhere (<c>--only</c>, the classroom's dns container) gives the lab file's port.
/// </summary>
internal sealed class AutoconfigDirectory(LabDefinition lab, Func<IEnumerable<ListenerInfo>> listeners)
{
    // Implicit TLS before STARTTLS, IMAP before POP3: RFC 8314 §3 asks clients to prefer implicit TLS, and a client
    // offered several servers of one type takes the first.
    private static readonly (string Type, string Role, string Tls, Func<SitePorts, int?> Port)[] Order =
    [
        ("imap", "IMAP", "implicit", p => p.Imaps),
        ("imap", "IMAP", "starttls", p => p.Imap),
        ("pop3", "POP3", "implicit", p => p.Pop3s),
        ("pop3", "POP3", "starttls", p => p.Pop3),
        ("smtp", "MSA", "implicit", p => p.Submissions),
        ("smtp", "MSA", "starttls", p => p.Submission),
    ];

    /// <summary>The lab's name (for the file's display name).</summary>
    public string LabName => lab.Name;

    /// <summary>The site that receives mail for <paramref name="domain"/> (lower case, no trailing dot); null: not a lab domain.</summary>
    public SiteDefinition? SiteOf(string domain) =>
        lab.Sites.FirstOrDefault(s => s.Domains.Any(d => d.Equals(domain, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The servers of <paramref name="site"/> for a user of <paramref name="domain"/>, in the order a client should try them.</summary>
    public IReadOnlyList<AutoconfigServer> ServersOf(SiteDefinition site, string domain)
    {
        var bound = listeners().Where(l => l.Site == site.Name).ToList();
        string host = HostNameFor(site, domain);
        var servers = new List<AutoconfigServer>();
        foreach (var (type, role, tls, configured) in Order)
        {
            int? port = bound.FirstOrDefault(l => l.Role == role && l.Tls == tls)?.Port ?? configured(site.Ports);
            // A port 0 the process did not bind is a listener that runs nowhere a client could reach.
            if (port is > 0) servers.Add(new AutoconfigServer(type, host, port.Value, tls == "implicit" ? "SSL" : "STARTTLS"));
        }
        return servers;
    }

    /// <summary>
    /// The host name clients use: <c>mail.DOMAIN</c> when the site has it, else its first host name in the domain, else
    /// its primary one. Every host name is in the site's certificate, so TLS name checks pass with any of them.
    /// </summary>
    public static string HostNameFor(SiteDefinition site, string domain)
    {
        var names = site.HostNames.Select(LabNames.NormalizeDomain).ToList();
        return names.FirstOrDefault(n => n == "mail." + domain)
            ?? names.FirstOrDefault(n => n.EndsWith("." + domain, StringComparison.Ordinal))
            ?? LabNames.NormalizeDomain(site.PrimaryHostName);
    }
}
