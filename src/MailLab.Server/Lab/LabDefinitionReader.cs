using System.Net;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

/// <summary>
/// Turns the YAML node tree of a lab file into a <see cref="LabDefinition"/>, checking each field and the
/// rules that span sites (unique names, domains, users and address:port pairs). Problems go to
/// <see cref="YamlFields.Errors"/>; the result is only meaningful when there are none.
/// </summary>
internal sealed partial class LabDefinitionReader(YamlFields f)
{
    private static readonly string[] RootKeys = ["name", "switches", "limits", "relay", "dns", "web", "dashboard", "dmarc", "attacks", "sites"];
    private static readonly string[] DmarcKeys = ["mode", "public-suffixes", "report-interval"];
    private static readonly string[] DnsKeys = ["address", "port", "zones", "rate-limit", "dnssec"];
    private static readonly string[] DnssecKeys = ["algorithm", "unsigned"];
    private static readonly string[] WebKeys = ["address", "port", "https-port"];
    private static readonly string[] SwitchKeys = [.. LabSwitches.Names];
    private static readonly string[] LimitKeys =
        ["max-recipients", "max-message-size", "max-connections-per-client", "max-connections", "command-timeout", "session-timeout", "max-auth-failures",
         "auth-failure-delay", "pop3-idle-timeout",
         "imap-idle-timeout", "imap-connections-per-user"];
    private static readonly string[] RelayKeys = ["relay-port", "retry-intervals", "queue-lifetime", "tlsa-usage", "tls-report-interval"];
    private static readonly string[] SiteKeys = ["name", "domains", "host-names", "address", "ports", "published", "users"];
    private static readonly string[] PortKeys = ["mta", "submission", "submissions", "pop3", "pop3s", "imap", "imaps"];
    private static readonly string[] UserKeys = ["address", "password"];

    // First use of each value that must be unique in the lab, with the field that used it.
    private readonly Dictionary<string, string> _siteNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(IPAddress Address, int Port, string Field)> _endpoints = [];

    public LabDefinition? Read(YamlNode root, string sourceName)
    {
        FieldMap? map = f.Map(root, "", RootKeys);
        if (map is null)
        {
            return null;
        }

        string? name = map.Required("name") is { } nameNode ? f.String(nameNode, "name") : null;
        LabSwitches switches = map.Optional("switches") is { } s ? ReadSwitches(s) : new LabSwitches();
        LabLimits limits = map.Optional("limits") is { } l ? ReadLimits(l) : new LabLimits();
        RelaySettings relay = map.Optional("relay") is { } r ? ReadRelay(r) : new RelaySettings();
        DmarcSettings dmarc = map.Optional("dmarc") is { } dm ? ReadDmarc(dm) : new DmarcSettings();

        var sites = new List<SiteDefinition>();
        YamlNode? dnsNode = map.Optional("dns");
        YamlNode? webNode = map.Optional("web");
        if (map.Required("sites") is { } sitesNode && f.Sequence(sitesNode, "sites") is { } items)
        {
            if (items.Count == 0)
            {
                f.Error(sitesNode, "sites", "must list at least one site");
            }

            for (int i = 0; i < items.Count; i++)
            {
                if (ReadSite(items[i], $"sites[{i}]") is { } site)
                {
                    sites.Add(site);
                }
            }
        }

        // Read after the sites, so a DNS port that clashes with a site listener is reported at the dns field.
        LabDns dns = dnsNode is not null ? ReadDns(dnsNode) : new LabDns();
        LabWeb web = webNode is not null ? ReadWeb(webNode) : new LabWeb();
        LabDashboard dashboard = map.Optional("dashboard") is { } dashNode ? ReadDashboard(dashNode, web) : new LabDashboard();
        LabAttacks attacks = ReadAttacks(map.Optional("attacks"), root, sites, switches);

        return name is null ? null : new LabDefinition
        {
            Name = name,
            Sites = sites,
            Switches = switches,
            Limits = limits,
            Relay = relay,
            Dns = dns,
            Web = web,
            Dashboard = dashboard,
            Dmarc = dmarc,
            Attacks = attacks,
            SourceFile = sourceName,
        };
    }

    private LabSwitches ReadSwitches(YamlNode node)
    {
        FieldMap? map = f.Map(node, "switches", SwitchKeys);
        var switches = new LabSwitches();
        foreach (string key in SwitchKeys)
        {
            if (map?.Optional(key) is { } v && f.Bool(v, map.Path(key)) == true)
            {
                switches = switches.With(key, true);
            }
        }
        return switches;
    }

    /// <summary>The lab switch keys, for files that name switches (an exercise's <c>lab-switches</c>).</summary>
    internal static IReadOnlyList<string> KnownSwitches => SwitchKeys;
}
