using System.Net;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>
/// The addresses a student (known by lab mail address) has used, read off the trace while the DNS log reads it:
/// the <c>Client</c> of every session in which the address logged in (<see cref="StudentScope.LoggedIn"/>) and the
/// <c>Remote</c> of the student's dashboard sign-ins. A DNS question carries only its client's address, so these are
/// what ties a <c>dig</c> to a student; students behind one address (NAT) share them.
/// </summary>
internal sealed class StudentAddresses(string student)
{
    private readonly Dictionary<string, string> sessionClients = new(StringComparer.Ordinal);
    private readonly HashSet<string> loggedIn = new(StringComparer.Ordinal);
    private readonly HashSet<string> remotes = new(StringComparer.Ordinal);

    /// <summary>Reads one event (in trace order or not: the answer is made at the end by <see cref="Collect"/>).</summary>
    public void Read(TraceEvent e)
    {
        if (e.Origin is not null) return; // the lab's own connections are nobody's
        if (e.Session is { } session)
        {
            if (e.Kind == TraceKind.SessionOpened && Normal(e.Field("Client")) is { } client) sessionClients[session] = client;
            else if (StudentScope.LoggedIn(e) is { } user && user.Equals(student, StringComparison.OrdinalIgnoreCase)) loggedIn.Add(session);
        }
        else if (e.Kind == TraceKind.DashboardSignIn && e.Field("Result") == "signed in"
            && string.Equals(e.Field("User"), student, StringComparison.OrdinalIgnoreCase) && Normal(e.Field("Remote")) is { } remote)
        {
            remotes.Add(remote);
        }
    }

    /// <summary>The addresses, each in <see cref="Normal"/> form.</summary>
    public HashSet<string> Collect()
    {
        var all = new HashSet<string>(remotes, StringComparer.Ordinal);
        foreach (var session in loggedIn)
        {
            if (sessionClients.TryGetValue(session, out var client)) all.Add(client);
        }
        return all;
    }

    /// <summary>An address as one string whatever the socket said (an IPv4-mapped IPv6 address is its IPv4 address); null when not one.</summary>
    public static string? Normal(string? address) =>
        IPAddress.TryParse(address, out var ip) ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
}
