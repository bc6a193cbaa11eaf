using System.Diagnostics;
using System.Net;
using System.Text;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace MailLab.Server.Web;

/// <summary>
/// The lab's HTTP service (lab key <c>web:</c>), run beside the lab DNS: the CA's certificates and CRL
/// (<c>/pki/</c>), the OpenPGP key server (HKP, <c>/pks/</c>) and the Web Key Directory
/// (<c>/.well-known/openpgpkey/</c>). Kestrel with minimal APIs; every request is a WebRequest trace
/// event and Kestrel's own logging is off (the trace is the log).
/// </summary>
public sealed class LabWebServer : IAsyncDisposable
{
    /// <summary>Largest request body (a key server upload): 1 MiB; larger gets 413.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Largest request line plus headers: 16 KiB; larger gets 431.</summary>
    public const int MaxHeaderBytes = 16 * 1024;

    /// <summary>How long a client may take to send the request line and headers (10 s; Kestrel then answers 408).</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Tracer tracer;
    private readonly string dataDirectory;
    private readonly ConnectionLimiter limiter;
    private WebApplication? app;

    /// <summary>Creates (but does not bind) the service.</summary>
    /// <param name="web">Address and port (0: a free port).</param>
    /// <param name="dataDirectory">The lab's data directory: certs/, pgp/public/, keyserver/.</param>
    /// <param name="tracer">Where requests are traced.</param>
    /// <param name="limiter">Connection limits (the lab's max-connections and max-connections-per-client), counted for this service alone.</param>
    internal LabWebServer(LabWeb web, string dataDirectory, Tracer tracer, ConnectionLimiter limiter)
    {
        Info = new ListenerInfo("lab", nameof(TraceRole.WEB), web.Address, web.Port, "none");
        httpsPort = web.HttpsPort;
        this.dataDirectory = dataDirectory;
        this.tracer = tracer;
        this.limiter = limiter;
        Keys = new KeyServerStore(Path.Combine(dataDirectory, "keyserver"));
    }

    /// <summary>The listener as listeners.json shows it; after <see cref="Bind"/> it carries the real port.</summary>
    public ListenerInfo Info { get; private set; }

    /// <summary>The bound endpoint.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Parse(Info.Address), Info.Port);

    /// <summary>The service's base URL, <c>http://ADDRESS:PORT</c>.</summary>
    public string Url => $"http://{(Info.Address.Contains(':') ? $"[{Info.Address}]" : Info.Address)}:{Info.Port}";

    /// <summary>
    /// The certificate of the HTTPS listener (MTA-STS policy hosts, <c>mta-sts.DOMAIN</c>, issued by the lab CA);
    /// null: no HTTPS listener. Its port is <see cref="LabWeb.HttpsPort"/>.
    /// </summary>
    internal System.Security.Cryptography.X509Certificates.X509Certificate2? HttpsCertificate { get; init; }

    /// <summary>The HTTPS listener's bound end point after <see cref="Bind"/>; null when there is none.</summary>
    public IPEndPoint? HttpsEndPoint { get; private set; }

    private int httpsPort;

    /// <summary>The lab's mail servers, for the Thunderbird autoconfig routes (<see cref="AutoconfigRoutes"/>).</summary>
    internal AutoconfigDirectory? Autoconfig { get; init; }

    /// <summary>The key server's keys (<c>&lt;data&gt;/keyserver</c>).</summary>
    internal KeyServerStore Keys { get; }

