using System.Net;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

/// <summary>
/// Turns the YAML node tree of a lab file into a <see cref="LabDefinition"/>, checking each field and the
/// rules that span sites (unique names, domains, users and address:port pairs). Problems go to
/// <see cref="YamlFields.Errors"/>; the result is only meaningful when there are none.
/// </summary>
internal sealed class LabDefinitionReader(YamlFields f)
{
    private static readonly string[] RootKeys = ["name", "switches", "limits", "relay", "dns", "dmarc", "sites"];
    private static readonly string[] DmarcKeys = ["mode", "public-suffixes", "report-interval"];
    private static readonly string[] DnsKeys = ["address", "port", "zones", "rate-limit"];
    private static readonly string[] SwitchKeys = [.. LabSwitches.Names];
    private static readonly string[] LimitKeys =
        ["max-recipients", "max-message-size", "max-connections-per-client", "max-connections", "command-timeout", "session-timeout", "max-auth-failures",
         "auth-failure-delay", "pop3-idle-timeout",
         "imap-idle-timeout", "imap-connections-per-user"];
    private static readonly string[] RelayKeys = ["relay-port", "retry-intervals", "queue-lifetime"];
    private static readonly string[] SiteKeys = ["name", "domains", "host-names", "address", "ports", "users"];
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

