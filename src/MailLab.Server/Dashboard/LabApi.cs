using MailLab.Server.Listeners;

namespace MailLab.Server.Dashboard;

/// <summary><c>/api/lab</c>: what the running lab is made of, as the Lab page shows it.</summary>
internal static class LabApi
{
    /// <summary>
    /// A listener: where it is bound, its TLS mode (<c>none</c>, <c>starttls</c>, <c>implicit</c>), its health now
    /// (<c>listening</c>, <c>not probed</c> for the web services, else what is wrong) and its open sessions where counted.
    /// </summary>
    public sealed record Listener(string Role, string Address, int Port, string Tls, string Status, int? Sessions);

    /// <summary>A site: its domains, host names, address, listeners and users (addresses only, never passwords).</summary>
    public sealed record Site(string Name, IReadOnlyList<string> Domains, IReadOnlyList<string> HostNames, string Address,
        IReadOnlyList<Listener> Listeners, IReadOnlyList<string> Users);

    /// <summary>A DNS zone the lab serves.</summary>
    public sealed record Zone(string Origin, string Site, int Records, bool Signed);

    /// <summary>
    /// The answer of <c>/api/lab</c>; <c>Services</c> are the lab's own listeners (DNS, web, dashboard, attackers),
    /// <c>Viewer</c> who asked (<c>open (loopback)</c>, <c>instructor</c> or the student's address).
    /// </summary>
    public sealed record Summary(string Name, string? Source, string DataDirectory, IReadOnlyList<Site> Sites, IReadOnlyList<Listener> Services,
        IReadOnlyList<string> SwitchesOn, IReadOnlyList<Zone> Zones, bool SignInRequired, string Viewer);

    public static Summary Build(DashboardContext context, DashboardViewer viewer)
    {
        var lab = context.Lab;
        var listeners = lab.Listeners();
        var running = lab.RunningSites;
        var sites = lab.Definition.Sites.Select(s => new Site(s.Name, s.Domains, s.HostNames, s.Address,
            listeners.Where(l => l.Site == s.Name).Select(l => Of(l, lab)).ToList(),
            s.Users.Select(u => u.Address).Where(a => viewer.SeesAll || a.Equals(viewer.Student, StringComparison.OrdinalIgnoreCase)).ToList())).ToList();
        var services = listeners.Where(l => !running.Contains(l.Site)).Select(l => Of(l, lab) with { Role = l.Site == "lab" ? l.Role : $"{l.Site} {l.Role}" }).ToList();
        var zones = lab.Zones?.Current.Zones.OrderBy(z => z.Origin, StringComparer.Ordinal)
            .Select(z => new Zone(z.Origin, z.Site, z.Records.Count, z.Dnssec is not null)).ToList() ?? [];
        // The data directory is a path on the lab's machine: only the instructor (or the laptop's owner) needs it.
        return new Summary(lab.Definition.Name, viewer.SeesAll ? lab.Definition.SourceFile : null, viewer.SeesAll ? lab.DataDirectory : "",
            sites, services, lab.Definition.Switches.On, zones, context.SignInRequired, viewer.Name);
    }

    // The mail listeners and the DNS report their socket and loop; the web services run in ASP.NET Core, and this
    // dashboard's own answer shows that one is up.
    private static Listener Of(ListenerInfo l, DashboardLab lab) =>
        lab.Health?.Invoke(l) is { } h ? new(l.Role, l.Address, l.Port, l.Tls, h.Status, h.Sessions)
        : new(l.Role, l.Address, l.Port, l.Tls, l.Role == "DASHBOARD" ? "listening" : "not probed", null);
}
