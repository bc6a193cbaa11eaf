using System.Buffers;
using System.Text.Json;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace MailLab.Server.Dashboard;

/// <summary><c>/api/trace</c> (history from the in-memory ring) and <c>/api/trace/stream</c> (Server-Sent Events).</summary>
internal static class TraceApi
{
    /// <summary>How often an idle event stream sends a comment, so a dead client is noticed and proxies keep it open.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>How long a stream gathers live events before it writes them (a live view a tenth of a second late).</summary>
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Most events one write carries; the rest follow in the next.</summary>
    public const int MaxBatch = 5000;

    /// <summary>
    /// The answer of <c>/api/trace</c>: <c>Events</c> oldest first; <c>More</c> whether more matched than <c>limit</c>;
    /// <c>Last</c> the sequence number to pass as <c>after</c> for the next page (or the stream); <c>Retained</c> the oldest
    /// sequence number the ring still holds (older ones are only in trace.jsonl).
    /// </summary>
    public sealed record TracePage(IReadOnlyList<DashboardJson.ApiEvent> Events, bool More, long Last, long Retained);

    /// <summary>The answer of <c>/api/trace?view=row</c>: as <see cref="TracePage"/>, with rows of the live list for events.</summary>
    public sealed record RowPage(IReadOnlyList<DashboardJson.RowEvent> Events, bool More, long Last, long Retained);

    // The parameters are named for the OpenAPI document; the filter reads (and checks) the query itself, so all are
    // strings: a typed one would fail in the binder with an empty 400 instead of the filter's reason.
    public static IResult History(HttpContext http, string? site = null, string? role = null, string? session = null, string? message = null,
        string? kind = null, string? student = null, string? q = null, string? after = null, string? limit = null, string? view = null)
    {
        var context = DashboardContext.Of(http);
        var filter = TraceFilter.Parse(http.Request.Query, context.Lab.Definition, context.Viewer(http), null, out var error, out int status);
        if (filter is null) return DashboardApi.Problem(status, error!);
        if (filter.Rate is not null) return DashboardApi.Problem(StatusCodes.Status400BadRequest, "rate is for the stream (/api/trace/stream); the history pages with limit and after");
        var all = context.Trace.Query();
        var scope = filter.Student is { } s ? TraceFilter.StudentEvents(all, s) : null;
        var matched = all.Where(e => filter.Matches(e) && (scope is null || scope.Contains(e.Sequence))).ToList();
        // Paging forward from `after` takes the first `limit`; without it, the newest `limit`.
        var page = filter.After is null ? matched.Skip(Math.Max(0, matched.Count - filter.Limit)) : matched.Take(filter.Limit);
        var chosen = page.ToList();
        long last = chosen.Count > 0 ? chosen[^1].Sequence : filter.After ?? (all.Count > 0 ? all[^1].Sequence : 0);
        bool more = matched.Count > chosen.Count;
        long retained = all.Count > 0 ? all[0].Sequence : 0;
        return filter.Rows
            ? DashboardJson.Result(new RowPage(chosen.ConvertAll(DashboardJson.RowOf), more, last, retained))
            : DashboardJson.Result(new TracePage(chosen.ConvertAll(DashboardJson.Of), more, last, retained));
    }

