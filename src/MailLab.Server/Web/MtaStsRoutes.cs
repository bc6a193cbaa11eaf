using System.Text;
using MailLab.Server.Lab;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Web;

/// <summary>
/// MTA-STS policy hosting (RFC 8461 §3.3): <c>GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c> answers the
/// file <c>&lt;data&gt;/mta-sts/DOMAIN.txt</c> as text/plain, read at request time so a student's edit is served at
/// once. Only over the HTTPS listener (plain HTTP gets 404, as the RFC allows no other scheme); the domain comes
/// from the Host header, as one web server hosts every lab domain's policy.
/// </summary>
internal static class MtaStsRoutes
{
    /// <summary>The policies' directory under the data directory.</summary>
    public const string Folder = "mta-sts";

    private static readonly string[] Read = [HttpMethods.Get, HttpMethods.Head];

    public static void Map(IEndpointRouteBuilder app, WebRouteContext context) =>
        app.MapMethods("/.well-known/mta-sts.txt", Read, (Delegate)((HttpContext http) => Serve(http, context.DataDirectory)));

    private static async Task<IResult> Serve(HttpContext http, string dataDirectory)
    {
        if (!http.Request.IsHttps) return WebRoutes.Text(404, "MTA-STS policies are served over HTTPS only (RFC 8461 §3.3)\n");
        string host = http.Request.Host.Host.TrimEnd('.').ToLowerInvariant();
        if (!host.StartsWith("mta-sts.", StringComparison.Ordinal) || !LabNames.IsDnsName(host[8..]))
        {
            return WebRoutes.Text(404, $"'{host}' is not mta-sts.DOMAIN\n");
        }
        string file = Path.Combine(dataDirectory, Folder, host[8..] + ".txt");
        var info = new FileInfo(file);
        // A link could serve any file the lab can read, and a policy over 64 KiB is one no client takes (RFC 8461 §3.3).
        if (info.LinkTarget is not null) return WebRoutes.Text(404, $"{Folder}/{host[8..]}.txt is a symbolic link; only a regular file is served\n");
        if (info.Exists && info.Length > 64 * 1024) return WebRoutes.Text(404, $"{Folder}/{host[8..]}.txt is over 64 KiB (RFC 8461 §3.3); it is not served\n");
        try
        {
            var bytes = await File.ReadAllBytesAsync(file);
            return Results.Bytes(bytes, "text/plain");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return WebRoutes.Text(404, $"no policy: {Folder}/{host[8..]}.txt does not exist in the lab's data directory\n");
        }
    }

    /// <summary>
    /// Writes a starting policy for each domain (mode enforce, the site's host names in the domain as mx, one day)
    /// when the directory does not exist yet; later starts keep the students' edits. A policy is only used once
    /// the domain's <c>_mta-sts</c> TXT record exists, which the default zones leave out.
    /// </summary>
    public static void Prepare(string dataDirectory, IEnumerable<(string Domain, IReadOnlyList<string> Hosts)> domains)
    {
        string dir = Path.Combine(dataDirectory, Folder);
        if (Directory.Exists(dir)) return;
        string staging = dir + ".new";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        foreach (var (domain, hosts) in domains)
        {
            var mx = hosts.Where(h => h.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase)).Select(h => $"mx: {h.ToLowerInvariant()}\n");
            File.WriteAllText(Path.Combine(staging, domain.ToLowerInvariant() + ".txt"),
                $"version: STSv1\nmode: enforce\n{string.Concat(mx)}max_age: 86400\n", new UTF8Encoding(false));
        }
        Directory.Move(staging, dir);
    }
}
