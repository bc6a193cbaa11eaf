using System.Text;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.Web;

/// <summary>
/// The lab's OpenPGP key server over HKP (draft-shaw-openpgp-hkp-00, draft-gallagher-openpgp-hkp):
/// <c>GET /pks/lookup</c> (op=get, index, vindex; options=mr) and <c>POST /pks/add</c>. Like the classic
/// SKS servers it takes ANY well-formed public key from anyone and checks no user ID: mallory can upload
/// a key named bob. That is the lesson; the web of trust, not the key server, says whose key it is.
/// </summary>
internal static class KeyServerRoutes
{
    public static void Map(IEndpointRouteBuilder app, WebRouteContext context)
    {
        app.MapMethods("/pks/lookup", [HttpMethods.Get, HttpMethods.Head], (HttpContext http) => Lookup(http, context));
        app.MapPost("/pks/add", (Func<HttpContext, Task<IResult>>)(http => Add(http, context)));
    }

    private static IResult Lookup(HttpContext http, WebRouteContext context)
    {
        var query = http.Request.Query;
        string op = query["op"].ToString().ToLowerInvariant();
        string search = query["search"].ToString();
        bool mr = query["options"].ToString().Split(',').Contains("mr", StringComparer.OrdinalIgnoreCase);
        string client = http.Connection.RemoteIpAddress?.ToString() ?? "";
        if (op is not ("get" or "index" or "vindex"))
        {
            // draft-shaw-openpgp-hkp-00 §3.1.2: an operation the server does not know is 501.
            return WebRoutes.Text(op.Length == 0 ? 400 : 501,
                op.Length == 0 ? "op= is missing: use op=get, op=index or op=vindex\n" : $"op={op} is not implemented: use get, index or vindex\n");
        }
        if (search.Length == 0) return WebRoutes.Text(400, "search= is missing: a key ID (0x + 16 hex), a fingerprint (40 hex) or text of a user ID\n");
        var (found, match) = context.Keys.Find(search);
        context.TraceFor(http).Emit(TraceKind.KeyServerLookup,
            $"key server {op} '{search}' ({match}) from {client}: {found.Count} key{(found.Count == 1 ? "" : "s")}",
            ("Op", op), ("Search", search), ("Match", match), ("Found", found.Count),
            ("Fingerprints", found.Select(PgpKeyText.Fingerprint).ToArray()), ("Client", client));
        // draft-shaw-openpgp-hkp-00 §3.1.2.1 / §5: no key found is 404.
        if (found.Count == 0) return WebRoutes.Text(404, $"No keys found for '{search}'\n");
        return op == "get"
            ? Results.Text(PgpKeyText.Armor(found), "application/pgp-keys", Encoding.ASCII)
            : mr ? Results.Text(HkpIndex.MachineReadable(found, op == "vindex"), "text/plain; charset=utf-8", Encoding.UTF8)
            : WebRoutes.Text(200, HkpIndex.HumanReadable(found, op == "vindex", context.Keys.UserIdOf));
    }

    private static async Task<IResult> Add(HttpContext http, WebRouteContext context)
    {
        string client = http.Connection.RemoteIpAddress?.ToString() ?? "";
        IResult Refuse(int status, string reason)
        {
            context.Trace.Emit(TraceKind.KeyServerUpload, $"key server upload from {client} refused ({status}): {reason}",
                ("Source", "upload"), ("Client", client), ("Status", status), ("Reason", reason),
                ("Fingerprints", Array.Empty<string>()), ("UserIds", Array.Empty<string>()));
            return WebRoutes.Text(status, reason + "\n");
        }
        if (!(http.Request.ContentType ?? "").StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            // draft-shaw-openpgp-hkp-00 §4: the key is the form field keytext of an urlencoded POST.
            return Refuse(415, "send the key as application/x-www-form-urlencoded keytext=... (what gpg --send-keys does)");
        }
        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form;
        try
        {
            using var reader = new FormReader(http.Request.Body) { ValueLengthLimit = (int)LabWebServer.MaxBodyBytes, ValueCountLimit = 16 };
            form = await reader.ReadFormAsync(http.RequestAborted);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Refuse(413, $"upload larger than {LabWebServer.MaxBodyBytes} octets (the key server's limit)");
        }
        catch (InvalidDataException ex)
        {
            return Refuse(400, $"malformed form: {ex.Message}");
        }
        if (!form.TryGetValue("keytext", out var keytext) || keytext.ToString().Length == 0)
        {
            return Refuse(400, "the form has no keytext field");
        }
        var parsed = PgpKeyText.Parse(Encoding.UTF8.GetBytes(keytext.ToString()));
        if (parsed.Problem is not null) return Refuse(400, parsed.Problem);
        var (status, summary) = Store(context, parsed.Keys, "upload", client, origin: null);
        return WebRoutes.Text(status, summary + "\n");
    }

