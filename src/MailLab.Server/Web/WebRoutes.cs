using System.Text;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Web;

/// <summary>What the routes need: the data directory, the key server's store and the trace.</summary>
internal sealed record WebRouteContext(string DataDirectory, KeyServerStore Keys, Tracer Tracer)
{
    /// <summary>The lab users' own keys (written by <c>maillab pgp</c>): <c>&lt;data&gt;/pgp/public/&lt;address&gt;.asc</c>.</summary>
    public string UserKeysDirectory => Path.Combine(DataDirectory, "pgp", "public");

    /// <summary>The lab's mail servers for Thunderbird's autoconfig file; null: no sites known (404).</summary>
    public AutoconfigDirectory? Autoconfig { get; init; }

    /// <summary>A context for the events the routes emit beside WebRequest.</summary>
    public TraceContext Trace => Tracer.For("lab", TraceRole.WEB);

    /// <summary>The context for one request's events: the lab's own work when it came from this process's MDA.</summary>
    public TraceContext TraceFor(HttpContext http) => Of(Tracer, http);

    /// <summary>
    /// A request from a registered lab client of this process (an MDA's key-server lookup,
    /// <see cref="Sites.LabWebClients"/>) is the lab's work, <c>Origin</c> resolver like its DNS lookups; any other
    /// request, from whatever address, is a person's.
    /// </summary>
    public static TraceContext Of(Tracer tracer, HttpContext http)
    {
        var trace = tracer.For("lab", TraceRole.WEB);
        return http.Connection.RemoteIpAddress is { } ip && Sites.LabWebClients.IsOwn(new System.Net.IPEndPoint(ip, http.Connection.RemotePort))
            ? trace.AsLab(LabOrigin.Resolver)
            : trace;
    }
}

/// <summary>
/// The routes of the lab's HTTP service. A route answers only the methods it names (GET and HEAD to
/// read, POST to upload); another method gets 405 with an Allow header (RFC 9110 §15.5.6), an unknown path 404.
/// Nothing is served from a directory: every file route names one fixed file.
/// </summary>
internal static class WebRoutes
{
    private static readonly string[] Read = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>The PKI files: route, file under <c>&lt;data&gt;/certs</c>, media type.</summary>
    // RFC 2585 §4.1 and §4.2: application/pkix-crl for a DER CRL, application/x-x509-ca-cert (the type
    // browsers and Thunderbird import) for a CA certificate.
    private static readonly (string Route, string File, string Type)[] PkiFiles =
    [
        ("/pki/ca.crt", "ca.crt", "application/x-x509-ca-cert"),
        ("/pki/user-ca.crt", "user-ca.crt", "application/x-x509-ca-cert"),
        ("/pki/user-ca.crl", "user-ca.crl", "application/pkix-crl"),
    ];

    public static void Map(IEndpointRouteBuilder app, WebRouteContext context)
    {
        app.MapMethods("/", Read, () => Text(200, Index()));
        foreach (var (route, file, type) in PkiFiles)
        {
            string path = Path.Combine(context.DataDirectory, "certs", file);
            app.MapMethods(route, Read, () => ServeFile(path, type));
        }
        KeyServerRoutes.Map(app, context);
        WebKeyDirectory.Map(app, context);
        MtaStsRoutes.Map(app, context);
        AutoconfigRoutes.Map(app, context);
    }

    /// <summary>A file read at request time (a CRL the CLI just rewrote is served at once), or 404 when it does not exist yet.</summary>
    private static async Task<IResult> ServeFile(string path, string type)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Text(404, $"{Path.GetFileName(path)} does not exist yet in the lab's data directory\n");
        }
        return Results.Bytes(bytes, type);
    }

    /// <summary>A plain-text answer with a status.</summary>
    public static IResult Text(int status, string text) => Results.Text(text, "text/plain; charset=utf-8", Encoding.UTF8, status);

    private static string Index() =>
        """
        MailLab lab web service
          /pki/ca.crt             the lab root CA certificate (PEM)
          /pki/user-ca.crt        the user CA certificate that issues S/MIME certificates (PEM)
          /pki/user-ca.crl        the user CA's certificate revocation list (DER, RFC 5280)
          /pks/lookup?op=get|index|vindex&search=...[&options=mr]   OpenPGP key server (HKP)
          /pks/add                upload a public key (POST keytext=..., any key is accepted)
          /.well-known/openpgpkey/hu/HASH?l=LOCAL   Web Key Directory (the lab users' own keys)
          https://mta-sts.DOMAIN/.well-known/mta-sts.txt   MTA-STS policy (HTTPS listener only, RFC 8461)
          http://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=USER@DOMAIN   Thunderbird autoconfig
          /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=USER@DOMAIN      (the same, Host DOMAIN)
          /v1.1/DOMAIN            the same, as Mozilla's ISP database (Thunderbird's mailnews.auto_config_url)

        """;
}
