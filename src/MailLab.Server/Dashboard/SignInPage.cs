using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard;

/// <summary>The sign-in form: lab address (or <c>instructor</c>) and password.</summary>
internal static class SignInPage
{
    public static IResult Render(HttpContext http, string? error, int status = StatusCodes.Status200OK)
    {
        string target = DashboardAccess.SafeReturn(http.Request.HasFormContentType ? http.Request.Form["return"].ToString() : http.Request.Query["return"].ToString());
        string body = (error is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"signin-error\"><span aria-hidden=\"true\">✗</span> {Enc(error)}</p>")
            + "<p>Students: your lab address and its password. Instructor: <code>instructor</code> and the lab file's <code>dashboard: instructor-password</code>.</p>"
            + "<form method=\"post\" action=\"/signin\" class=\"signin\">" + AntiforgeryField(http)
            + $"<input type=\"hidden\" name=\"return\" value=\"{Enc(target)}\">"
            + $"<label for=\"user\">Lab address</label><input id=\"user\" name=\"user\" autocomplete=\"username\" required maxlength=\"{DashboardAccess.MaxUserLength}\" autofocus>"
            + $"<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"{DashboardAccess.MaxPasswordLength}\">"
            + "<button type=\"submit\">Sign in</button></form>";
        return Html(http, "Sign in", body, status);
    }
}
