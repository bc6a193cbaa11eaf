using System.Security.Claims;

namespace MailLab.Server.Dashboard;

/// <summary>The kinds of dashboard user.</summary>
public enum DashboardRole
{
    /// <summary>Nobody signed in where a sign-in is required: sees nothing.</summary>
    None,

    /// <summary>The dashboard on loopback: one person's laptop, sees everything.</summary>
    Open,

    /// <summary>Signed in with the lab file's instructor password: sees everything.</summary>
    Instructor,

    /// <summary>Signed in with a lab address and password: sees their own sessions and mail only.</summary>
    Student,
}

/// <summary>Who is looking at the dashboard, and so what they may see.</summary>
/// <param name="Role">The kind of user.</param>
/// <param name="Student">The student's lab address (only for <see cref="DashboardRole.Student"/>).</param>
public sealed record DashboardViewer(DashboardRole Role, string? Student)
{
    /// <summary>The sign-in name of the instructor.</summary>
    public const string InstructorName = "instructor";

    /// <summary>The viewer on an open (loopback) dashboard.</summary>
    public static DashboardViewer Open { get; } = new(DashboardRole.Open, null);

    /// <summary>Whether the viewer sees every site, session and event.</summary>
    public bool SeesAll => Role is DashboardRole.Open or DashboardRole.Instructor;

    /// <summary>The name the page header shows.</summary>
    public string Name => Role switch
    {
        DashboardRole.Open => "open (loopback)",
        DashboardRole.Instructor => InstructorName,
        DashboardRole.Student => Student!,
        _ => "not signed in",
    };

    /// <summary>The viewer of a signed-in cookie's claims; <see cref="DashboardRole.None"/> when there is none.</summary>
    public static DashboardViewer From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return new(DashboardRole.None, null);
        string? name = user.FindFirstValue(ClaimTypes.Name);
        return user.FindFirstValue(ClaimTypes.Role) switch
        {
            nameof(DashboardRole.Instructor) => new(DashboardRole.Instructor, null),
            nameof(DashboardRole.Student) when name is not null => new(DashboardRole.Student, name),
            _ => new(DashboardRole.None, null),
        };
    }
}
