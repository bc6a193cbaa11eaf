using System.Globalization;
using MailLab.Server.Dns;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>
/// The DNS API: <c>/api/zones</c> (the zones, one zone's records and file, a check, a save) and
/// <c>/api/dns/queries</c> (the query log). Everyone who may use the dashboard reads zones (DNS is public
/// anyway) and checks text; only the instructor, or the open loopback dashboard, saves, with the antiforgery
/// token in the <c>RequestVerificationToken</c> header so a page on another site cannot edit a zone.
/// </summary>
internal static class ZonesApi
{
    /// <summary>The answer of <c>/api/zones</c>.</summary>
    public sealed record ZoneList(IReadOnlyList<ZoneSummary> Zones);

    /// <summary>The answer of a save: the zone as loaded now (its origin may differ when the SOA moved), or the errors (422).</summary>
    public sealed record ZoneSaved(bool Ok, string? Error, IReadOnlyList<ZoneCheckError> Errors, ZoneSummary? Zone);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/zones", (HttpContext http) => DashboardJson.Result(new ZoneList(Store(http) is { } s ? ZoneModel.List(s) : [])))
            .WithSummary("The lab DNS's zones: origin, site, file name, records in the file, DNSSEC-signed, the serial served.");
        api.MapGet("/zones/{origin}", Get)
            .WithSummary("One zone: its records as rows (name, ttl, class, type, data), the file's text, and the file's errors if it is broken now.");
        api.MapPost("/zones/{origin}/check", Check)
            .WithSummary("Checks zone text (text/plain, or JSON {text}) with the reload's parser: {ok, errors[] of line, column, message}. Saves nothing.");
        api.MapPut("/zones/{origin}", Save)
            .WithSummary("Instructor (or open) only, antiforgery header: checks the text, 422 with the errors if broken, else writes the file atomically and reloads.");
        api.MapGet("/dns/queries", Queries)
            .WithSummary("The DNS query log from the in-memory trace, newest first: each question, its answer, and whether the lab or a student asked.");
    }

    private static IResult Get(HttpContext http, string origin)
    {
        if (ZoneModel.ParseOrigin(origin) is not { } name) return BadOrigin();
        return Store(http) is { } store && ZoneModel.Detail(store, name, DashboardContext.Of(http).Viewer(http).SeesAll) is { } zone
            ? DashboardJson.Result(zone)
            : NotServed(name);
    }

    private static async Task<IResult> Check(HttpContext http, string origin)
    {
        if (ZoneModel.ParseOrigin(origin) is not { } name) return BadOrigin();
        if (Store(http) is not { } store || ZoneModel.FileOf(store, name) is not { } file) return NotServed(name);
        var (text, refused) = await ZoneBody.Read(http);
        if (refused is not null) return refused;
        var errors = ZoneModel.Errors(store.Check(file, text!));
        return DashboardJson.Result(new ZoneCheck(errors.Count == 0, errors));
    }

    private static async Task<IResult> Save(HttpContext http, string origin, IAntiforgery antiforgery)
    {
        if (ZoneModel.ParseOrigin(origin) is not { } name) return BadOrigin();
        var context = DashboardContext.Of(http);
        if (!context.Viewer(http).SeesAll) return DashboardApi.Problem(StatusCodes.Status403Forbidden, "only the instructor edits zones; students read them");
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return DashboardApi.Problem(StatusCodes.Status400BadRequest, "missing or stale antiforgery token: send the editor page's token in the RequestVerificationToken header");
        }
        if (Store(http) is not { } store) return NotServed(name);
        if (ZoneModel.FileOf(store, name) is not { } file)
        {
            return ZoneModel.Served(store, name) is null ? NotServed(name)
                : DashboardApi.Problem(StatusCodes.Status409Conflict, $"zone {name}. is made by the DNSSEC signer, not read from a file: there is nothing to edit");
        }
        var (text, refused) = await ZoneBody.Read(http);
        if (refused is not null) return refused;
        var saved = Write(store, file, text!);
        if (saved.Errors.Count > 0)
        {
            return DashboardJson.Result(new ZoneSaved(false, $"the zone has {saved.Errors.Count} error(s); nothing was saved", saved.Errors, null), StatusCodes.Status422UnprocessableEntity);
        }
        if (saved.Failure is not null) return DashboardApi.Problem(StatusCodes.Status500InternalServerError, saved.Failure);
        return DashboardJson.Result(new ZoneSaved(true, null, [], saved.Zone));
    }

    /// <summary>What a save did: the check's errors (nothing written), or the zone served now, or why the disk refused.</summary>
    internal sealed record SaveOutcome(IReadOnlyList<ZoneCheckError> Errors, ZoneSummary? Zone, string? Failure);

    /// <summary>Saves through the store (check, atomic write, reload); a failing disk is a reason, never a half-written zone.</summary>
    internal static SaveOutcome Write(ZoneStore store, string file, string text)
    {
        try
        {
            var (check, loaded) = store.Save(file, text);
            var errors = ZoneModel.Errors(check);
            if (errors.Count > 0) return new(errors, null, null);
            // The loaded zone is what the file gave; its summary (serial, signed) is of the zone served now.
            var summary = loaded is null ? null : ZoneModel.List(store).FirstOrDefault(z => z.Origin == loaded.Origin);
            return new([], summary, summary is null ? "the file was written but another edit replaced it before the reload" : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new([], null, $"cannot write the zone file: {ex.Message}");
        }
    }

    private static IResult Queries(HttpContext http, string? limit = null, string? who = null)
    {
        foreach (var (key, values) in http.Request.Query)
        {
            if (key is not ("limit" or "who")) return DashboardApi.Problem(StatusCodes.Status400BadRequest, $"unknown parameter '{Clip(key)}' (limit, who)");
            if (values.Count > 1) return DashboardApi.Problem(StatusCodes.Status400BadRequest, $"parameter '{key}' given twice");
        }
        int n = DnsQueryLog.DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > DnsQueryLog.MaxLimit))
        {
            return DashboardApi.Problem(StatusCodes.Status400BadRequest, $"limit: a number from 1 to {DnsQueryLog.MaxLimit}");
        }
        if (!TryAskers(who, out var askers)) return DashboardApi.Problem(StatusCodes.Status400BadRequest, "who: all, lab or students");
        var context = DashboardContext.Of(http);
        return DashboardJson.Result(DnsQueryLog.For(context, context.Viewer(http), n, askers));
    }

    /// <summary>Reads <c>who=</c>: all (default), lab or students.</summary>
    internal static bool TryAskers(string? who, out DnsAskers askers)
    {
        askers = DnsAskers.All;
        if (who is null || who.Equals("all", StringComparison.OrdinalIgnoreCase)) return true;
        if (who.Equals("lab", StringComparison.OrdinalIgnoreCase)) askers = DnsAskers.Lab;
        else if (who.Equals("students", StringComparison.OrdinalIgnoreCase)) askers = DnsAskers.Students;
        else return false;
        return true;
    }

    /// <summary>The lab DNS's zones, or null when the DNS runs in another process (<c>--only</c>).</summary>
    internal static ZoneStore? Store(HttpContext http) => DashboardContext.Of(http).Lab.Zones;

    private static IResult BadOrigin() =>
        DashboardApi.Problem(StatusCodes.Status400BadRequest, $"origin: a domain name (letters, digits, '-', '_', dots; at most {ZoneModel.MaxOriginLength} characters)");

    private static IResult NotServed(string origin) => DashboardApi.Problem(StatusCodes.Status404NotFound, $"the lab DNS serves no zone {origin}.");

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
