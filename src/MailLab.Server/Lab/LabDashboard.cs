namespace MailLab.Server.Lab;

/// <summary>
/// The dashboard (lab key <c>dashboard:</c>): where it listens, whether it asks for a sign-in and the
/// instructor's password. On loopback it is open (one person's laptop); bound to any other address, or
/// with <see cref="RequireSignIn"/>, every page and API call needs a signed-in student or instructor.
/// </summary>
public sealed record LabDashboard
{
    /// <summary>The default port in the default lab; 0 when the web service's port is 0 (a test lab).</summary>
    public const int DefaultPort = 8025;

    /// <summary>Longest instructor password accepted (the sign-in form's limit too).</summary>
    public const int MaxPasswordLength = 256;

    /// <summary>Address it listens on; null: the lab web service's address.</summary>
    public string? Address { get; init; }

    /// <summary>TCP port; 0 picks a free one. Null: <see cref="DefaultPort"/>, or 0 when the web service's port is 0.</summary>
    public int? Port { get; init; }

    /// <summary>The instructor's password (sign-in name <c>instructor</c>); null: nobody signs in as the instructor.</summary>
    public string? InstructorPassword { get; init; }

    /// <summary>Ask for a sign-in even on loopback (the classroom's access model, testable on one machine).</summary>
    public bool RequireSignIn { get; init; }

    /// <summary>
    /// Data directories of other <c>maillab up</c> processes whose trace the dashboard shows too (<c>maillab up --follow</c>;
    /// the classroom's dns container follows the site containers).
    /// </summary>
    public IReadOnlyList<string> Follow { get; init; } = [];

    /// <summary>HTTPS or plain HTTP (<c>tls: auto|on|off</c>); auto: HTTPS when bound beyond loopback, where passwords cross a network.</summary>
    public DashboardTls Tls { get; init; } = DashboardTls.Auto;

    /// <summary>Whether the dashboard bound to <paramref name="address"/> serves HTTPS.</summary>
    public bool UsesTls(string address) => Tls switch
    {
        DashboardTls.On => true,
        DashboardTls.Off => false,
        _ => !System.Net.IPAddress.TryParse(address, out var ip) || !System.Net.IPAddress.IsLoopback(ip),
    };

    /// <summary>The address to bind, given the lab's web settings.</summary>
    public string AddressFor(LabWeb web) => Address ?? web.Address;

    /// <summary>The port to bind, given the lab's web settings.</summary>
    public int PortFor(LabWeb web) => Port ?? (web.Port == 0 ? 0 : DefaultPort);
}

/// <summary>The dashboard's <c>tls:</c> setting.</summary>
public enum DashboardTls
{
    /// <summary>HTTPS when bound beyond loopback, plain HTTP on loopback (one person's laptop).</summary>
    Auto,

    /// <summary>Always HTTPS, with a certificate from the lab CA.</summary>
    On,

    /// <summary>Always plain HTTP: sign-in passwords cross the network in clear (a lab switch-like choice, said in the banner).</summary>
    Off,
}
