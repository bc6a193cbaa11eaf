using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MailLab.Server.Dashboard;

/// <summary>
/// Sign-in: on loopback the dashboard is open; bound beyond it (or with <c>require-sign-in</c>) a student
/// signs in with a lab address and password and the instructor as <c>instructor</c> with the lab file's
/// password. A cookie (HttpOnly, SameSite=Strict) carries the sign-in; the form carries an antiforgery token.
/// </summary>
internal static class DashboardAccess
{
    /// <summary>The sign-in cookie's name.</summary>
    public const string CookieName = "maillab-dashboard";

    /// <summary>Longest sign-in name accepted (RFC 5321 §4.5.3.1: 64-octet local part, 255-octet domain).</summary>
    public const int MaxUserLength = 320;

    /// <summary>Longest password accepted.</summary>
    public const int MaxPasswordLength = Lab.LabDefinitionReader.MaxPasswordLength;

    public static void AddServices(IServiceCollection services)
    {
        // Keys live in memory only: a restart of the lab signs everyone out, and no key is left on disk.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8); // one teaching day
            o.SlidingExpiration = true;
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "maillab-antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__antiforgery";
        });
    }

    /// <summary>Reads the cookie, then turns away anyone not signed in where a sign-in is required.</summary>
    public static void Use(WebApplication app, Func<bool> required)
    {
        app.UseAuthentication();
        app.Use(async (http, next) =>
        {
            if (!required() || http.User.Identity?.IsAuthenticated == true || IsPublic(http.Request.Path))
            {
                await next(http);
            }
            else if (http.Request.Path.StartsWithSegments("/api"))
            {
                await DashboardApi.Error(http, StatusCodes.Status401Unauthorized, "sign in first: POST /signin");
            }
            else
            {
                http.Response.Redirect("/signin?return=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
            }
        });
        app.MapGet("/signin", (HttpContext http) => SignInPage.Render(http, error: null)).ExcludeFromDescription();
        app.MapPost("/signin", SignIn).ExcludeFromDescription();
        app.MapPost("/signout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (await ReadForm(http) is { } refused) return refused;
            if (!await antiforgery.IsRequestValidAsync(http)) return Results.BadRequest("the form is stale: reload the page");
            var who = DashboardViewer.From(http.User);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            if (who.Role != DashboardRole.None) Trace(http, who.Name, "signed out", who.Role);
            return Results.Redirect("/signin", preserveMethod: false);
        }).ExcludeFromDescription();
    }

    private static bool IsPublic(PathString path) => path == "/signin" || path.StartsWithSegments("/assets");

    private static async Task<IResult> SignIn(HttpContext http, IAntiforgery antiforgery)
    {
        if (await ReadForm(http) is { } refused) return refused;
        if (!await antiforgery.IsRequestValidAsync(http)) return Results.BadRequest("the form is stale or forged: reload the sign-in page");
        var form = http.Request.Form;
        string user = form["user"].ToString().Trim();
        string password = form["password"].ToString();
        string target = SafeReturn(form["return"].ToString());
        if (user.Length is 0 or > MaxUserLength || password.Length is 0 or > MaxPasswordLength)
        {
            return SignInPage.Render(http, $"Enter your lab address (at most {MaxUserLength} characters) and password (at most {MaxPasswordLength}).", StatusCodes.Status400BadRequest);
        }
        var context = DashboardContext.Of(http);
        var lab = context.Lab.Definition;
        DashboardViewer? viewer = null;
        if (user.Equals(DashboardViewer.InstructorName, StringComparison.OrdinalIgnoreCase))
        {
            if (lab.Dashboard.InstructorPassword is { } expected && Same(password, expected)) viewer = new(DashboardRole.Instructor, null);
        }
        else if (lab.FindUser(user) is { } found && Same(password, found.Password))
        {
            viewer = new(DashboardRole.Student, found.Address);
        }
        Trace(http, viewer?.Name ?? user, viewer is null ? "refused" : "signed in", viewer?.Role ?? DashboardRole.None);
        if (viewer is null)
        {
            // A pause before the answer slows password guessing, as the mail listeners' auth-failure-delay does.
            await Task.Delay(lab.Limits.AuthFailureDelay, http.RequestAborted);
            return SignInPage.Render(http, "Wrong lab address or password.", StatusCodes.Status401Unauthorized);
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, viewer.Name), new Claim(ClaimTypes.Role, viewer.Role.ToString())],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return Results.Redirect(target, preserveMethod: false);
    }

    // The user's own act (no Origin), by the name they typed; never the password. The address is `Remote`, not `Client`:
    // an instructor's laptop signing in is not a student's workstation on the exercise grid.
    private static void Trace(HttpContext http, string user, string result, DashboardRole role)
    {
        string remote = http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "";
        string roleName = role.ToString().ToLowerInvariant();
        DashboardContext.Of(http).Tracer?.Emit("lab", TraceRole.WEB, null, null, TraceKind.DashboardSignIn,
            result == "refused" ? $"dashboard sign-in refused for {user} from {remote}: wrong lab address or password"
                : $"dashboard {(result == "signed in" ? "sign-in" : "sign-out")}: {user} ({roleName}) from {remote}",
            new Dictionary<string, object?> { ["User"] = user, ["Result"] = result, ["As"] = role == DashboardRole.None ? null : roleName, ["Remote"] = remote });
    }

    /// <summary>Reads the posted form within the limits; the answer to send instead when it is not a form or is too large.</summary>
    private static async Task<IResult?> ReadForm(HttpContext http)
    {
        if (!http.Request.HasFormContentType) return Results.BadRequest("expected a form (application/x-www-form-urlencoded)");
        try
        {
            await http.Request.ReadFormAsync(http.RequestAborted);
            return null;
        }
        catch (BadHttpRequestException ex)
        {
            return Results.Text($"the form is refused: {ex.Message}", statusCode: ex.StatusCode); // 413 past MaxBodyBytes
        }
        catch (InvalidDataException ex)
        {
            return Results.BadRequest($"the form is refused: {ex.Message}"); // too many fields, a field too long
        }
    }

    /// <summary>A local path to go back to after sign-in; anything else (another host, <c>//host</c>) is "/".</summary>
    internal static string SafeReturn(string? path) =>
        path is { Length: > 0 and <= 1024 } && path[0] == '/' && !path.StartsWith("//", StringComparison.Ordinal)
            && !path.StartsWith("/\\", StringComparison.Ordinal) && !path.Any(char.IsControl) ? path : "/";

    private static bool Same(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