    /// <summary>
    /// Binds the port (Kestrel is started, but every request waits for <see cref="Start"/>); throws
    /// <see cref="ListenerBindException"/> with the reason.
    /// </summary>
    public void Bind()
    {
        if (!IPAddress.TryParse(Info.Address, out var address))
        {
            throw new ListenerBindException("lab", Info.Role, $"{Info.Address}:{Info.Port}", "not an IP address");
        }
        // The lab's own host (maillab up) handles Ctrl-C and SIGTERM and stops this service with the others.
        var builder = KestrelApps.Builder(dataDirectory);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.AddServerHeader = false; // no product banner
            o.Limits.MaxRequestBodySize = MaxBodyBytes;
            o.Limits.MaxRequestHeadersTotalSize = MaxHeaderBytes;
            o.Limits.MaxRequestLineSize = 8 * 1024;
            o.Limits.MaxRequestHeaderCount = 50;
            o.Limits.RequestHeadersTimeout = RequestHeadersTimeout;
            o.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            o.Listen(address, Info.Port, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                l.Use(next => connection => Limit(connection, next));
            });
            if (HttpsCertificate is { } cert)
            {
                // RFC 8461 §3.3: the policy is served over HTTPS only; here on https-port (443 in the classroom).
                o.Listen(address, httpsPort, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    l.Use(next => connection => Limit(connection, next));
                    l.UseHttps(cert);
                });
            }
        });
        var web = builder.Build();
        web.Use(Gate);
        WebRoutes.Map(web, new WebRouteContext(dataDirectory, Keys, tracer) { Autoconfig = Autoconfig });
        var addresses = KestrelApps.Start(web, Info);
        app = web;
        Info = Info with { Port = addresses.First(a => a.Scheme == Uri.UriSchemeHttp).Port };
        if (addresses.FirstOrDefault(a => a.Scheme == Uri.UriSchemeHttps) is { } https) HttpsEndPoint = new IPEndPoint(address, https.Port);
    }

    /// <summary>Seeds the key server from the lab users' keys and lets requests through.</summary>
    public void Start()
    {
        KeyServerRoutes.Seed(Keys, Path.Combine(dataDirectory, "pgp", "public"), tracer);
        tracer.ForLab(LabOrigin.Host, "lab", TraceRole.WEB).Emit(TraceKind.ListenerStarted,
            $"WEB listening on {Url} (CA certificates and CRL, HKP key server, WKD)",
            ("Address", Info.Address), ("Port", Info.Port), ("Tls", Info.Tls));
        if (HttpsEndPoint is { } https)
        {
            tracer.ForLab(LabOrigin.Host, "lab", TraceRole.WEB).Emit(TraceKind.ListenerStarted,
                $"WEB listening on https://{https} (MTA-STS policies of <data>/mta-sts, certificate for {string.Join(", ", HttpsCertificate!.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false))} ...)",
                ("Address", https.Address.ToString()), ("Port", https.Port), ("Tls", "implicit"));
        }
        started.TrySetResult();
    }

    /// <summary>
    /// Counts each connection against the limits; one over them gets 503 and is closed (RFC 9110 §15.6.4),
    /// as the mail listeners answer 421, and a SessionRefused event.
    /// </summary>
    private async Task Limit(ConnectionContext connection, ConnectionDelegate next)
    {
        var client = (connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        if (limiter.TryAcquire(client) is { } refused)
        {
            tracer.For("lab", TraceRole.WEB).Emit(TraceKind.SessionRefused, $"web connection from {client} refused: {refused}",
                ("Client", client.ToString()), ("Reason", refused));
            string body = $"{refused}\n";
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            return; // returning closes the connection
        }
        try
        {
            await next(connection);
        }
        finally
        {
            limiter.Release(client);
        }
    }

    /// <summary>
    /// Every request waits until the lab has started, then is traced with its status and duration. A route
    /// that throws answers 500 and is an InternalError event, never an untraced failure.
    /// </summary>
    private async Task Gate(HttpContext context, RequestDelegate next)
    {
        await started.Task.WaitAsync(context.RequestAborted);
        var clock = Stopwatch.StartNew();
        var request = context.Request;
        // Whose request it is, decided while the connection is open: a lab client may close (and unregister) it
        // as soon as it has read the response, before the event below is written.
        var trace = WebRouteContext.Of(tracer, context);
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            tracer.For("lab", TraceRole.WEB).Emit(TraceKind.InternalError,
                $"web {request.Method} {request.Path}: {ex.GetType().Name}: {ex.Message}", ("Error", ex.ToString()), ("Reason", ex.Message));
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
        }
        string client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        int status = context.Response.StatusCode;
        trace.Emit(TraceKind.WebRequest,
            $"{request.Method} {request.Path}{request.QueryString} from {client}: {status}",
            ("Method", request.Method), ("Path", request.Path.Value ?? ""), ("Query", request.QueryString.Value ?? ""),
            ("Status", status), ("Client", client), ("Octets", context.Response.ContentLength ?? 0L),
            ("DurationMs", (int)clock.ElapsedMilliseconds));
    }

    /// <summary>Stops accepting; open requests get a moment to finish.</summary>
    public Task StopAsync() => KestrelApps.StopAsync(app);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (app is null) return;
        await StopAsync();
        await app.DisposeAsync();
        app = null;
    }
}
