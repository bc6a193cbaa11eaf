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
/// <param name="Store">The message store of the running sites (the same instance the MDA, POP3 and IMAP use: one owner per root).</param>
/// <param name="Followed">Data directories of other <c>maillab up</c> processes this dashboard follows (<c>dashboard: follow:</c>).</param>
/// <param name="Health">A listener's health now, where it can be read without a connection (null: not read).</param>
internal sealed record DashboardLab(
    LabDefinition Definition,
    string DataDirectory,
    Func<IReadOnlyList<ListenerInfo>> Listeners,
    IReadOnlySet<string> RunningSites,
    ZoneStore? Zones,
    MessageStore Store,
    IReadOnlyList<string>? Followed = null,
    Func<ListenerInfo, ListenerHealth?>? Health = null)
{
    /// <summary>Read-only views of the followed processes' stores (<see cref="MessageStore.ReadOnlyView"/>), in <see cref="Followed"/> order.</summary>
    public IReadOnlyList<MessageStore> FollowedStores { get; } =
        (Followed ?? []).Select(d => MessageStore.ReadOnlyView(Path.Combine(d, "mail"))).ToList();

    /// <summary>The followed store with a directory for <paramref name="address"/>, or null.</summary>
    public MessageStore? StoreHolding(string address) =>
        FollowedStores.FirstOrDefault(s => MailboxNames.TryNormalizeAddress(address, out _, out _) && Directory.Exists(s.UserDirectory(address)));

    /// <summary>The followed processes' data directories (none when this dashboard follows nobody).</summary>
    public IReadOnlyList<string> FollowedDirectories => Followed ?? [];
}
