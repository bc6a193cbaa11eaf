using System.Text.Json.Serialization.Metadata;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;

namespace MailLab.Server.Dashboard;

/// <summary>
/// How the dashboard API writes JSON (camelCase names, enums as names, no indentation: one event per SSE data line;
/// <see cref="DashboardJsonContext"/>), and a trace event as the API shows it.
/// </summary>
internal static class DashboardJson
{
    /// <summary><paramref name="value"/> as the API's JSON response (its type must be listed on <see cref="DashboardJsonContext"/>).</summary>
    public static IResult Result<T>(T value, int? statusCode = null) => Results.Json(value, Info<T>(), statusCode: statusCode);

    /// <summary>How <typeparamref name="T"/> is written; a type missing from <see cref="DashboardJsonContext"/> fails the first request that uses it (and its test).</summary>
    public static JsonTypeInfo<T> Info<T>() =>
        (JsonTypeInfo<T>?)DashboardJsonContext.Default.GetTypeInfo(typeof(T))
        ?? throw new NotSupportedException($"{typeof(T)} is not listed on DashboardJsonContext");

    /// <summary>An event as the API shows it (the same fields as trace.jsonl, already redacted by the tracer).</summary>
    public static ApiEvent Of(TraceEvent e) =>
        new(e.Sequence, e.Time, e.Site, e.Role.ToString(), e.Session, e.Message, e.Kind.ToString(), e.Text, e.Origin, e.Fields);

    /// <summary>One event in <c>/api/trace</c> and the event stream.</summary>
    public sealed record ApiEvent(long Seq, DateTimeOffset Time, string Site, string Role, string? Session, string? Message,
        string Kind, string Text, string? Origin, IReadOnlyDictionary<string, object?> Fields);

    /// <summary>
    /// An event as one row of the live list (<c>view=row</c>): what the Live trace page shows, with the reply code of a
    /// reply as its only field. About a third of the bytes of <see cref="ApiEvent"/>; the whole event stays one
    /// <c>/api/trace?after=seq-1&amp;limit=1</c> away.
    /// </summary>
    public sealed record RowEvent(long Seq, DateTimeOffset Time, string Site, string Role, string? Session, string Kind, string Text, int? Code);

    /// <summary>The row of <paramref name="e"/>.</summary>
    public static RowEvent RowOf(TraceEvent e) =>
        new(e.Sequence, e.Time, e.Site, e.Role.ToString(), e.Session, e.Kind.ToString(), e.Text,
            e.Kind is TraceKind.ReplySent or TraceKind.RelayReplyReceived && e.Fields.TryGetValue("Code", out var code)
                ? code switch { int c => c, long l and >= 0 and < 1000 => (int)l, _ => null } // long: an event read back from a followed trace file
                : null);
}
