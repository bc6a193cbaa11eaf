namespace MailLab.Server.Trace;

/// <summary>
/// The values of <see cref="TraceEvent.Origin"/>: what in the lab itself caused an event. A closed list,
/// documented in docs/events.md §1; exercises never count such an event as a student's act.
/// </summary>
internal static class LabOrigin
{
    /// <summary>Start-up, listeners, zones and keys loaded, shutdown: the host's own events.</summary>
    public const string Host = "host";

    /// <summary>A question the lab's own resolver asked the lab DNS (SPF, DKIM, DMARC, MX, report addresses).</summary>
    public const string Resolver = "resolver";

    /// <summary>The queue and the outbound relay, and the receiving MTA's session that the relay opened.</summary>
    public const string Relay = "relay";

    /// <summary>A DMARC report the lab composed and sent (aggregate or failure).</summary>
    public const string Report = "report";

    /// <summary>A bounce (DSN) the queue composed and delivered.</summary>
    public const string Dsn = "dsn";

    /// <summary>
    /// The lab's own attackers, turned on by a switch (<c>spoof-dns</c>, <c>strip-starttls</c>): a forged DNS
    /// answer, a stripped EHLO. The lab plays them; a student who turns one on did not do what they do.
    /// </summary>
    public const string Attack = "attack";

    /// <summary>Every value, in the order docs/events.md lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Host, Resolver, Relay, Report, Dsn, Attack];
}
