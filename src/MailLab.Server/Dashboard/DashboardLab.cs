using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Store;

namespace MailLab.Server.Dashboard;

/// <summary>
/// What the dashboard reads of the running lab, handed over by <c>LabRuntime</c> (so this folder does not
/// depend on the runtime that starts it).
/// </summary>
/// <param name="Definition">The lab definition that runs.</param>
/// <param name="DataDirectory">The lab's data directory.</param>
/// <param name="Listeners">Every bound listener with its real port, read at request time.</param>
/// <param name="RunningSites">The sites this process runs (all unless <c>--only</c>).</param>
/// <param name="Zones">The lab DNS's zones; null when the DNS runs elsewhere.</param>
/// <param name="Store">The lab's message store (one process owns a root: a second instance would cache stale listings); null when no site runs here.</param>
internal sealed record DashboardLab(
    LabDefinition Definition,
    string DataDirectory,
    Func<IReadOnlyList<ListenerInfo>> Listeners,
    IReadOnlySet<string> RunningSites,
    ZoneStore? Zones,
    MessageStore? Store = null);