        return name is null ? null : new LabDefinition
        {
            Name = name,
            Sites = sites,
            Switches = switches,
            Limits = limits,
            Relay = relay,
            Dns = dns,
            Dmarc = dmarc,
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

    private DmarcSettings ReadDmarc(YamlNode node)
    {
        var defaults = new DmarcSettings();
        FieldMap? map = f.Map(node, "dmarc", DmarcKeys);
        if (map is null)
        {
            return defaults;
        }

        var mode = defaults.Mode;
        if (map.Optional("mode") is { } modeNode && f.String(modeNode, map.Path("mode")) is { } modeText)
        {
            switch (modeText.ToLowerInvariant())
            {
                case "rfc9989": mode = MailAuth.Dmarc.DmarcMode.Rfc9989; break;
                case "rfc7489": mode = MailAuth.Dmarc.DmarcMode.Rfc7489; break;
                default: f.Error(modeNode, map.Path("mode"), $"'{modeText}' is not a DMARC mode; use rfc9989 or rfc7489"); break;
            }
        }

        var suffixes = new List<string>();
        if (map.Optional("public-suffixes") is { } listNode && f.StringList(listNode, map.Path("public-suffixes"), nonEmpty: false) is { } items)
        {
            foreach ((YamlNode itemNode, string text, string field) in items)
            {
                if (LabNames.NormalizeDomain(text) is { Length: > 0 } d && !d.Contains(' '))
                {
                    suffixes.Add(d);
                }
                else
                {
                    f.Error(itemNode, field, $"'{text}' is not a domain name");
                }
            }
        }

        TimeSpan interval = defaults.ReportInterval;
        if (map.Optional("report-interval") is { } iNode && f.String(iNode, map.Path("report-interval")) is { } iText
            && ParseDuration(iNode, map.Path("report-interval"), iText) is { } i)
        {
            interval = i;
        }

        return new DmarcSettings { Mode = mode, PublicSuffixes = suffixes, ReportInterval = interval };
    }

    private LabLimits ReadLimits(YamlNode node)
    {
        var defaults = new LabLimits();
        FieldMap? map = f.Map(node, "limits", LimitKeys);
        if (map is null)
        {
            return defaults;
        }

        int Count(string key, int fallback) =>
            map.Optional(key) is { } v && Positive(v, map.Path(key), f.Integer(v, map.Path(key)), int.MaxValue) is { } n ? (int)n : fallback;

        TimeSpan Duration(string key, TimeSpan fallback)
        {
            if (map.Optional(key) is not { } v || f.String(v, map.Path(key)) is not { } text)
            {
                return fallback;
            }

            if (!LabUnits.TryParseDuration(text, out TimeSpan value))
            {
                f.Error(v, map.Path(key), text.StartsWith('-') ? "must be positive" : $"'{text}' is not a duration; use {LabUnits.DurationForms}");
            }
            else if (value <= TimeSpan.Zero)
            {
                f.Error(v, map.Path(key), "must be positive");
            }
            else
            {
                return value;
            }

            return fallback;
        }

        long size = defaults.MaxMessageSize;
        if (map.Optional("max-message-size") is { } sizeNode && f.String(sizeNode, map.Path("max-message-size")) is { } sizeText)
        {
            if (!LabUnits.TryParseSize(sizeText, out long parsed))
            {
                f.Error(sizeNode, map.Path("max-message-size"), sizeText.StartsWith('-') ? "must be positive" : $"'{sizeText}' is not a size; use {LabUnits.SizeForms}");
            }
            else if (Positive(sizeNode, map.Path("max-message-size"), parsed, long.MaxValue) is { } positive)
            {
                size = positive;
            }
        }

        return new LabLimits
        {
            MaxRecipients = Count("max-recipients", defaults.MaxRecipients),
            MaxMessageSize = size,
            MaxConnectionsPerClient = Count("max-connections-per-client", defaults.MaxConnectionsPerClient),
            MaxConnections = Count("max-connections", defaults.MaxConnections),
            CommandTimeout = Duration("command-timeout", defaults.CommandTimeout),
            SessionTimeout = Duration("session-timeout", defaults.SessionTimeout),
            MaxAuthFailures = Count("max-auth-failures", defaults.MaxAuthFailures),
            AuthFailureDelay = Duration("auth-failure-delay", defaults.AuthFailureDelay),
            Pop3IdleTimeout = Duration("pop3-idle-timeout", defaults.Pop3IdleTimeout),
            ImapIdleTimeout = ImapIdle(),
            ImapConnectionsPerUser = Count("imap-connections-per-user", defaults.ImapConnectionsPerUser),
        };

        // RFC 3501 §5.4: an inactivity autologout timer must be at least 30 minutes.
        TimeSpan ImapIdle()
        {
            var value = Duration("imap-idle-timeout", defaults.ImapIdleTimeout);
            if (value < TimeSpan.FromMinutes(30) && map.Optional("imap-idle-timeout") is { } v)
            {
                f.Error(v, map.Path("imap-idle-timeout"), "must be at least 30m (RFC 3501 5.4)");
                return defaults.ImapIdleTimeout;
            }
            return value;
        }
    }

    private RelaySettings ReadRelay(YamlNode node)
    {
        var defaults = new RelaySettings();
        FieldMap? map = f.Map(node, "relay", RelayKeys);
        if (map is null)
        {
            return defaults;
        }

        int port = defaults.RelayPort;
        if (map.Optional("relay-port") is { } portNode && f.Integer(portNode, map.Path("relay-port")) is { } p)
        {
            if (p is < 1 or > 65535)
            {
                f.Error(portNode, map.Path("relay-port"), $"port {p} is out of range (use 1..65535)");
            }
            else
            {
                port = (int)p;
            }
        }

        IReadOnlyList<TimeSpan> intervals = defaults.RetryIntervals;
        if (map.Optional("retry-intervals") is { } listNode && f.StringList(listNode, map.Path("retry-intervals"), nonEmpty: true) is { } items)
        {
            var parsed = new List<TimeSpan>();
            foreach ((YamlNode itemNode, string text, string field) in items)
            {
                if (ParseDuration(itemNode, field, text) is { } d)
                {
                    parsed.Add(d);
                }
            }

            if (parsed.Count == items.Count)
            {
                intervals = parsed;
            }
        }

        TimeSpan lifetime = defaults.QueueLifetime;
        if (map.Optional("queue-lifetime") is { } lifeNode && f.String(lifeNode, map.Path("queue-lifetime")) is { } lifeText
            && ParseDuration(lifeNode, map.Path("queue-lifetime"), lifeText) is { } life)
        {
            lifetime = life;
        }

        return new RelaySettings { RelayPort = port, RetryIntervals = intervals, QueueLifetime = lifetime };
    }

    private TimeSpan? ParseDuration(YamlNode node, string field, string text)
    {
        if (!LabUnits.TryParseDuration(text, out TimeSpan value))
        {
            f.Error(node, field, text.StartsWith('-') ? "must be positive" : $"'{text}' is not a duration; use {LabUnits.DurationForms}");
            return null;
        }

        if (value <= TimeSpan.Zero)
        {
            f.Error(node, field, "must be positive");
            return null;
        }

        return value;
    }

    private LabDns ReadDns(YamlNode node)
    {
        var defaults = new LabDns();
        FieldMap? map = f.Map(node, "dns", DnsKeys);
        if (map is null)
        {
            return defaults;
        }

        string address = defaults.Address;
        if (map.Optional("address") is { } addressNode && f.String(addressNode, map.Path("address")) is { } addressText)
        {
            if (LabNames.TryParseIp(addressText, out _))
            {
                address = addressText;
            }
            else
            {
                f.Error(addressNode, map.Path("address"), $"'{addressText}' is not an IP address");
            }
        }

        int port = defaults.Port;
        if (map.Optional("port") is { } portNode && f.Integer(portNode, map.Path("port")) is { } p)
        {
            if (p is < 0 or > 65535)
            {
                f.Error(portNode, map.Path("port"), $"port {p} is out of range (use 1..65535, or 0 for an ephemeral port)");
            }
            else
            {
                port = (int)p;
            }
        }

        if (port != 0 && LabNames.TryParseIp(address, out IPAddress ip))
        {
            // UDP and TCP share the port; TCP is what clashes with the SMTP listeners.
            ClaimEndpoint(ip, port, map.Path(map.Optional("port") is null ? "address" : "port"), map.Optional("port") ?? map.Optional("address") ?? node);
        }

        string zones = map.Optional("zones") is { } zonesNode && f.String(zonesNode, map.Path("zones")) is { } z ? z : defaults.Zones;

        int rateLimit = defaults.RateLimit;
        if (map.Optional("rate-limit") is { } rateNode && f.Integer(rateNode, map.Path("rate-limit")) is { } rate)
        {
            if (rate is < 0 or > 1_000_000)
            {
                f.Error(rateNode, map.Path("rate-limit"), $"must be 0 (off) or a number of responses per second per client up to 1000000, not {rate}");
            }
            else
            {
                rateLimit = (int)rate;
            }
        }

        return new LabDns { Address = address, Port = port, Zones = zones, RateLimit = rateLimit };
    }

    private long? Positive(YamlNode node, string field, long? value, long max)
    {
        if (value is null)
        {
            return null;
        }

        if (value <= 0 || value > max)
        {
            f.Error(node, field, value <= 0 ? "must be positive" : $"must be at most {max}");
            return null;
        }

        return value;
    }

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

        return new SiteDefinition { Name = name, Domains = domains, HostNames = hostNames, Address = address, Ports = ports, Users = users };
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

    /// <summary>The lab switch keys, for files that name switches (an exercise's <c>lab-switches</c>).</summary>
    internal static IReadOnlyList<string> KnownSwitches => SwitchKeys;
}
