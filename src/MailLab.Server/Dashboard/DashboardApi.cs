using MailLab.Server.Dashboard.Journey;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The dashboard's JSON API under <c>/api/</c>, described by the OpenAPI document at
/// <c>/api/openapi.json</c> (generated from these routes). Every page reads the same API, so an
/// instructor's script sees what the page shows. Later modules map their routes onto the same group.
/// </summary>
internal static class DashboardApi
{
    /// <summary>Where the OpenAPI document is served.</summary>
    public const string OpenApiPath = "/api/openapi.json";

    public static void AddServices(IServiceCollection services)
    {
        services.AddHttpContextAccessor(); // the journey API reads the request's viewer through it
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "MailLab dashboard API";
            doc.Info.Description = "Read-only views of the running lab and its trace; see docs/dashboard.md.";
            return Task.CompletedTask;
        }));
    }

    public static void Map(WebApplication app)
    {
        var http = app.Services.GetRequiredService<IHttpContextAccessor>();
        app.MapOpenApi(OpenApiPath);
        var api = app.MapGroup("/api");
        api.MapGet("/lab", (HttpContext http) => DashboardJson.Result(LabApi.Build(DashboardContext.Of(http), DashboardContext.Of(http).Viewer(http))))
            .WithSummary("The lab: sites, listeners, switches that are on, zones, users (never passwords).");
        api.MapGet("/trace", TraceApi.History)
            .WithSummary("Trace events from the in-memory ring, filtered; the newest `limit`, or the first `limit` after `after`.");
        api.MapGet("/trace/stream", TraceApi.Stream)
            .WithSummary("Server-Sent Events: the events after `after` (or Last-Event-ID), then live ones, with the same filters.");
        api.MapGet("/sessions/{id}", SessionApi.Get)
            .WithSummary("One session's transcript (C:/S: lines), the TLS boundary marked, AUTH redacted as in the trace.");
        // The journey of a message (Journey/, docs/journey.md), over the events the viewer may see.
        api.MapJourneyApi(() => http.HttpContext is { } request ? DashboardContext.Of(request).EventsFor(DashboardContext.Of(request).Viewer(request)) : []);
        // The zones of the lab DNS, the zone editor's check and save, the query log (Zones/).
        Zones.ZonesApi.Map(api);
        ReportsApi.Map(api); // DMARC reports (docs/dashboard.md "DMARC reports")
        ExerciseApi.Map(api); // the exercises grid and progress (ExerciseApi.cs)
        // Extension point: later modules (mailboxes, DNS, reports, exercises) map onto `api` here.
        Mailboxes.MailboxApi.Map(api);
    }

    /// <summary>An error as JSON, <c>{"error": "..."}</c>, with its status code.</summary>
    public static Task Error(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new ApiError(message), DashboardJson.Info<ApiError>());
    }

    /// <summary>An error result, <c>{"error": "..."}</c>.</summary>
    public static IResult Problem(int status, string message) => DashboardJson.Result(new ApiError(message), status);

    /// <summary>The body of every error answer.</summary>
    public sealed record ApiError(string Error);
}
