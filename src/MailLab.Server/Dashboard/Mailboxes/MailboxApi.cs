using System.Globalization;
using MailLab.Server.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Dashboard.Mailboxes;

/// <summary>
/// <c>/api/mailboxes/...</c>: the lab's mailboxes, their folders and messages, read-only (reading a message never sets
/// \Seen). A student gets their own mailbox only; another's is 404, as an unknown one is.
/// </summary>
internal static class MailboxApi
{
    /// <summary>Maps the routes onto the API group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/mailboxes", (Func<HttpContext, Task<IResult>>)List)
            .WithSummary("The mailboxes the viewer may see (a student: their own), with site and message, unseen and octet totals.");
        api.MapGet("/mailboxes/{address}", Show)
            .WithSummary("A mailbox's folders with message counts, UIDVALIDITY and UIDNEXT.");
        api.MapGet("/mailboxes/{address}/messages", Messages)
            .WithSummary("A folder's messages, newest first: UID, date, from, subject, size, flags; `folder` (default INBOX), `limit` (1-500, default 50), `before` (a UID).");
        api.MapGet("/mailboxes/{address}/messages/{folder}/{uid}", Message)
            .WithSummary("One message: headers in order with the trace headers flagged, the MIME tree, the raw source up to 1 MiB. Never sets \\Seen. A folder's `/` is `%2F`.");
        api.MapGet("/mailboxes/{address}/messages/{folder}/{uid}/raw", Raw)
            .WithSummary("One message's whole source as message/rfc822. Never sets \\Seen.");
    }

    private static async Task<IResult> List(HttpContext http)
    {
        if (MailboxArgs.Unknown(http.Request.Query, []) is { } bad) return Bad(bad);
        return DashboardJson.Result(await Reader(http).ListAsync(http.RequestAborted));
    }

    private static async Task<IResult> Show(HttpContext http, string address)
    {
        if (MailboxArgs.Unknown(http.Request.Query, []) is { } bad) return Bad(bad);
        if (MailboxArgs.Owner(Reader(http), address, out var owner) is { } refused) return refused;
        return DashboardJson.Result(await Reader(http).ShowAsync(owner!, http.RequestAborted));
    }

    // The query is read (and checked) by MailboxArgs; the parameters are named for the OpenAPI document only.
    private static async Task<IResult> Messages(HttpContext http, string address, string? folder = null, string? limit = null, string? before = null)
    {
        var reader = Reader(http);
        if (MailboxArgs.Unknown(http.Request.Query, ["folder", "limit", "before"]) is { } bad) return Bad(bad);
        if (MailboxArgs.Owner(reader, address, out var owner) is { } refused) return refused;
        var query = http.Request.Query;
        if (!MailboxArgs.TryFolder(query.TryGetValue("folder", out var f) ? f.ToString() : "INBOX", out var name, out var error)) return Bad(error);
        int count = MailboxReader.DefaultLimit;
        if (query.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MailboxReader.MaxLimit))
        {
            return Bad($"limit: a number from 1 to {MailboxReader.MaxLimit}");
        }
        uint? upTo = null;
        if (query.TryGetValue("before", out var b))
        {
            if (!MailboxArgs.TryUid(b.ToString(), out var uid)) return Bad("before: a UID (a number from 1 to 4294967295)");
            upTo = uid;
        }
        return await reader.MessagesAsync(owner!, name, count, upTo, http.RequestAborted) is { } page
            ? DashboardJson.Result(page)
            : NotFound($"no folder '{name}' in {owner!.Address}");
    }

    private static async Task<IResult> Message(HttpContext http, string address, string folder, string uid)
    {
        var reader = Reader(http);
        if (MailboxArgs.Message(http.Request.Query, reader, address, folder, uid, out var at) is { } refused) return refused;
        return await reader.MessageAsync(at.Owner, at.Folder, at.Uid, http.RequestAborted) is { } message
            ? DashboardJson.Result(message)
            : NotFound($"no message with UID {at.Uid} in {at.Owner.Address}'s folder '{at.Folder}'");
    }

    private static async Task<IResult> Raw(HttpContext http, string address, string folder, string uid)
    {
        var reader = Reader(http);
        if (MailboxArgs.Message(http.Request.Query, reader, address, folder, uid, out var at) is { } refused) return refused;
        if (await reader.OpenAsync(at.Owner, at.Folder, at.Uid, http.RequestAborted) is not { } content)
        {
            return NotFound($"no message with UID {at.Uid} in {at.Owner.Address}'s folder '{at.Folder}'");
        }
        http.Response.Headers.ContentDisposition = $"inline; filename=\"{at.Uid.ToString(CultureInfo.InvariantCulture)}.eml\"";
        return Results.Stream(content, "message/rfc822");
    }

    internal static MailboxReader Reader(HttpContext http)
    {
        var context = DashboardContext.Of(http);
        return new MailboxReader(context, context.Viewer(http));
    }

    private static IResult Bad(string error) => DashboardApi.Problem(StatusCodes.Status400BadRequest, error);

    private static IResult NotFound(string error) => DashboardApi.Problem(StatusCodes.Status404NotFound, error);
}

