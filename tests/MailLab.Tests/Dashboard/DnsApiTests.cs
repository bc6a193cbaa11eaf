using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;
using static MailLab.Tests.Dashboard.DnsKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The DNS API over real HTTP (open, loopback dashboard): zones, the editor's check and save, the query log.</summary>
public sealed class DnsApiTests : DashboardLabTest
{
    // Appended to a zone file: "www IN A 10.0.0.300" has its address at column 10.
    private const string BrokenRecord = "www IN A 10.0.0.300\n";

    private async Task<string> FileText(string origin) => (await Json(http, "/api/zones/" + origin)).Json.GetProperty("text").GetString()!;

    [Fact]
    public async Task Zones_are_listed_and_one_zone_has_its_records_as_rows_and_its_file_text()
    {
        var (status, json) = await Json(http, "/api/zones");
        Assert.Equal(HttpStatusCode.OK, status);
        var zones = json.GetProperty("zones").EnumerateArray().ToList();
        Assert.Contains(zones, z => z.GetProperty("origin").GetString() == "127.in-addr.arpa");
        var bank = zones.Single(z => z.GetProperty("origin").GetString() == "bank.test");
        Assert.Equal(("bank", "bank.test.zone"), (bank.GetProperty("site").GetString(), bank.GetProperty("file").GetString()));
        Assert.Equal(await Serial(lab, "bank.test"), bank.GetProperty("serial").GetUInt32());
        Assert.DoesNotContain(lab.DataDirectory, json.GetRawText()); // a file name, never the lab machine's path

        (status, json) = await Json(http, "/api/zones/BANK.test.");
        Assert.Equal(HttpStatusCode.OK, status);
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(json.GetProperty("records").GetInt32(), rows.Count);
        Assert.Contains(rows, r => r.GetProperty("name").GetString() == "bank.test." && r.GetProperty("type").GetString() == "MX"
            && r.GetProperty("data").GetString() == "10 mx.bank.test." && r.GetProperty("class").GetString() == "IN" && r.GetProperty("ttl").GetUInt32() == 3600);
        Assert.DoesNotContain(rows, r => r.GetProperty("type").GetString() is "RRSIG" or "NSEC");
        Assert.Equal(File.ReadAllText(ZoneFile(lab, "bank.test")), json.GetProperty("text").GetString());
        Assert.Empty(json.GetProperty("fileErrors").EnumerateArray());

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/zones/nowhere.test")).StatusCode);
        (status, json) = await Json(http, "/api/zones/" + Uri.EscapeDataString("bank test;"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("origin", json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/zones/" + new string('a', 254))).StatusCode);
    }

    [Fact]
    public async Task Check_says_ok_for_good_text_and_gives_line_and_column_of_a_broken_record()
    {
        string text = await FileText("bank.test");
        var good = await http.PostAsync("/api/zones/bank.test/check", new StringContent(text + "www IN A 10.0.0.30\n", Encoding.UTF8, "text/plain"));
        var json = JsonDocument.Parse(await good.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Empty(json.GetProperty("errors").EnumerateArray());

        // JSON works the same; the error is where the file reload would put it.
        var broken = await http.PostAsJsonAsync("/api/zones/bank.test/check", new { text = text + BrokenRecord });
        json = JsonDocument.Parse(await broken.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, broken.StatusCode);
        Assert.False(json.GetProperty("ok").GetBoolean());
        var error = Assert.Single(json.GetProperty("errors").EnumerateArray());
        Assert.Equal(text.Count(c => c == '\n') + 1, error.GetProperty("line").GetInt32());
        Assert.Equal(10, error.GetProperty("column").GetInt32());
        var reload = ZoneFileParser.Parse(text + BrokenRecord, "bank.test.zone", "bank.test").Errors.Single();
        Assert.Equal(reload.Problem, error.GetProperty("message").GetString());
        Assert.Contains("10.0.0.300", reload.Problem);

        // A second zone with an origin another file serves is refused, as the reload refuses it.
        var clash = await http.PostAsync("/api/zones/bank.test/check", new StringContent(await FileText("uc.test"), Encoding.UTF8, "text/plain"));
        json = JsonDocument.Parse(await clash.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("already served from uc.test.zone", json.GetProperty("errors")[0].GetProperty("message").GetString());

        // Bad input: a clear error, never a 500.
        var form = await http.PostAsync("/api/zones/bank.test/check", new FormUrlEncodedContent(new Dictionary<string, string> { ["text"] = text }));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        var notJson = await http.PostAsync("/api/zones/bank.test/check", new StringContent("{\"zone\": 1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("\"text\"", (await notJson.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        var latin1 = await http.PostAsync("/api/zones/bank.test/check", new ByteArrayContent([0x40, 0xE9, 0x0A]) { Headers = { { "Content-Type", "text/plain" } } });
        Assert.Equal(HttpStatusCode.BadRequest, latin1.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/zones/nowhere.test/check", new StringContent(text, Encoding.UTF8, "text/plain"))).StatusCode);
    }

    [Fact]
    public async Task A_broken_save_is_422_with_its_line_and_the_served_zone_and_file_stay_as_they_were()
    {
        string token = await PageToken(http, "/dns/bank.test");
        string before = File.ReadAllText(ZoneFile(lab, "bank.test"));
        uint serial = await Serial(lab, "bank.test");
        var r = await Put(http, "bank.test", before + BrokenRecord, token);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        var json = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Contains("nothing was saved", json.GetProperty("error").GetString());
        var error = Assert.Single(json.GetProperty("errors").EnumerateArray());
        Assert.Equal((before.Count(c => c == '\n') + 1, 10), (error.GetProperty("line").GetInt32(), error.GetProperty("column").GetInt32()));

        Assert.Equal(before, File.ReadAllText(ZoneFile(lab, "bank.test")));
        Assert.Equal(serial, await Serial(lab, "bank.test"));
        Assert.Equal(DnsRcode.NXDomain, (await Ask(lab, "www.bank.test", DnsType.A)).Rcode);
        Assert.DoesNotContain(lab.Events(TraceKind.ZoneReloadFailed), e => e.Field("Zone") == "bank.test" || e.Text.Contains("bank.test.zone"));
    }

    [Fact]
    public async Task A_good_save_is_served_over_the_DNS_wire_at_once_and_traced_as_ZoneLoaded()
    {
        string token = await PageToken(http, "/dns/bank.test");
        string before = File.ReadAllText(ZoneFile(lab, "bank.test"));
        string after = before.Replace("2025010101 ; serial", "2026120701 ; serial", StringComparison.Ordinal) + "www IN A 10.0.0.30\n";
        Assert.NotEqual(before + "www IN A 10.0.0.30\n", after);
        var r = await Put(http, "bank.test", after, token);
        var json = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(json.GetProperty("ok").GetBoolean());
        var zone = json.GetProperty("zone");
        Assert.Equal("bank.test", zone.GetProperty("origin").GetString());

        // No poll to wait for: the answer comes after the reload.
        var answer = await Ask(lab, "www.bank.test", DnsType.A);
        Assert.Equal(IPAddress.Parse("10.0.0.30"), answer.AnswerData<AddressData>(DnsType.A).Single().Address);
        Assert.Equal(await Serial(lab, "bank.test"), zone.GetProperty("serial").GetUInt32());
        Assert.Equal(after, File.ReadAllText(ZoneFile(lab, "bank.test")));
        Assert.Contains(lab.Events(TraceKind.ZoneLoaded), e => e.Field("Zone") == "bank.test" && e.Field("Serial") == "2026120701");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(ZoneFile(lab, "bank.test"))!, "*.tmp"));
    }

    [Fact]
    public async Task A_save_needs_the_antiforgery_token_a_known_zone_and_at_most_1_MiB()
    {
        string before = File.ReadAllText(ZoneFile(lab, "bank.test"));
        var r = await Put(http, "bank.test", before + "www IN A 10.0.0.30\n", token: null);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("antiforgery", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        r = await Put(http, "bank.test", before, token: "forged-token");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        string token = await PageToken(http, "/dns/bank.test");
        Assert.Equal(HttpStatusCode.NotFound, (await Put(http, "nowhere.test", before, token)).StatusCode);
        // Over the reload's 1 MiB cap (and far over the dashboard's usual 16 KiB): 413, with a JSON reason.
        r = await Put(http, "bank.test", before + "; " + new string('x', (int)ZoneStore.MaxZoneFileBytes) + "\n", token);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("KiB", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        // A zone with a 64 KiB comment (more than 16 KiB) is within the limit.
        r = await Put(http, "bank.test", before + "; " + new string('x', 64 * 1024) + "\n", token);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(DnsRcode.NXDomain, (await Ask(lab, "www.bank.test", DnsType.A)).Rcode);
    }

    [Fact]
    public async Task The_query_log_tells_the_labs_own_lookups_from_a_students_dig()
    {
        var dns = lab.Runtime!.Dns!.EndPoint;
        // A lab resolver's socket (registered, as each site's resolver is) and a student's dig from 127.0.0.1.
        Assert.True((await new DnsTransport(dns, IPAddress.Parse("127.0.1.1"), labResolver: true).QueryAsync("bank.test", DnsType.MX)).Ok);
        await Ask(lab, "mx.bank.test", DnsType.A);
        await Ask(lab, "nowhere.uc.test", DnsType.A);

        var (status, json) = await Json(http, "/api/dns/queries");
        Assert.Equal(HttpStatusCode.OK, status);
        var rows = json.GetProperty("queries").EnumerateArray().ToList();
        Assert.True(rows.Select(q => q.GetProperty("seq").GetInt64()).SequenceEqual(rows.Select(q => q.GetProperty("seq").GetInt64()).OrderDescending()));
        var labRow = rows.First(q => q.GetProperty("name").GetString() == "bank.test" && q.GetProperty("type").GetString() == "MX");
        Assert.True(labRow.GetProperty("lab").GetBoolean());
        Assert.Equal(("resolver", "127.0.1.1", "NOERROR"), (labRow.GetProperty("origin").GetString(), labRow.GetProperty("client").GetString(), labRow.GetProperty("rcode").GetString()));
        Assert.Equal(["bank.test. 3600 IN MX 10 mx.bank.test."], labRow.GetProperty("answers").EnumerateArray().Select(a => a.GetString()));
        var student = rows.First(q => q.GetProperty("name").GetString() == "mx.bank.test");
        Assert.False(student.GetProperty("lab").GetBoolean());
        Assert.Equal("127.0.0.1", student.GetProperty("client").GetString());
        Assert.Equal("NXDOMAIN", rows.First(q => q.GetProperty("name").GetString() == "nowhere.uc.test").GetProperty("rcode").GetString());

        (_, json) = await Json(http, "/api/dns/queries?who=students&limit=1");
        var one = Assert.Single(json.GetProperty("queries").EnumerateArray());
        Assert.Equal(("nowhere.uc.test", false), (one.GetProperty("name").GetString(), one.GetProperty("lab").GetBoolean()));
        Assert.True(json.GetProperty("more").GetBoolean());
        (_, json) = await Json(http, "/api/dns/queries?who=lab");
        Assert.All(json.GetProperty("queries").EnumerateArray(), q => Assert.True(q.GetProperty("lab").GetBoolean()));

        foreach (var bad in new[] { "limit=0", "limit=1001", "limit=x", "who=teachers", "lmit=5", "limit=1&limit=2" })
        {
            (status, json) = await Json(http, "/api/dns/queries?" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetString()), bad);
        }
        var page = await http.GetStringAsync("/dns");
        Assert.Contains("lab (resolver)", page);
        Assert.Contains("<td>student</td>", page);
    }
}
