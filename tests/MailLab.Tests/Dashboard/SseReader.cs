using System.Net;
using System.Text;

namespace MailLab.Tests.Dashboard;

/// <summary>A Server-Sent Events client over HttpClient: reads id/event/data blocks as the browser's EventSource does.</summary>
public sealed class SseReader : IDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;

    private SseReader(HttpResponseMessage response, Stream body)
    {
        this.response = response;
        reader = new StreamReader(body, Encoding.UTF8);
    }

    /// <summary>One event: its id, event name and data.</summary>
    public sealed record Message(string? Id, string? Event, string Data);

    public static async Task<SseReader> Open(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"{path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}"); // an error answer has an end
        }
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        return new SseReader(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event that matches (comments and other events are skipped); fails after <paramref name="timeoutMs"/>.</summary>
    public async Task<Message> Next(Func<Message, bool> match, int timeoutMs = 15_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        string? id = null, name = null;
        var data = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    var m = new Message(id, name, data.ToString());
                    if (match(m)) return m;
                }
                (id, name) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line[6..]);
        }
    }

    public void Dispose()
    {
        reader.Dispose();
        response.Dispose();
    }
}
