using System.Net;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

// The lab-wide sections: limits, relay, dns and dmarc, and the duration and number rules they share.
internal sealed partial class LabDefinitionReader
{
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

        var relay = new RelaySettings { RelayPort = port, RetryIntervals = intervals, QueueLifetime = lifetime };
        return ReadRelayTls(map, relay);
    }

    // Issue 16 part 4: the TLSA usage the lab publishes.
    private RelaySettings ReadRelayTls(FieldMap map, RelaySettings relay)
    {
        bool daneTa = relay.TlsaDaneTa;
        if (map.Optional("tlsa-usage") is { } uNode && f.String(uNode, map.Path("tlsa-usage")) is { } u)
        {
            if (u is "dane-ee" or "dane-ta") daneTa = u == "dane-ta";
            else f.Error(uNode, map.Path("tlsa-usage"), $"'{u}' is not dane-ee (3 1 1, the MTA's key) or dane-ta (2 1 1, the lab CA's key)");
        }
        TimeSpan tlsReports = relay.TlsReportInterval;
        if (map.Optional("tls-report-interval") is { } tNode && f.String(tNode, map.Path("tls-report-interval")) is { } tText
            && ParseDuration(tNode, map.Path("tls-report-interval"), tText) is { } t)
        {
            tlsReports = t;
        }
        return new RelaySettings
        {
            RelayPort = relay.RelayPort, RetryIntervals = relay.RetryIntervals, QueueLifetime = relay.QueueLifetime,
            TlsaDaneTa = daneTa, TlsReportInterval = tlsReports,
        };
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

        (string address, int port) = ReadEndpoint(node, map, defaults.Address, defaults.Port);
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

        var dnssec = map.Optional("dnssec") is { } dnssecNode ? ReadDnssec(dnssecNode, map.Path("dnssec")) : new LabDnssec();
        return new LabDns { Address = address, Port = port, Zones = zones, RateLimit = rateLimit, Dnssec = dnssec };
    }

    /// <summary>The <c>dns.dnssec</c> section: <c>algorithm: 13 | 8</c> and <c>unsigned: [zone, ...]</c>.</summary>
    private LabDnssec ReadDnssec(YamlNode node, string path)
    {
        var defaults = new LabDnssec();
        FieldMap? map = f.Map(node, path, DnssecKeys);
        if (map is null) return defaults;
        byte algorithm = defaults.Algorithm;
        if (map.Optional("algorithm") is { } algNode && f.Integer(algNode, map.Path("algorithm")) is { } alg)
        {
            if (alg is not (8 or 13)) f.Error(algNode, map.Path("algorithm"), $"must be 13 (ECDSAP256SHA256) or 8 (RSASHA256), not {alg}");
            else algorithm = (byte)alg;
        }
        var unsignedZones = new List<string>();
        if (map.Optional("unsigned") is { } listNode && f.StringList(listNode, map.Path("unsigned"), nonEmpty: false) is { } items)
        {
            foreach (var (itemNode, value, field) in items)
            {
                string zone = value.TrimEnd('.').ToLowerInvariant();
                if (!Protocols.Dns.DnsNames.CanExist(zone)) f.Error(itemNode, field, $"'{value}' is not a zone name");
                else if (zone == "test") f.Error(itemNode, field, "test. is the lab's root zone and the trust anchor; it is always signed");
                else unsignedZones.Add(zone);
            }
        }
        return new LabDnssec { Algorithm = algorithm, Unsigned = unsignedZones };
    }

    private LabWeb ReadWeb(YamlNode node)
    {
        var defaults = new LabWeb();
        FieldMap? map = f.Map(node, "web", WebKeys);
        if (map is null)
        {
            return defaults;
        }

        (string address, int port) = ReadEndpoint(node, map, defaults.Address, defaults.Port);
        return new LabWeb { Address = address, Port = port, HttpsPort = ReadHttpsPort(map, address, port) };
    }

    // Issue 16 part 4: the MTA-STS policy host's HTTPS port. Default 11443, or 0 when port is 0 (a test lab).
    private int ReadHttpsPort(FieldMap map, string address, int port)
    {
        int https = port == 0 ? 0 : LabWeb.DefaultHttpsPort;
        if (map.Optional("https-port") is { } node && f.Integer(node, map.Path("https-port")) is { } p)
        {
            if (p is < 0 or > 65535)
            {
                f.Error(node, map.Path("https-port"), $"port {p} is out of range (use 1..65535, or 0 for an ephemeral port)");
            }
            else if (p != 0 && p == port)
            {
                f.Error(node, map.Path("https-port"), $"port {p} is the web service's HTTP port too");
            }
            else
            {
                https = (int)p;
            }
        }
        if (https != 0 && LabNames.TryParseIp(address, out IPAddress ip))
        {
            ClaimEndpoint(ip, https, map.Path("https-port"), map.Optional("https-port") ?? map.Optional("address") ?? map.Optional("port")!);
        }
        return https;
    }

    /// <summary>A lab service's address and port (dns:, web:), claimed so a clash with any other listener is an error here.</summary>
    private (string Address, int Port) ReadEndpoint(YamlNode node, FieldMap map, string defaultAddress, int defaultPort)
    {
        string address = defaultAddress;
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

        int port = defaultPort;
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
            // For the DNS, UDP and TCP share the port; TCP is what clashes with the other listeners.
            ClaimEndpoint(ip, port, map.Path(map.Optional("port") is null ? "address" : "port"), map.Optional("port") ?? map.Optional("address") ?? node);
        }

        return (address, port);
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
}