    public static async Task Stream(HttpContext http, string? site = null, string? role = null, string? session = null, string? message = null,
        string? kind = null, string? student = null, string? q = null, string? after = null, string? view = null, string? rate = null,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId = null)
    {
        var context = DashboardContext.Of(http);
        if (http.Request.Query.ContainsKey("limit"))
        {
            await DashboardApi.Error(http, StatusCodes.Status400BadRequest, "the stream takes no limit: it replays at most 10000 events, then live ones");
            return;
        }
        var filter = TraceFilter.Parse(http.Request.Query, context.Lab.Definition, context.Viewer(http), lastEventId, out var error, out int status);
        if (filter is null)
        {
            await DashboardApi.Error(http, status, error!);
            return;
        }
        var viewer = context.Viewer(http);
        if (context.TryOpenStream(viewer) is { } refused)
        {
            http.Response.Headers.RetryAfter = "10";
            await DashboardApi.Error(http, refused, refused == StatusCodes.Status429TooManyRequests
                ? $"you have {DashboardContext.MaxStreamsPerUser} event streams open already (close a tab)"
                : $"too many event streams open (at most {DashboardContext.MaxStreams})");
            return;
        }
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, context.Stopping);
            await Run(http, context, filter, cts.Token);
        }
        catch (OperationCanceledException)
        {
            // The client left or the lab stops: the stream ends.
        }
        finally
        {
            context.CloseStream(viewer);
        }
    }

    private static async Task Run(HttpContext http, DashboardContext context, TraceFilter filter, CancellationToken ct)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // The backlog is the ring up to `position`; live events are read from there on: they overlap nor gap. Only a
        // replay or a student's scope needs the backlog itself (decoding the whole ring per stream cost 50 tabs dearly).
        long position = context.Trace.Count;
        var all = filter.After is null && filter.Student is null ? [] : context.Trace.Query(out position);
        // A student's scope is made once from the ring, then grows with each batch (StudentScope.Tracker).
        var student = filter.Student is { } who ? new StudentScope.Tracker(who) : null;
        var numbered = student is null ? null : RecordedEvent.Number(all);
        if (numbered is not null) student!.Grow(numbered);
        var budget = filter.Rate is { } rate ? new RateBudget(rate) : null;
        var frames = filter.Rows ? context.StreamRows : context.StreamJson;
        var writer = new ArrayBufferWriter<byte>(16 * 1024);
        writer.Write("retry: 2000\n\n"u8);
        // A stream without after/Last-Event-ID starts with live events only; with one, it first replays what followed it.
        if (filter.After is not null)
        {
            int sent = 0;
            for (int i = 0; i < all.Count && sent < TraceFilter.MaxLimit; i++)
            {
                if (!filter.Matches(all[i]) || student is not null && !student.Contains(numbered![i])) continue;
                sent++;
                if (budget is null || budget.Take(all[i].Sequence)) writer.Write(frames.Frame(all[i]));
            }
            if (budget?.Gap() is { } gap) writer.Write(gap);
        }
        await Flush(http, writer, ct);
        var batch = new List<TraceEvent>();
        Task? beat = null;
        while (true)
        {
            long seen = context.Trace.Count;
            batch.Clear();
            position = context.Trace.ReadFrom(position, batch, MaxBatch);
            if (batch.Count == 0)
            {
                // One timer until it fires, not one per wake-up.
                beat ??= Task.Delay(Heartbeat, ct);
                var woke = context.Trace.WhenAppended(seen, ct);
                if (await Task.WhenAny(woke, beat) == beat)
                {
                    await beat; // throws when cancelled
                    beat = null;
                    writer.Write(": keep-alive\n\n"u8);
                    await Flush(http, writer, ct);
                    continue;
                }
                await woke;
                // The events of the next moment join this one's write: under load a stream writes a few times a
                // second, not once per event (50 projector tabs would otherwise wake for each of thousands a second).
                await Task.Delay(BatchWindow, ct);
                continue;
            }
            var mine = student is null ? null : RecordedEvent.Number(batch);
            budget?.Refill();
            if (student?.Grow(mine!) is { Count: > 0 } joined)
            {
                // A session that joined the student's scope now (the receiving site's, at MessageReceived) sends what it
                // said before this batch too: its SPF steps are the lesson. The page puts them in place by number.
                foreach (var e in Earlier(context.Trace.Query(), joined, batch[0].Sequence))
                {
                    if (filter.Matches(e) && (budget is null || budget.Take(e.Sequence))) writer.Write(frames.Frame(e));
                }
            }
            for (int i = 0; i < batch.Count; i++)
            {
                var e = batch[i];
                if (!filter.Matches(e) || student is not null && !student.Contains(mine![i])) continue;
                if (budget is null || budget.Take(e.Sequence)) writer.Write(frames.Frame(e));
            }
            if (budget?.Gap() is { } gap) writer.Write(gap);
            if (writer.WrittenCount > 0) await Flush(http, writer, ct);
        }
    }

    /// <summary>The events of <paramref name="sessions"/> (keys of one run: <c>1/C12</c>) numbered before <paramref name="before"/>.</summary>
    private static IEnumerable<TraceEvent> Earlier(IReadOnlyList<TraceEvent> ring, IReadOnlyList<string> sessions, long before)
    {
        var ids = sessions.Select(k => k[(k.IndexOf('/') + 1)..]).ToHashSet(StringComparer.Ordinal);
        return ring.Where(e => e.Sequence < before && e.Session is { } s && ids.Contains(s));
    }

    private static async Task Flush(HttpContext http, ArrayBufferWriter<byte> writer, CancellationToken ct)
    {
        await http.Response.Body.WriteAsync(writer.WrittenMemory, ct);
        await http.Response.Body.FlushAsync(ct);
        writer.ResetWrittenCount();
    }
}
