using System.Net;
using MailLab.Protocols.Dns;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

internal sealed partial class LabDefinitionReader
{
    private static readonly string[] AttackKeys = ["spoof-dns", "strip-starttls"];
    private static readonly string[] StripStarttlsKeys = ["victim", "target", "address"];
    private static readonly string[] SpoofDnsKeys = ["victim", "attacker", "forge", "capture", "port"];

    /// <summary>The <c>attacks:</c> section (read after the sites, whose names and users it refers to).</summary>
    private LabAttacks ReadAttacks(YamlNode? node, YamlNode root, IReadOnlyList<SiteDefinition> sites, LabSwitches switches)
    {
        FieldMap? map = node is null ? null : f.Map(node, "attacks", AttackKeys);
        var spoof = map?.Optional("spoof-dns") is { } s ? ReadSpoofDns(s, sites) : new DnsSpoofAttack();
        // The defaults name the default lab's sites: a lab without them that turns the switch on must say where.
        if (map?.Optional("spoof-dns") is null && switches.SpoofDns && CheckSpoofSites(spoof, sites) is { } problem)
        {
            f.Error(node ?? root, "attacks.spoof-dns", $"the spoof-dns switch is on, and the default attack does not fit this lab: {problem}");
        }
        return new LabAttacks { SpoofDns = spoof, StripStarttls = ReadStripStarttls(root, map, sites, switches) };
    }

    private DnsSpoofAttack ReadSpoofDns(YamlNode node, IReadOnlyList<SiteDefinition> sites)
    {
        var defaults = new DnsSpoofAttack();
        FieldMap? map = f.Map(node, "attacks.spoof-dns", SpoofDnsKeys);
        if (map is null) return defaults;
        string victim = map.Optional("victim") is { } v && f.String(v, map.Path("victim")) is { } vs ? vs : defaults.Victim;
        string attacker = map.Optional("attacker") is { } a && f.String(a, map.Path("attacker")) is { } av ? av : defaults.Attacker;
        string capture = map.Optional("capture") is { } c && f.String(c, map.Path("capture")) is { } cv ? cv : defaults.Capture;
        int port = defaults.Port;
        if (map.Optional("port") is { } portNode && f.Integer(portNode, map.Path("port")) is { } p)
        {
            if (p is < 0 or > 65535) f.Error(portNode, map.Path("port"), $"port {p} is out of range (use 1..65535, or 0 for an ephemeral port)");
            else port = (int)p;
        }
        IReadOnlyList<string> forge = defaults.Forge;
        IReadOnlyList<DnsRecord> records = defaults.ForgedRecords;
        if (map.Optional("forge") is { } forgeNode && f.StringList(forgeNode, map.Path("forge"), nonEmpty: true) is { } lines)
        {
            var parsed = ZoneFileParser.ParseRecords(string.Join("\n", lines.Select(l => l.Value)), "forge", "");
            foreach (var e in parsed.Errors)
            {
                var at = lines[Math.Clamp(e.Line - 1, 0, lines.Count - 1)];
                f.Error(at.Node, at.Field, $"not a record in zone-file syntax (name TTL IN TYPE data, absolute names): {e.Problem}");
            }
            forge = lines.Select(l => l.Value).ToList();
            records = parsed.Records;
        }
        var attack = new DnsSpoofAttack { Victim = victim, Attacker = attacker, Capture = capture, Forge = forge, ForgedRecords = records, Port = port };
        if (CheckSpoofSites(attack, sites) is { } problem) f.Error(node, "attacks.spoof-dns", problem);
        return attack;
    }

    /// <summary>What is wrong with the attack's sites and mailbox in this lab, or null.</summary>
    private static string? CheckSpoofSites(DnsSpoofAttack a, IReadOnlyList<SiteDefinition> sites)
    {
        var victim = sites.FirstOrDefault(s => s.Name.Equals(a.Victim, StringComparison.OrdinalIgnoreCase));
        var attacker = sites.FirstOrDefault(s => s.Name.Equals(a.Attacker, StringComparison.OrdinalIgnoreCase));
        string names = string.Join(", ", sites.Select(s => s.Name));
        if (victim is null) return $"victim '{a.Victim}' is not a site of this lab ({names})";
        if (attacker is null) return $"attacker '{a.Attacker}' is not a site of this lab ({names})";
        if (victim == attacker) return "the victim and the attacker are the same site";
        if (!attacker.Users.Any(u => u.Address.Equals(a.Capture, StringComparison.OrdinalIgnoreCase)))
        {
            return $"capture '{a.Capture}' is not a user of the attacker site '{attacker.Name}'";
        }
        return null;
    }

    /// <summary>
    /// Reads <c>attacks: strip-starttls:</c>. Its settings are checked when given, and also when the switch is
    /// on without them (the defaults then have to fit this lab's sites).
    /// </summary>
    private StripStarttlsAttack ReadStripStarttls(YamlNode root, FieldMap? map, IReadOnlyList<SiteDefinition> sites, LabSwitches switches)
    {
        YamlNode? stripNode = map?.Optional("strip-starttls");
        var strip = new StripStarttlsAttack();
        FieldMap? m = stripNode is null ? null : f.Map(stripNode, "attacks.strip-starttls", StripStarttlsKeys);
        if (m is not null)
        {
            string Text(string key, string fallback) =>
                m.Optional(key) is { } v && f.String(v, m.Path(key)) is { } t ? t : fallback;
            strip = new StripStarttlsAttack
            {
                Victim = Text("victim", strip.Victim),
                Target = Text("target", strip.Target),
                Address = Text("address", strip.Address),
            };
        }
        if (m is null && !switches.StripStarttls)
        {
            return strip;
        }

        YamlNode At(string key) => m?.Optional(key) ?? stripNode ?? root;
        string field = "attacks.strip-starttls";
        SiteDefinition? Site(string key, string name)
        {
            var site = sites.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
            if (site is null)
            {
                f.Error(At(key), $"{field}.{key}", $"'{name}' is not a site of this lab (sites: {string.Join(", ", sites.Select(s => s.Name))})");
            }
            return site;
        }
        var victim = Site("victim", strip.Victim);
        var target = Site("target", strip.Target);
        if (victim is not null && target is not null && victim == target)
        {
            f.Error(At("target"), $"{field}.target", "must be another site than the victim: the attacker sits between two sites");
        }
        if (!LabNames.TryParseIp(strip.Address, out IPAddress address))
        {
            f.Error(At("address"), $"{field}.address", $"'{strip.Address}' is not an IP address");
        }
        else if (sites.FirstOrDefault(s => LabNames.TryParseIp(s.Address, out var a) && a.Equals(address)) is { } owner)
        {
            // The attacker is a host of its own on the path, not one of the sites.
            f.Error(At("address"), $"{field}.address", $"{strip.Address} is site {owner.Name}'s address; the attacker needs an address of its own");
        }
        return strip;
    }
}
