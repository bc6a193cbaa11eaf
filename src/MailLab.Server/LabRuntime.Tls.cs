using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;
using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server;

// The relay's TLS policy at start: TLSA records, MTA-STS hosting and discovery, TLS-RPT (issue 16 part 4).
public sealed partial class LabRuntime
{
    /// <summary>The relay's TLS-RPT counts (RFC 8460) since the last report.</summary>
    internal TlsReportCounter TlsReports { get; } = new();

    /// <summary>Sends the TLS reports (RFC 8460) of every site; null when the lab runs no site.</summary>
    public Reports.TlsReporter? TlsReporter { get; private set; }

    /// <summary>
    /// The lab CA certificate of the web's HTTPS listener, <c>mta-sts.DOMAIN</c> and <c>autoconfig.DOMAIN</c> for every lab domain, and the starting
    /// policy files in <c>&lt;data&gt;/mta-sts</c> (made once; students edit them).
    /// </summary>
    private static X509Certificate2 MtaStsCertificate(LabDefinition lab, LabCertificateAuthority ca, string dataDirectory)
    {
        MailLab.Server.Web.MtaStsRoutes.Prepare(dataDirectory, lab.Sites.SelectMany(s => s.Domains.Select(d => (d, s.HostNames))));
        // autoconfig.DOMAIN too: Thunderbird asks https://autoconfig.DOMAIN/mail/config-v1.1.xml first (Web/AutoconfigRoutes.cs).
        var domains = lab.Sites.SelectMany(s => s.Domains).ToList();
        return ca.GetOrCreateServerCertificate("mta-sts", domains.Select(d => "mta-sts." + d).Concat(domains.Select(d => "autoconfig." + d)), []);
    }

    /// <summary>A site certificate's host names: the site's, and its published host name (the autoconfig file names it outside).</summary>
    private static IEnumerable<string> SiteNames(SiteDefinition def) =>
        def.Published is { } p && !IPAddress.TryParse(p.Address, out _) ? def.HostNames.Append(p.Address) : def.HostNames;

    /// <summary>A site certificate's addresses: the site's, and its published address when that is one (127.0.0.1 in the classroom).</summary>
    private static IEnumerable<IPAddress> SiteAddresses(SiteDefinition def) =>
        def.Published is { } p && IPAddress.TryParse(p.Address, out var ip) ? [IPAddress.Parse(def.Address), ip] : [IPAddress.Parse(def.Address)];

    /// <summary>
    /// The dashboard's HTTPS certificate when its <c>tls:</c> asks for one: for its address and 127.0.0.1 (the
    /// classroom publishes its port on the host's loopback), so a browser that trusts the lab CA accepts it.
    /// </summary>
    private static X509Certificate2? DashboardCertificate(LabDefinition lab, LabCertificateAuthority ca)
    {
        string address = lab.Dashboard.AddressFor(lab.Web);
        if (!lab.Dashboard.UsesTls(address)) return null;
        // A malformed address is refused with its reason when the dashboard binds; the certificate needs none for it.
        IPAddress[] addresses = IPAddress.TryParse(address, out var ip) ? [ip, IPAddress.Loopback] : [IPAddress.Loopback];
        return ca.GetOrCreateServerCertificate("dashboard", ["localhost"], addresses);
    }

    /// <summary>Publishes (or updates) the TLSA records of <paramref name="def"/>'s host names; true when a zone file changed.</summary>
    private static bool PublishTlsa(LabDefinition lab, SiteDefinition def, X509Certificate2 cert, LabCertificateAuthority ca, string dataDirectory,
        bool freshZones, LabSite site, Tracer tracer)
    {
        var record = TlsaRecords.Record(cert, ca.Certificate, lab.Relay.TlsaDaneTa);
        var published = TlsaRecords.Publish(dataDirectory, def.Domains, def.HostNames, record, freshZones);
        foreach (var p in published)
        {
            tracer.ForLab(LabOrigin.Host, site.Name, TraceRole.MTA).Emit(TraceKind.TlsPolicy,
                $"TLSA {(p.Replaced ? "updated (new certificate)" : "published")} in {Path.GetFileName(p.ZoneFile)}: {p.Record}",
                ("Step", "tlsa-publish"), ("Host", p.Owner), ("Tlsa", new[] { record.ToZoneText().ToLowerInvariant() }),
                ("Result", p.Replaced ? "replaced" : "appended"), ("Reason", p.ZoneFile));
        }
        return published.Count > 0;
    }

    /// <summary>
    /// The relay's TLSA and MTA-STS inputs: the sites' resolvers, and policies fetched from this process's HTTPS web
    /// listener, else (<c>--only</c>) the lab's <c>web:</c> address and <c>https-port</c>.
    /// </summary>
    private static LabTlsPolicySource TlsPolicySource(LabDefinition lab, MailLab.Server.Web.LabWebServer? web, LabCertificateAuthority ca, Func<LabSite, LabResolver> resolvers)
    {
        IPEndPoint? configured = lab.Web.HttpsPort != 0 && IPAddress.TryParse(lab.Web.Address, out var a) ? new IPEndPoint(a, lab.Web.HttpsPort) : null;
        return new LabTlsPolicySource(resolvers, new MtaStsFetcher(() => web?.HttpsEndPoint ?? configured, ca.Certificate));
    }
}
