using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailLab.Server.Dashboard.Journey;
using MailLab.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;

namespace MailLab.Tests.Dashboard.Journey;

/// <summary>
/// The journey API over real HTTP: a minimal Kestrel host on a loopback port chosen by the system mounts
/// <see cref="JourneyApi.MapJourneyApi"/> under <c>/api/</c>, as the dashboard does, over a real lab's trace.
/// </summary>
public sealed class JourneyApiTests
{
    private static async Task<(WebApplication App, HttpClient Http)> HostAsync(TestLab lab)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGroup("/api").MapJourneyApi(() => lab.Tracer.Stream.Query());
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(20) };
        return (app, http);
    }

    [Fact]
    public async Task Messages_and_journey_answer_json_and_refuse_unknown_and_malformed_ids()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        var id = await JourneyLabTests.ForgeCeoMail(lab);
        var (app, http) = await HostAsync(lab);
        await using var _ = app;
        using var __ = http;

        using var list = await http.GetAsync("/api/messages");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("application/json", list.Content.Headers.ContentType?.MediaType);
        var messages = (await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        var forged = Assert.Single(messages, m => m.GetProperty("id").GetString() == id);
        Assert.Equal(("rejected", "ceo@bank.test", "urgent", "bob@bank.test"),
            (forged.GetProperty("outcome").GetString(), forged.GetProperty("mailFrom").GetString(), forged.GetProperty("subject").GetString(),
             forged.GetProperty("to")[0].GetString()));

        using var journey = await http.GetAsync($"/api/messages/{id}/journey");
        Assert.Equal(HttpStatusCode.OK, journey.StatusCode);
        var j = await journey.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("rejected", id), (j.GetProperty("outcome").GetString(), j.GetProperty("id").GetString()));
        var spf = j.GetProperty("spf").EnumerateArray().Single(s => s.GetProperty("identity").GetString() == "mailfrom");
        Assert.Equal(("fail", "-all", "RFC 7208 §2.6.4", "https://www.rfc-editor.org/rfc/rfc7208#section-2.6.4"),
            (spf.GetProperty("result").GetString(), spf.GetProperty("decidingTerm").GetString(),
             spf.GetProperty("rfc").GetProperty("label").GetString(), spf.GetProperty("rfc").GetProperty("url").GetString()));
        var dmarc = j.GetProperty("dmarc")[0];
        Assert.Equal(("fail", "reject"), (dmarc.GetProperty("result").GetString(), dmarc.GetProperty("disposition").GetString()));
        var reply = j.GetProperty("replies")[0];
        Assert.Equal((550, "5.7.1"), (reply.GetProperty("code").GetInt32(), reply.GetProperty("enhanced").GetString()));

        // A well-formed id that no event names: 404; anything else in its place: 400; both as problem details.
        using var unknown = await http.GetAsync("/api/messages/0000000000BB/journey");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        foreach (var bad in new[] { "not-an-id", id.ToLowerInvariant(), id + "0", "AAAAAAAAAAAA", "%3Cscript%3E" })
        {
            using var r = await http.GetAsync($"/api/messages/{bad}/journey");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("<script>", await r.Content.ReadAsStringAsync());
        }
        foreach (var bad in new[] { "0", "1001", "-1", "ten", "1&limit=2", "99999999999999999999" })
        {
            using var r = await http.GetAsync($"/api/messages?limit={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        using var one = await http.GetAsync("/api/messages?limit=1");
        Assert.Single((await one.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        await app.StopAsync();
    }
}
