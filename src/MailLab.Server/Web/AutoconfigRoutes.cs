using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using MailLab.Server.Lab;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Web;

/// <summary>
/// Thunderbird's autoconfig file (Mozilla's ISP database format, <c>clientConfig version="1.1"</c>) for each lab domain,
/// at the two URLs Thunderbird's account wizard asks: <c>http(s)://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=...</c>
/// and <c>http(s)://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml</c>. The domain comes from the Host header
/// (<c>DOMAIN</c> or <c>autoconfig.DOMAIN</c>), else from the <c>emailaddress</c> parameter; <c>/v1.1/DOMAIN</c> answers as
/// Mozilla's ISP database does. The file lists the site's IMAP, POP3 and submission listeners; authentication is
/// <c>password-cleartext</c>, and every listed server is SSL or STARTTLS, so the password only ever travels inside TLS.
/// </summary>
internal static class AutoconfigRoutes
{
    /// <summary>The path under the mail domain itself.</summary>
    public const string WellKnownPath = "/.well-known/autoconfig/mail/config-v1.1.xml";

    /// <summary>The path under <c>autoconfig.DOMAIN</c>.</summary>
    public const string AutoconfigHostPath = "/mail/config-v1.1.xml";

    /// <summary>The path of the ISP database form, <c>/v1.1/DOMAIN</c>.</summary>
    public const string IspDbPath = "/v1.1/";

    /// <summary>Longest <c>emailaddress</c>: 254 octets (RFC 5321 §4.5.3.1.3: a 256-octet path including its angle brackets).</summary>
    public const int MaxAddressLength = 254;

    private const string HostPrefix = "autoconfig.";
    private static readonly string[] Read = [HttpMethods.Get, HttpMethods.Head];

    public static void Map(IEndpointRouteBuilder app, WebRouteContext context)
    {
        foreach (string path in (string[])[WellKnownPath, AutoconfigHostPath])
        {
            app.MapMethods(path, Read, (HttpContext http) => Serve(http, context.Autoconfig));
        }
        // The ISP database's own form (autoconfig.thunderbird.net/v1.1/DOMAIN): Thunderbird's mailnews.auto_config_url
        // may point here, so the wizard finds the lab's settings on a machine whose resolver is not the lab DNS.
        app.MapMethods(IspDbPath + "{domain}", Read, (HttpContext http, string domain) =>
            !LabNames.IsDnsName(LabNames.NormalizeDomain(domain)) ? WebRoutes.Text(400, $"'{domain}' is not a domain name\n")
            : Answer(context.Autoconfig, LabNames.NormalizeDomain(domain), http.Request.Host.Host));
    }

    private static IResult Serve(HttpContext http, AutoconfigDirectory? directory)
    {
        if (directory is null) return WebRoutes.Text(404, "this web service runs without a lab's sites\n");
        var given = http.Request.Query["emailaddress"];
        if (given.Count > 1) return WebRoutes.Text(400, "give one emailaddress parameter\n");
        string? addressDomain = null;
        if (given.Count == 1 && !TryDomainOf(given[0] ?? "", out addressDomain, out string why)) return WebRoutes.Text(400, why + "\n");

        string host = LabNames.NormalizeDomain(http.Request.Host.Host);
        string? hostDomain = directory.SiteOf(host) is not null ? host
            : host.StartsWith(HostPrefix, StringComparison.Ordinal) && directory.SiteOf(host[HostPrefix.Length..]) is not null ? host[HostPrefix.Length..]
            : null;
        if (hostDomain is not null && addressDomain is not null && addressDomain != hostDomain)
        {
            return WebRoutes.Text(400, $"emailaddress is in {addressDomain}, but this is {host}, the autoconfig of {hostDomain}\n");
        }
        string? domain = hostDomain ?? addressDomain;
        if (domain is null)
        {
            // A name we do not serve is an unknown domain; an address literal says nothing about which domain is meant.
            return LabNames.IsDnsName(host) && !IPAddress.TryParse(host, out _)
                ? WebRoutes.Text(404, $"{host} is not a lab domain nor autoconfig.DOMAIN of one\n")
                : WebRoutes.Text(400, $"say which domain: ask Host autoconfig.DOMAIN, or add ?emailaddress=USER@DOMAIN\n");
        }
        return Answer(directory, domain, http.Request.Host.Host);
    }

    /// <summary>The file for a lab domain, as a client that asked <paramref name="host"/> reaches the site; 404 for any other domain.</summary>
    private static IResult Answer(AutoconfigDirectory? directory, string domain, string host)
    {
        if (directory?.SiteOf(domain) is not { } site) return WebRoutes.Text(404, $"{domain} is not a lab domain\n");
        return Results.Bytes(Document(directory, site, domain, host), "application/xml; charset=utf-8");
    }

    /// <summary>The domain of an <c>emailaddress</c> value (lower case); false with the reason when it is not a mail address.</summary>
    internal static bool TryDomainOf(string address, out string? domain, out string why)
    {
        domain = null;
        why = "";
        int at = address.LastIndexOf('@');
        if (address.Length > MaxAddressLength) why = $"emailaddress is longer than {MaxAddressLength} characters (RFC 5321 §4.5.3.1.3)";
        else if (at < 1) why = "emailaddress must be USER@DOMAIN";
        else if (at > 64) why = "the local part of emailaddress is longer than 64 characters (RFC 5321 §4.5.3.1.1)";
        else if (address.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))) why = "emailaddress contains a space or control character";
        else if (!LabNames.IsDnsName(LabNames.NormalizeDomain(address[(at + 1)..]))) why = $"'{address[(at + 1)..]}' is not a domain name";
        else domain = LabNames.NormalizeDomain(address[(at + 1)..]);
        return domain is not null;
    }

    /// <summary>The autoconfig file, built with System.Xml.Linq (every value escaped), UTF-8 without a byte order mark.</summary>
    internal static byte[] Document(AutoconfigDirectory directory, SiteDefinition site, string domain, string? host = null)
    {
        // Element names and order as in Mozilla's ISP database format (clientConfig 1.1): a user logs in with the whole
        // address (%EMAILADDRESS%, the lab's user names) and the password as typed, inside TLS.
        var provider = new XElement("emailProvider", new XAttribute("id", domain),
            site.Domains.Select(d => new XElement("domain", LabNames.NormalizeDomain(d))),
            new XElement("displayName", $"MailLab {site.Name} ({domain}), lab {directory.LabName}"),
            new XElement("displayShortName", site.Name),
            directory.ServersOf(site, domain, host).OrderBy(s => s.Incoming ? 0 : 1).Select(s =>
                new XElement(s.Incoming ? "incomingServer" : "outgoingServer", new XAttribute("type", s.Type),
                    new XElement("hostname", s.HostName),
                    new XElement("port", s.Port),
                    new XElement("socketType", s.SocketType),
                    new XElement("username", "%EMAILADDRESS%"),
                    new XElement("authentication", "password-cleartext"))));
        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement("clientConfig", new XAttribute("version", "1.1"), provider));
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            document.Save(writer);
        }
        return buffer.ToArray();
    }
}
