using System.Net;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The dashboard (lab key <c>dashboard:</c>): a Kestrel app of its own beside the lab web service, with HTML
/// pages, a JSON API under <c>/api/</c> and Server-Sent Events from the in-memory trace. Its own app because
/// it has what the web service must not: cookie sign-in, antiforgery and long-lived event streams.
/// Its requests are not trace events (the live trace page would watch itself); start-up and errors are.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>Largest request body (the sign-in form): 16 KiB; larger gets 413.</summary>
    public const long MaxBodyBytes = 16 * 1024;

    /// <summary>Most connections at once (browsers keep several, plus one per open event stream).</summary>
    public const int MaxConnections = 400;

    private readonly TaskCompletionSource<DashboardContext> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();
    private readonly Tracer tracer;
    private readonly LabDashboard settings;
    private WebApplication? app;
    private TraceFollower? follower;

    /// <summary>Creates (but does not bind) the dashboard.</summary>
    internal DashboardServer(LabDefinition lab, Tracer tracer)
    {
        settings = lab.Dashboard;
        this.tracer = tracer;
        Info = new ListenerInfo("lab", "DASHBOARD", settings.AddressFor(lab.Web), settings.PortFor(lab.Web), "none");
    }

    /// <summary>The listener as listeners.json shows it; after <see cref="Bind"/> it carries the real port.</summary>
    public ListenerInfo Info { get; private set; }

    /// <summary>The HTTPS certificate (from the lab CA) when <c>tls:</c> asks for HTTPS; null: plain HTTP.</summary>
    internal System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>The dashboard's base URL, <c>http(s)://ADDRESS:PORT</c>.</summary>
    public string Url => $"{(Certificate is null ? "http" : "https")}://{(Info.Address.Contains(':') ? $"[{Info.Address}]" : Info.Address)}:{Info.Port}";

    /// <summary>Whether every page and API call needs a signed-in user: bound beyond loopback, or <c>require-sign-in</c>.</summary>
    public bool SignInRequired => settings.RequireSignIn || !IPAddress.IsLoopback(IPAddress.Parse(Info.Address));

    /// <summary>Binds the port (requests wait for <see cref="Start"/>); throws <see cref="ListenerBindException"/> with the reason.</summary>
    public void Bind()
    {
        if (!IPAddress.TryParse(Info.Address, out var address))
        {
            throw new ListenerBindException("lab", Info.Role, $"{Info.Address}:{Info.Port}", "not an IP address");
        }
        var builder = Web.KestrelApps.Builder();
        builder.Services.AddRouting();
        builder.Services.AddLogging();
        DashboardAccess.AddServices(builder.Services);
        DashboardApi.AddServices(builder.Services);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            o.Limits.MaxRequestBodySize = MaxBodyBytes;
            o.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            o.Limits.MaxRequestLineSize = 8 * 1024;
            o.Limits.MaxRequestHeaderCount = 50;
            o.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            o.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
            o.Limits.MaxConcurrentConnections = MaxConnections;
            o.Listen(address, Info.Port, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                if (Certificate is { } cert) l.UseHttps(cert);
            });
        });
        var web = builder.Build();
        web.Use(Gate);
        DashboardAccess.Use(web, () => SignInRequired);
        DashboardApi.Map(web);
        DashboardPages.Map(web);
        var bound = Web.KestrelApps.Start(web, Info);
        app = web;
        Info = Info with { Port = bound[0].Port, Tls = Certificate is null ? "none" : "implicit" };
    }

    /// <summary>What the routes read, once <see cref="Start"/> ran (tests reach the exercise board through it); null before.</summary>
    internal DashboardContext? Context => started.Task.IsCompletedSuccessfully ? started.Task.Result : null;

    /// <summary>Lets requests through, reading the running lab.</summary>
    internal void Start(DashboardLab lab)
    {
        started.TrySetResult(new DashboardContext(lab, tracer.Stream, SignInRequired, stopping.Token, tracer));
        string following = "";
        if (settings.Follow.Count > 0)
        {
            follower = new TraceFollower(settings.Follow, tracer);
            follower.Start();
            following = $"; also showing the trace of {string.Join(", ", settings.Follow)} (sessions {string.Join(", ", follower.Names.Select(n => n + ":..."))})";
        }
        tracer.ForLab(LabOrigin.Host, "lab", TraceRole.WEB).Emit(TraceKind.ListenerStarted,
            $"DASHBOARD listening on {Url} ({(SignInRequired ? "sign-in required" : "open: loopback")}){following}",
            ("Address", Info.Address), ("Port", Info.Port), ("Tls", Info.Tls));
    }

    /// <summary>Every request waits until the lab has started; a route that throws answers 500 and is an InternalError event.</summary>
    private async Task Gate(HttpContext context, RequestDelegate next)
    {
        context.Items[typeof(DashboardContext)] = await started.Task.WaitAsync(context.RequestAborted);
        DashboardPages.SecurityHeaders(context.Response);
        if (!SignInRequired && !IsLocalHost(context.Request.Host.Host))
        {
            // DNS rebinding: a web page whose name turns into 127.0.9.1 would be same-origin with the open dashboard
            // and could read the trace or post the zone editor's form; a browser here names it by address or localhost.
            await DashboardApi.Error(context, StatusCodes.Status421MisdirectedRequest,
                $"the open dashboard answers to its address or localhost, not to the name '{context.Request.Host.Host}'");
            return;
        }
        try
        {
            await next(context);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex)
        {
            // A body past the limit (413) or a malformed one: the client's fault, answered with Kestrel's status.
            if (!context.Response.HasStarted) context.Response.StatusCode = ex.StatusCode;
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            tracer.For("lab", TraceRole.WEB).Emit(TraceKind.InternalError,
                $"dashboard {context.Request.Method} {context.Request.Path}: {ex.GetType().Name}: {ex.Message}", ("Error", ex.ToString()), ("Reason", ex.Message));
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
        }
    }

    /// <summary>Whether a Host header names this machine directly: an IP address or <c>localhost</c>.</summary>
    internal static bool IsLocalHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host.Trim('[', ']'), out _);

    /// <summary>Stops accepting; open event streams end.</summary>
    public async Task StopAsync()
    {
        if (follower is not null) await follower.DisposeAsync();
        follower = null;
        if (app is null) return;
        await stopping.CancelAsync();
        await Web.KestrelApps.StopAsync(app);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (app is null) return;
        await StopAsync();
        await app.DisposeAsync();
        app = null;
        stopping.Dispose();
    }
}