    /// <summary>
    /// Stores keys and traces what happened (one KeyServerUpload event); returns the status and summary line.
    /// Each key stands alone: one over a limit is refused (413, or 507 when the store is full) and named
    /// in Reason, the others are stored.
    /// </summary>
    private static (int Status, string Summary) Store(WebRouteContext context, IReadOnlyList<PgpPublicKeyRing> rings, string source, string client, string? origin)
    {
        var outcomes = rings.Select(r => (Ring: r, Result: context.Keys.Add(r))).ToList();
        int Count(KeyStoreOutcome o) => outcomes.Count(x => x.Result.Outcome == o);
        var refused = outcomes.Where(o => o.Result.Problem is not null).ToList();
        int status = refused.Count < outcomes.Count ? 200
            : refused.Any(o => o.Result.Outcome == KeyStoreOutcome.Full) ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status413PayloadTooLarge;
        var fingerprints = rings.Select(PgpKeyText.Fingerprint).ToArray();
        var userIds = rings.SelectMany(PgpKeyText.UserIds).Distinct().ToArray();
        string summary = $"{rings.Count} key{(rings.Count == 1 ? "" : "s")} ({Count(KeyStoreOutcome.Added)} new, {Count(KeyStoreOutcome.Merged)} merged, "
            + $"{Count(KeyStoreOutcome.Unchanged)} unchanged{(refused.Count > 0 ? $", {refused.Count} refused" : "")}): "
            + string.Join("; ", outcomes.Select(o => $"{PgpKeyText.Fingerprint(o.Ring)} {string.Join(", ", PgpKeyText.UserIds(o.Ring))}"));
        string? reason = refused.Count == 0 ? null : string.Join("; ", refused.Select(o => o.Result.Problem));
        var trace = origin is null ? context.Trace : context.Trace.AsLab(origin);
        trace.Emit(TraceKind.KeyServerUpload,
            (source == "seed" ? $"key server seeded with the lab users' keys: {summary}" : $"key server upload from {client}, accepted without any check of who sent it: {summary}")
            + (reason is null ? "" : $"; {reason}"),
            ("Source", source), ("Client", client), ("Status", status), ("Fingerprints", fingerprints), ("UserIds", userIds),
            ("Added", Count(KeyStoreOutcome.Added)), ("Merged", Count(KeyStoreOutcome.Merged)), ("Unchanged", Count(KeyStoreOutcome.Unchanged)),
            ("Reason", reason));
        return (status, reason is null ? summary : $"{summary}\n{reason}");
    }

    /// <summary>
    /// Puts the lab users' keys (<c>&lt;data&gt;/pgp/public/*.asc</c>) on the key server at start, merged like
    /// uploads, so a restart adds nothing twice. A file that is not a public key is traced and skipped.
    /// </summary>
    public static void Seed(KeyServerStore keys, string directory, Tracer tracer)
    {
        if (!Directory.Exists(directory)) return;
        var context = new WebRouteContext("", keys, tracer);
        var rings = new List<PgpPublicKeyRing>();
        foreach (string file in Directory.GetFiles(directory, "*.asc").Order(StringComparer.Ordinal))
        {
            var parsed = PgpKeyText.Parse(File.ReadAllBytes(file));
            if (parsed.Problem is not null)
            {
                context.Trace.AsLab(LabOrigin.Host).Emit(TraceKind.KeyServerUpload, $"key server seed: {file} skipped: {parsed.Problem}",
                    ("Source", "seed"), ("Client", file), ("Status", 400), ("Reason", parsed.Problem));
                continue;
            }
            rings.AddRange(parsed.Keys);
        }
        if (rings.Count > 0) Store(context, rings, "seed", directory, LabOrigin.Host);
    }
}
