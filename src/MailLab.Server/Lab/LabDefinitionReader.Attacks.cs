using System.Net;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

// The attacks: section: where the lab's attackers sit when their switch is on.
internal sealed partial class LabDefinitionReader
{
    private static readonly string[] AttackKeys = ["strip-starttls"];
    private static readonly string[] StripStarttlsKeys = ["victim", "target", "address"];

    /// <summary>
    /// Reads <c>attacks:</c>. The strip-starttls settings are checked when given, and also when the switch is
    /// on without them (the defaults then have to fit this lab's sites).
    /// </summary>
    private LabAttacks ReadAttacks(YamlNode root, YamlNode? node, IReadOnlyList<SiteDefinition> sites, LabSwitches switches)
    {
        FieldMap? map = node is null ? null : f.Map(node, "attacks", AttackKeys);
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
            return new LabAttacks { StripStarttls = strip };
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
        return new LabAttacks { StripStarttls = strip };
    }
}
