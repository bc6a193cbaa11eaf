using System.Net;
using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Attacks;

/// <summary>
/// The attackers the lab plays, as its switches turn them on: today the <c>spoof-dns</c> forger. Each runs only
/// where the sites it stands between and the lab DNS run (the embedded lab); the classroom's one-site
/// containers have none.
/// </summary>
internal sealed class LabAttackers : IAsyncDisposable
{
    private readonly DnsForger? forger;
    private readonly string? victim;

    private LabAttackers(DnsForger? forger, string? victim)
    {
        this.forger = forger;
        this.victim = victim;
    }

    /// <summary>No attacker.</summary>
    public static LabAttackers None { get; } = new(null, null);

    /// <summary>The attackers' listeners (role ATTACKER), for listeners.json and the banner.</summary>
    public IEnumerable<ListenerInfo> Listeners => forger is null ? [] : [forger.Info];

    /// <summary>
    /// The attackers the switches of <paramref name="lab"/> turn on, bound (not started). <paramref name="dns"/>:
    /// the lab DNS of this process, or null when it runs elsewhere (then no forger).
    /// </summary>
    public static LabAttackers Bind(LabDefinition lab, IReadOnlyList<LabSite> sites, LabDnsServer? dns, Tracer tracer)
    {
        var spoof = lab.Attacks.SpoofDns;
        var attacker = sites.FirstOrDefault(s => s.Name == spoof.Attacker);
        if (!lab.Switches.SpoofDns || dns is null || attacker is null || sites.All(s => s.Name != spoof.Victim)) return None;
        var forger = new DnsForger(attacker.Name, attacker.Definition.Address, spoof.Port, spoof.Victim, dns.EndPoint, spoof.ForgedRecords, tracer);
        forger.Bind();
        return new LabAttackers(forger, spoof.Victim);
    }

    /// <summary>
    /// The mail the <c>spoof-dns</c> attacker's MTA takes for others (the domains of the forged MX records), when
    /// <paramref name="site"/> is that attacker and the switch is on; else null.
    /// </summary>
    public static MailCapture? CaptureFor(LabDefinition lab, SiteDefinition site)
    {
        var spoof = lab.Attacks.SpoofDns;
        if (!lab.Switches.SpoofDns || site.Name != spoof.Attacker || spoof.CapturedDomains.Count == 0) return null;
        return new MailCapture(spoof.CapturedDomains, spoof.Capture);
    }

    /// <summary>Where <paramref name="site"/>'s mail resolver sends its questions when an attacker sits on its path; else null.</summary>
    public IPEndPoint? ResolverPathFor(string site) => forger is not null && site == victim ? forger.EndPoint : null;

    /// <summary>Starts them.</summary>
    public void Start() => forger?.Start();

    /// <summary>Stops them.</summary>
    public Task StopAsync() => forger?.StopAsync() ?? Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => forger?.DisposeAsync() ?? ValueTask.CompletedTask;
}
