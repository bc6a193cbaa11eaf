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
/// run elsewhere (<c>--only</c>, the classroom's dns container) gives the lab file's port. A client that reached the lab
/// through a site's published address (its <c>published:</c> block; the request's Host names that address) gets the
/// published host and ports instead: the classroom's container ports mean nothing on the instructor's own machine.
/// </summary>
internal sealed class AutoconfigDirectory(LabDefinition lab, Func<IEnumerable<ListenerInfo>> listeners)
{
    // Implicit TLS before STARTTLS, IMAP before POP3: RFC 8314 §3 asks clients to prefer implicit TLS, and a client
    // offered several servers of one type takes the first.
    private static readonly (string Type, string Role, string Tls, string Key, Func<SitePorts, int?> Port)[] Order =
    [
        ("imap", "IMAP", "implicit", "imaps", p => p.Imaps),
        ("imap", "IMAP", "starttls", "imap", p => p.Imap),
        ("pop3", "POP3", "implicit", "pop3s", p => p.Pop3s),
        ("pop3", "POP3", "starttls", "pop3", p => p.Pop3),
        ("smtp", "MSA", "implicit", "submissions", p => p.Submissions),
        ("smtp", "MSA", "starttls", "submission", p => p.Submission),
    ];

    /// <summary>The lab's name (for the file's display name).</summary>
    public string LabName => lab.Name;

    /// <summary>The site that receives mail for <paramref name="domain"/> (lower case, no trailing dot); null: not a lab domain.</summary>
    public SiteDefinition? SiteOf(string domain) =>
        lab.Sites.FirstOrDefault(s => s.Domains.Any(d => d.Equals(domain, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// The servers of <paramref name="site"/> for a user of <paramref name="domain"/>, in the order a client should try them;
    /// <paramref name="requestHost"/> is the host the client asked (the Host header, without its port).
    /// </summary>
    public IReadOnlyList<AutoconfigServer> ServersOf(SiteDefinition site, string domain, string? requestHost = null)
    {
        if (PublishedFor(site, requestHost) is { } published)
        {
            // Only the listeners published there: the others cannot be reached from where the client is.
            return Order.Where(o => published.Ports.ContainsKey(o.Key))
                .Select(o => new AutoconfigServer(o.Type, published.Address, published.Ports[o.Key], o.Tls == "implicit" ? "SSL" : "STARTTLS")).ToList();
        }
        var bound = listeners().Where(l => l.Site == site.Name).ToList();
        string host = HostNameFor(site, domain);
        var servers = new List<AutoconfigServer>();
        foreach (var (type, role, tls, _, configured) in Order)
        {
            int? port = bound.FirstOrDefault(l => l.Role == role && l.Tls == tls)?.Port ?? configured(site.Ports);
            // A port 0 the process did not bind is a listener that runs nowhere a client could reach.
            if (port is > 0) servers.Add(new AutoconfigServer(type, host, port.Value, tls == "implicit" ? "SSL" : "STARTTLS"));
        }
        return servers;
    }

    /// <summary>
    /// The site's <c>published:</c> block when <paramref name="requestHost"/> names its address (an IPv6 address may come
    /// in brackets, a name in any case or with a trailing dot); null otherwise, and for a site with none.
    /// </summary>
    internal static SitePublished? PublishedFor(SiteDefinition site, string? requestHost)
    {
        if (site.Published is not { } published || string.IsNullOrEmpty(requestHost)) return null;
        string host = requestHost.StartsWith('[') && requestHost.EndsWith(']') ? requestHost[1..^1] : requestHost;
        host = System.Net.IPAddress.TryParse(host, out var ip) ? ip.ToString() : LabNames.NormalizeDomain(host);
        return host.Equals(published.Address, StringComparison.OrdinalIgnoreCase) ? published : null;
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
