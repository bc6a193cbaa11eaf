namespace MailLab.Server;

/// <summary>The dashboard part of <see cref="LabRuntime"/>.</summary>
public sealed partial class LabRuntime
{
    /// <summary>The dashboard (pages, JSON API, live trace); it runs beside the lab DNS and web service, so null when they run elsewhere.</summary>
    public Dashboard.DashboardServer? Dashboard { get; private init; }
}
