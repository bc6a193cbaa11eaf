using System.Net;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

// The sites: names, domains, ports, users, and the rules that span sites (nothing claimed twice).
internal sealed partial class LabDefinitionReader
{
    private SiteDefinition? ReadSite(YamlNode node, string path)
    {
        FieldMap? map = f.Map(node, path, SiteKeys);
        if (map is null)
        {
            return null;
        }

        string? name = null;
        if (map.Required("name") is { } nameNode && f.String(nameNode, map.Path("name")) is { } nameText)
        {
            if (!LabNames.IsSiteName(nameText))
            {
                f.Error(nameNode, map.Path("name"), $"'{nameText}' is not a valid site name (letters, digits, '.', '_' and '-', starting with a letter or digit)");
            }
            else if (Claim(_siteNames, nameText, map.Path("name"), nameNode, "site name"))
            {
                name = nameText;
            }
        }

        List<string>? domains = ReadNames(map, "domains", claimAcrossSites: true);
        List<string>? hostNames = ReadNames(map, "host-names", claimAcrossSites: false);

        string? address = null;
        IPAddress? ip = null;
        if (map.Required("address") is { } addressNode && f.String(addressNode, map.Path("address")) is { } addressText)
        {
            if (LabNames.TryParseIp(addressText, out IPAddress parsed))
            {
                (address, ip) = (addressText, parsed);
            }
            else
            {
                f.Error(addressNode, map.Path("address"), $"'{addressText}' is not an IP address");
            }
        }

        SitePorts? ports = map.Required("ports") is { } portsNode ? ReadPorts(portsNode, map.Path("ports"), ip) : null;
        SitePublished? published = map.Optional("published") is { } publishedNode ? ReadPublished(publishedNode, map.Path("published"), ports) : null;

        var users = new List<UserDefinition>();
        if (map.Optional("users") is { } usersNode && f.Sequence(usersNode, map.Path("users")) is { } items)
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (ReadUser(items[i], $"{map.Path("users")}[{i}]", domains) is { } user)
                {
                    users.Add(user);
                }
            }
        }

        if (name is null || domains is null || hostNames is null || address is null || ports is null)
        {
            return null;
        }

        return new SiteDefinition { Name = name, Domains = domains, HostNames = hostNames, Address = address, Ports = ports, Published = published, Users = users };
    }

    /// <summary>A required, non-empty list of DNS names, normalised; duplicates are errors.</summary>
    private List<string>? ReadNames(FieldMap map, string key, bool claimAcrossSites)
    {
        if (map.Required(key) is not { } node || f.StringList(node, map.Path(key), nonEmpty: true) is not { } items)
        {
            return null;
        }

        var result = new List<string>();
        bool ok = true;
        foreach ((YamlNode itemNode, string text, string field) in items)
        {
            string normalized = LabNames.NormalizeDomain(text);
            if (!LabNames.IsDnsName(normalized))
            {
                f.Error(itemNode, field, $"'{text}' is not a valid DNS name");
                ok = false;
            }
            else if (result.Contains(normalized, StringComparer.OrdinalIgnoreCase))
            {
                f.Error(itemNode, field, $"'{normalized}' is listed twice");
                ok = false;
            }
            else if (claimAcrossSites && !Claim(_domains, normalized, field, itemNode, "domain"))
            {
                ok = false;
            }
            else
            {
                result.Add(normalized);
            }
        }

        return ok ? result : null;
    }

    private SitePorts? ReadPorts(YamlNode node, string path, IPAddress? address)
    {
        FieldMap? map = f.Map(node, path, PortKeys);
        if (map is null)
        {
            return null;
        }

        int? Port(string key, bool required = true)
        {
            if ((required ? map.Required(key) : map.Optional(key)) is not { } v || f.Integer(v, map.Path(key)) is not { } port)
            {
                return null;
            }

            if (port is < 0 or > 65535)
            {
                f.Error(v, map.Path(key), $"port {port} is out of range (use 1..65535, or 0 for an ephemeral port)");
                return null;
            }

            if (address is not null && port != 0)
            {
                ClaimEndpoint(address, (int)port, map.Path(key), v);
            }

            return (int)port;
        }

        int? mta = Port("mta");
        int? submission = Port("submission");
        int? submissions = Port("submissions");
        // The mailbox-access listeners are optional: a site without the key does not serve that protocol.
        int? pop3 = Port("pop3", required: false), pop3s = Port("pop3s", required: false);
        int? imap = Port("imap", required: false), imaps = Port("imaps", required: false);
        return mta is null || submission is null || submissions is null
            ? null
            : new SitePorts
            {
                Mta = mta.Value, Submission = submission.Value, Submissions = submissions.Value,
                Pop3 = pop3, Pop3s = pop3s, Imap = imap, Imaps = imaps,
            };
    }

    private UserDefinition? ReadUser(YamlNode node, string path, List<string>? siteDomains)
    {
        FieldMap? map = f.Map(node, path, UserKeys);
        if (map is null)
        {
            return null;
        }

        string? address = null;
        if (map.Required("address") is { } addressNode && f.String(addressNode, map.Path("address")) is { } text)
        {
            int at = text.LastIndexOf('@');
            string local = at > 0 ? text[..at] : "";
            string domain = at > 0 ? LabNames.NormalizeDomain(text[(at + 1)..]) : "";
            if (!LabNames.IsDotAtom(local) || !LabNames.IsDnsName(domain))
            {
                f.Error(addressNode, map.Path("address"), $"'{text}' is not a mailbox address like alice@uc.test");
            }
            else if (siteDomains is not null && !siteDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
            {
                f.Error(addressNode, map.Path("address"), $"domain '{domain}' is not one of this site's domains ({string.Join(", ", siteDomains)})");
            }
            else if (Claim(_users, $"{local}@{domain}", map.Path("address"), addressNode, "user"))
            {
                address = $"{local}@{domain}";
            }
        }

        string? password = map.Required("password") is { } passwordNode ? f.String(passwordNode, map.Path("password")) : null;
        return address is null || password is null ? null : new UserDefinition { Address = address, Password = password };
    }

    /// <summary>Records the first use of a unique value; a second use is an error that names the first.</summary>
    private bool Claim(Dictionary<string, string> seen, string value, string field, YamlNode node, string what)
    {
        if (seen.TryGetValue(value, out string? first))
        {
            f.Error(node, field, $"{what} '{value}' is already used at {first}");
            return false;
        }

        seen[value] = field;
        return true;
    }

    /// <summary>Two listeners cannot bind one address:port; a wildcard address (0.0.0.0, ::) clashes with every address.</summary>
    private void ClaimEndpoint(IPAddress address, int port, string field, YamlNode node)
    {
        foreach ((IPAddress other, int otherPort, string otherField) in _endpoints)
        {
            bool sameAddress = other.Equals(address) || IsWildcard(other) || IsWildcard(address);
            if (otherPort == port && sameAddress)
            {
                f.Error(node, field, $"{FormatEndpoint(address, port)} is already used at {otherField}");
                return;
            }
        }

        _endpoints.Add((address, port, field));
    }

    private static bool IsWildcard(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    private static string FormatEndpoint(IPAddress a, int port) =>
        a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]:{port}" : $"{a}:{port}";
}