/// <summary>Checks of the Mailboxes routes' parameters, shared by the API and the pages: each bad one is a 400 with its reason.</summary>
internal static class MailboxArgs
{
    /// <summary>Longest folder name accepted (IMAP sets none; a path component is at most 255 octets on Linux).</summary>
    public const int MaxFolderLength = 255;

    /// <summary>A message's place: owner, normalised folder, UID.</summary>
    public readonly record struct MessageAt(MailboxOwner Owner, string Folder, uint Uid);

    /// <summary>The reason when the query has a parameter not in <paramref name="allowed"/>, or one given twice; else null.</summary>
    public static string? Unknown(IQueryCollection query, string[] allowed)
    {
        foreach (var (key, values) in query)
        {
            if (!allowed.Contains(key, StringComparer.Ordinal)) return $"unknown parameter '{Clip(key)}'";
            if (values.Count > 1) return $"parameter '{key}' given {values.Count} times";
        }
        return null;
    }

    /// <summary>Null and the owner, or the answer: 400 for an address that is not one, 404 for one not shown to this viewer.</summary>
    public static IResult? Owner(MailboxReader reader, string address, out MailboxOwner? owner)
    {
        owner = null;
        if (address.Length > DashboardAccess.MaxUserLength)
        {
            return DashboardApi.Problem(StatusCodes.Status400BadRequest, $"address: at most {DashboardAccess.MaxUserLength} characters");
        }
        if (!MailboxNames.TryNormalizeAddress(address, out _, out var reason))
        {
            return DashboardApi.Problem(StatusCodes.Status400BadRequest, $"address: not a mail address ({reason})");
        }
        owner = reader.Find(address);
        return owner is null ? DashboardApi.Problem(StatusCodes.Status404NotFound, $"no mailbox '{address}' (or not yours)") : null;
    }

    /// <summary>
    /// A folder name (IMAP form) normalised, or the reason it is refused. In a path segment a <c>/</c> arrives as <c>%2F</c>
    /// (the server leaves it encoded); names with <c>..</c>, empty levels, <c>\</c>, <c>%</c>, <c>*</c> or control characters
    /// are refused by the store's own rules, so no name leaves the user's directory.
    /// </summary>
    public static bool TryFolder(string text, out string folder, out string error)
    {
        folder = "";
        text = text.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (text.Length > MaxFolderLength)
        {
            error = $"folder: at most {MaxFolderLength} characters";
            return false;
        }
        if (!MailboxNames.TryNormalizeFolder(text, out folder, out var reason))
        {
            error = $"folder: {reason}";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>A UID: digits only, 1 to 4294967295 (RFC 9051 §2.3.1.1: a non-zero 32-bit number).</summary>
    public static bool TryUid(string text, out uint uid) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uid) && uid > 0 && text.Length <= 10;

    /// <summary>Null and the message's place, or the answer (400 or 404) for a route that names one message.</summary>
    public static IResult? Message(IQueryCollection query, MailboxReader reader, string address, string folder, string uid, out MessageAt at)
    {
        at = default;
        if (Unknown(query, []) is { } bad) return DashboardApi.Problem(StatusCodes.Status400BadRequest, bad);
        if (Owner(reader, address, out var owner) is { } refused) return refused;
        if (!TryFolder(folder, out var name, out var error)) return DashboardApi.Problem(StatusCodes.Status400BadRequest, error);
        if (!TryUid(uid, out var number)) return DashboardApi.Problem(StatusCodes.Status400BadRequest, "uid: a number from 1 to 4294967295");
        at = new MessageAt(owner!, name, number);
        return null;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
