using System.Text;
using System.Text.Json;
using MailLab.Server.Dns;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace MailLab.Server.Dashboard.Zones;

/// <summary>
/// Reads zone text sent to the editor's routes: <c>text/plain</c> (the text itself) or <c>application/json</c>
/// (<c>{"text": "..."}</c>), UTF-8, at most <see cref="MaxBytes"/>. The dashboard's 16 KiB body limit is raised
/// for these routes only: a zone with DKIM and OpenPGP keys, form-encoded, can pass it.
/// </summary>
internal static class ZoneBody
{
    /// <summary>Largest body: the reload's own cap on a zone file (1 MiB); larger is 413.</summary>
    public const long MaxBytes = ZoneStore.MaxZoneFileBytes;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Raises this request's body limit to <see cref="MaxBytes"/> (before anything reads the body).</summary>
    public static void AllowZoneSize(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBytes;
    }

    /// <summary>The zone text of the body, or the error answer to send instead.</summary>
    public static async Task<(string? Text, IResult? Refused)> Read(HttpContext http)
    {
        AllowZoneSize(http);
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type)
            || type.MediaType.Value is not ("text/plain" or "application/json")
            || type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return (null, DashboardApi.Problem(StatusCodes.Status415UnsupportedMediaType, "send the zone text as text/plain or as application/json {\"text\": \"...\"}, in UTF-8"));
        }
        if (http.Request.ContentLength > MaxBytes) return (null, TooLarge(http));
        byte[] bytes;
        try
        {
            bytes = await ReadCapped(http.Request.Body, http.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            return (null, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge(http) : DashboardApi.Problem(ex.StatusCode, $"the body is refused: {ex.Message}"));
        }
        if (bytes.Length > MaxBytes) return (null, TooLarge(http));
        string body;
        try
        {
            body = Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return (null, DashboardApi.Problem(StatusCodes.Status400BadRequest, "the body is not UTF-8"));
        }
        if (type.MediaType.Value == "text/plain") return (body, null);
        try
        {
            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                return (text.GetString(), null);
            }
        }
        catch (JsonException)
        {
        }
        return (null, DashboardApi.Problem(StatusCodes.Status400BadRequest, "the JSON body must be an object with a string \"text\": the zone file"));
    }

    /// <summary>
    /// The 413 answer, naming the limit. The rest of the body is never read, so the connection closes after the
    /// answer (RFC 9112 §9.6): a client must not send its next request on it.
    /// </summary>
    public static IResult TooLarge(HttpContext http)
    {
        http.Response.Headers.Connection = "close";
        return DashboardApi.Problem(StatusCodes.Status413PayloadTooLarge, $"the zone text is larger than {MaxBytes / 1024} KiB (the reload's limit on a zone file)");
    }

    // Reads at most MaxBytes + 1 octets: one more than allowed is enough to know it is too large.
    private static async Task<byte[]> ReadCapped(Stream body, CancellationToken ct)
    {
        var data = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await body.ReadAsync(chunk, ct)) > 0)
        {
            data.Write(chunk, 0, n);
            if (data.Length > MaxBytes) break;
        }
        return data.ToArray();
    }
}
