using System.Net;
using System.Text;
using MailLab.Server.Attacks;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server;

// The attackers the lab plays when their switch is on (issue 16 part 5: strip-starttls).
public sealed partial class LabRuntime
{
    /// <summary>The listener role of the lab's attackers (listeners.json, the banner).</summary>
    public const string AttackerRole = nameof(TraceRole.ATTACKER);

    /// <summary>
    /// With the <c>strip-starttls</c> switch on and the victim site run here: binds the man in the middle on
    /// its own address and bends the victim's route to the
    /// target's MTA through it. Null when the switch is off. The target's MTA must be bound already.
    /// </summary>
    private static TcpListenerHost? StartStripStarttls(LabDefinition lab, LabSelection only, IReadOnlyList<TcpListenerHost> hosts,
        LabRoutes routes, string dataDirectory, Tracer tracer, ConnectionLimiter limiter)
    {
        if (!lab.Switches.StripStarttls) return null;
        var attack = lab.Attacks.StripStarttls;
        var victim = lab.Sites.FirstOrDefault(s => s.Name.Equals(attack.Victim, StringComparison.OrdinalIgnoreCase));
        var target = lab.Sites.FirstOrDefault(s => s.Name.Equals(attack.Target, StringComparison.OrdinalIgnoreCase));
        var trace = tracer.ForLab(LabOrigin.Attack, "lab", TraceRole.ATTACKER);
        if (victim is null || target is null || victim == target || !IPAddress.TryParse(attack.Address, out var address))
        {
            throw new ListenerBindException("lab", AttackerRole, attack.Address,
                $"attacks: strip-starttls: victim '{attack.Victim}' and target '{attack.Target}' must be two sites of this lab, address an IP address");
        }
        // The route is bent in the victim's relay, so the attacker runs where the victim site does.
        if (!only.Includes(victim.Name)) return null;
        var mta = hosts.FirstOrDefault(h => h.Info.Role == MailLab.Server.Smtp.SmtpProfile.Mta.Name && h.Info.Site == target.Name)?.Info;
        var targetEnd = new IPEndPoint(target.IPAddress, mta?.Port ?? target.Ports.Mta);
        var log = new AttackTranscript(AttackTranscript.StripStarttlsPath(dataDirectory));
        var stripper = new StarttlsStripper(victim.IPAddress, targetEnd, log, trace)
        {
            IdleTimeout = lab.Limits.CommandTimeout,
            SessionTimeout = lab.Limits.SessionTimeout,
        };
        // It listens on the target's configured MTA port (2525 in the default lab; 0, a free port, in tests).
        var host = new TcpListenerHost(new ListenerInfo("lab", AttackerRole, attack.Address, target.Ports.Mta, "none"),
            (stream, remote, _, id, shutdown) => stripper.RunAsync(stream, remote, id, shutdown),
            // Whoever is refused sees what a failing MTA would say (RFC 5321 §3.8).
            reason => Encoding.ASCII.GetBytes($"421 4.7.0 {target.PrimaryHostName} Service not available: {reason}\r\n"),
            limiter, trace);
        BindOrTrace(host.Bind, tracer);
        var via = new IPEndPoint(address, host.Info.Port);
        routes.Bend(victim.IPAddress, targetEnd, via);
        trace.Emit(TraceKind.StarttlsStripped, $"strip-starttls: {victim.Name}'s route to {target.Name}'s MTA {targetEnd} now leads through the attacker at {via}",
            ("Action", "route"), ("Client", victim.Address), ("Server", targetEnd.ToString()));
        return host;
    }
}
