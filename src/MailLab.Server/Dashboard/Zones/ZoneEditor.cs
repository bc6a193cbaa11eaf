using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>
/// The zone editor on <c>/dns/{origin}</c> (instructor or open dashboard only): a textarea with the file,
/// "Check" and "Save" as a plain form post (works without JavaScript). Errors are listed as
/// "line L, column C: message"; <c>dns.js</c> adds line numbers and marks those lines.
/// </summary>
internal static class ZoneEditor
{
    /// <summary>What the editor shows after a post: the posted text, its errors, whether it was only checked, a disk failure.</summary>
    internal sealed record State(string Text, IReadOnlyList<ZoneCheckError> Errors, bool Checked, string? Failure = null);

    /// <summary>"line L, column C: message", or the message alone when it is about the whole file.</summary>
    public static string Where(ZoneCheckError e) => e.Line == 0 ? e.Message : $"line {e.Line}, column {e.Column}: {e.Message}";

    /// <summary>The editor section (result of the last post, the form) of a zone page.</summary>
    public static void Render(StringBuilder b, HttpContext http, ZoneDetail zone, State? edit)
    {
        b.Append("<h2 id=\"edit\">Edit the zone file</h2>\n");
        if (edit is { Failure: { } failure })
        {
            b.Append("<p class=\"error\" id=\"zone-result\" role=\"alert\">").Append(Mark(false, "not saved")).Append(": ").Append(Enc(failure)).Append("</p>\n");
        }
        else if (edit is { Errors.Count: > 0 } broken)
        {
            b.Append("<div id=\"zone-result\" role=\"alert\"><p class=\"error\">").Append(Mark(false, broken.Checked ? "the check found errors" : "not saved"))
                .Append(": ").Append(broken.Errors.Count).Append(broken.Errors.Count == 1 ? " error" : " errors")
                .Append(broken.Checked ? "; the reload would refuse this text." : "; the file is unchanged and the zone served stays as it was.")
                .Append("</p>\n<ol id=\"zone-errors\" class=\"zone-errors\">");
            foreach (var e in broken.Errors)
            {
                b.Append("<li data-line=\"").Append(e.Line).Append("\" data-column=\"").Append(e.Column).Append("\"><a href=\"#zone-text\">")
                    .Append(Enc(Where(e))).Append("</a></li>");
            }
            b.Append("</ol></div>\n");
        }
        else if (edit is { Checked: true })
        {
            b.Append("<p id=\"zone-result\" role=\"status\">").Append(Mark(true, "no errors"))
                .Append(": the reload would load this text. It is not saved yet.</p>\n");
        }
        else if (http.Request.Query["saved"] == "1")
        {
            b.Append("<p id=\"zone-result\" role=\"status\">").Append(Mark(true, "saved"))
                .Append(": the file is written and reloaded; serial ").Append(zone.Serial.ToString(CultureInfo.InvariantCulture)).Append(" is served now.</p>\n");
        }
        b.Append("<form method=\"post\" action=\"/dns/").Append(Uri.EscapeDataString(zone.Origin)).Append("\" class=\"zone-editor\" id=\"zone-editor\">")
            .Append(AntiforgeryField(http))
            .Append("<label for=\"zone-text\">Zone file <code>").Append(Enc(zone.File)).Append("</code> (RFC 1035 §5 master format). ")
            .Append("Check runs the reload's parser; Save checks again, writes the file and reloads it.</label>")
            .Append("<div class=\"editor\"><div class=\"gutter\" id=\"zone-gutter\" aria-hidden=\"true\" hidden></div>")
            // A newline right after <textarea> is dropped by the HTML parser (HTML §13.2.6.4.7), so one is added: the text keeps its first line.
            .Append("<textarea id=\"zone-text\" name=\"text\" rows=\"24\" cols=\"100\" wrap=\"off\" spellcheck=\"false\" autocomplete=\"off\" autocapitalize=\"off\">\n")
            .Append(Enc(edit?.Text ?? zone.Text)).Append("</textarea></div>")
            .Append("<div class=\"buttons\"><button type=\"submit\" name=\"action\" value=\"check\">Check</button>")
            .Append("<button type=\"submit\" name=\"action\" value=\"save\">Save</button></div></form>\n");
    }

    /// <summary>The form post of Check or Save.</summary>
    public static async Task<IResult> Post(HttpContext http, string origin, IAntiforgery antiforgery)
    {
        if (!DashboardContext.Of(http).Viewer(http).SeesAll)
        {
            return Html(http, "DNS", "<p class=\"error\">Only the instructor edits zones; students read them.</p>", StatusCodes.Status403Forbidden);
        }
        ZoneBody.AllowZoneSize(http);
        if (!http.Request.HasFormContentType) return Html(http, "DNS", "<p class=\"error\">Expected the editor's form.</p>", StatusCodes.Status400BadRequest);
        try
        {
            await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge) http.Response.Headers.Connection = "close"; // the rest is never read
            return Html(http, "DNS", $"<p class=\"error\">The form is refused: {Enc(ex.Message)} (at most {ZoneBody.MaxBytes / 1024} KiB).</p>", ex.StatusCode);
        }
        catch (InvalidDataException ex)
        {
            return Html(http, "DNS", $"<p class=\"error\">The form is refused: {Enc(ex.Message)}</p>", StatusCodes.Status400BadRequest);
        }
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Html(http, "DNS", "<p class=\"error\">The form is stale or forged: reload the page and try again.</p>", StatusCodes.Status400BadRequest);
        }
        if (ZoneModel.ParseOrigin(origin) is not { } name) return Html(http, "DNS", "<p class=\"error\">Not a zone name.</p>", StatusCodes.Status400BadRequest);
        if (ZonesApi.Store(http) is not { } store || ZoneModel.FileOf(store, name) is not { } file)
        {
            return Html(http, "DNS", $"<p class=\"error\">The lab DNS has no zone file for <code>{Enc(name)}.</code></p>", StatusCodes.Status404NotFound);
        }
        // A textarea submits its lines with CRLF (HTML §4.10.11): the file keeps the LF line ends it had; line numbers are the same.
        string text = http.Request.Form["text"].ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.Length > ZoneBody.MaxBytes) return Html(http, "DNS", "<p class=\"error\">The zone text is too large.</p>", StatusCodes.Status413PayloadTooLarge);
        string action = http.Request.Form["action"].ToString();
        if (action == "check")
        {
            var errors = ZoneModel.Errors(store.Check(file, text));
            return DnsPages.Zone(http, name, new State(text, errors, Checked: true), errors.Count > 0 ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK);
        }
        if (action != "save") return Html(http, "DNS", "<p class=\"error\">The form's action is Check or Save.</p>", StatusCodes.Status400BadRequest);
        var saved = ZonesApi.Write(store, file, text);
        if (saved.Errors.Count > 0) return DnsPages.Zone(http, name, new State(text, saved.Errors, Checked: false), StatusCodes.Status422UnprocessableEntity);
        if (saved.Failure is not null) return DnsPages.Zone(http, name, new State(text, [], false, saved.Failure), StatusCodes.Status500InternalServerError);
        // Post/redirect/get: a reload of the page does not post again. The SOA may have moved the zone to another origin.
        return Results.Redirect($"/dns/{Uri.EscapeDataString(saved.Zone!.Origin)}?saved=1#edit");
    }
}
