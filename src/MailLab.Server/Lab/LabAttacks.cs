using MailLab.Protocols.Dns;

namespace MailLab.Server.Lab;

/// <summary>
/// Where the attackers the lab plays act (lab key <c>attacks:</c>). Each is off until its switch turns it on;
/// the defaults fit the default lab.
/// </summary>
public sealed class LabAttacks
{
    /// <summary>The DNS forger of the <c>spoof-dns</c> switch.</summary>
    public DnsSpoofAttack SpoofDns { get; init; } = new();

    /// <summary>Where the <c>strip-starttls</c> man in the middle sits.</summary>
    public StripStarttlsAttack StripStarttls { get; init; } = new();
}

/// <summary>
/// The <c>spoof-dns</c> attack (key <c>attacks: spoof-dns:</c>): the <see cref="Attacker"/> site puts a DNS
/// forwarder on the path between the <see cref="Victim"/> site's mail resolver and the lab DNS. It passes
/// every question on and every answer back, except that it answers the names and types of <see cref="Forge"/>
/// with those records. The attacker's MTA then takes the mail a forged MX brings and puts it in
/// <see cref="Capture"/>'s mailbox.
/// </summary>
public sealed class DnsSpoofAttack
{
    /// <summary>The forged answers of the default lab: bank.test's mail goes to evil's MTA.</summary>
    public static IReadOnlyList<string> DefaultForge { get; } = ["bank.test. 300 IN MX 10 mx.evil.test."];

    /// <summary>The site whose mail resolver is poisoned.</summary>
    public string Victim { get; init; } = "uc";

    /// <summary>The site that runs the forger (on its own address) and takes the mail.</summary>
    public string Attacker { get; init; } = "evil";

    /// <summary>The forged records, in zone-file syntax (absolute names), as the lab file gives them.</summary>
    public IReadOnlyList<string> Forge { get; init; } = DefaultForge;

    /// <summary>The forged records, parsed.</summary>
    public IReadOnlyList<DnsRecord> ForgedRecords { get; init; } = Parse(DefaultForge);

    /// <summary>The forger's port on the attacker site's address (UDP and TCP), so a student can <c>dig</c> it; 0 = any free port (tests).</summary>
    public int Port { get; init; } = 1053;

    /// <summary>The attacker site's mailbox that receives the mail the forged MX records bring.</summary>
    public string Capture { get; init; } = "mallory@evil.test";

    /// <summary>The domains whose mail the forged MX records send to the attacker.</summary>
    public IReadOnlyList<string> CapturedDomains => ForgedRecords.Where(r => r.Type == DnsType.MX).Select(r => r.Name).Distinct().ToList();

    /// <summary>Parses record lines (zone-file syntax, absolute names); throws on a bad line (the reader checks first).</summary>
    public static IReadOnlyList<DnsRecord> Parse(IEnumerable<string> lines)
    {
        var parsed = ZoneFileParser.ParseRecords(string.Join("\n", lines), "attacks.spoof-dns.forge", "");
        if (parsed.Errors.Count > 0) throw new ArgumentException(parsed.Errors[0].ToString(), nameof(lines));
        return parsed.Records;
    }
}

/// <summary>
/// The <c>strip-starttls</c> attack (lab key <c>attacks: strip-starttls:</c>): a man in the middle on the
/// route from the victim site's relay to the target site's MTA. The defaults work in the default lab.
/// </summary>
public sealed class StripStarttlsAttack
{
    /// <summary>The default attacker address: a loopback address of its own, no site's.</summary>
    public const string DefaultAddress = "127.0.6.1";

    /// <summary>The sending site whose route to the target is bent through the attacker.</summary>
    public string Victim { get; init; } = "uc";

    /// <summary>The site whose MTA the attacker intercepts.</summary>
    public string Target { get; init; } = "bank";

    /// <summary>The attacker's own loopback address; it listens there on the target's MTA port.</summary>
    public string Address { get; init; } = DefaultAddress;
}
