using System.Globalization;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// The journey's JSON API, mounted by the dashboard under its <c>/api/</c> group (docs/journey.md):
/// <c>GET messages[?limit=n]</c> (the index, newest first) and <c>GET messages/{id}/journey</c>.
/// A malformed id or limit is a 400, an id no event names a 404 (problem details, RFC 9457).
/// </summary>
public static class JourneyApi
{
    /// <summary>The index's length when the request names none.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Maps the two routes on <paramref name="api"/>; <paramref name="events"/> is read afresh for each request.</summary>
    public static void MapJourneyApi(this IEndpointRouteBuilder api, Func<IEnumerable<TraceEvent>> events)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(events);
        api.MapGet("messages", (HttpRequest request) =>
        {
            int limit = DefaultLimit;
            if (request.Query.TryGetValue("limit", out var given))
            {
                if (given.Count != 1 || !int.TryParse(given[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit)
                    || limit is < 1 or > JourneyBuilder.MaxListed)
                {
                    return BadRequest($"limit must be a whole number from 1 to {JourneyBuilder.MaxListed}");
                }
            }
            return Results.Json(JourneyBuilder.Recent(events(), limit), JourneyJsonContext.Default.IReadOnlyListMessageSummary);
        });
        api.MapGet("messages/{id}/journey", (string id) =>
        {
            if (!JourneyBuilder.IsQueueId(id))
            {
                return BadRequest("a message id is a lab queue id: 12 characters of 0-9 and the consonants B-Z, e.g. 8HYQ0H8VG4FG");
            }
            return JourneyBuilder.Build(events(), id) is { } journey
                ? Results.Json(journey, JourneyJsonContext.Default.MessageJourney)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "no such message", detail: $"no trace event names the queue id {id}");
        });
    }

    private static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "bad request", detail: detail);
}
