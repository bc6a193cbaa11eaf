using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailLab.Protocols.Dns;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;
using static MailLab.Tests.Dashboard.DnsKit;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// The DNS pages without JavaScript (plain HTTP): the zone editor's Check and Save as form posts, and who may edit:
/// a student reads zones but never edits them (page and API), the instructor does.
/// </summary>
public sealed class DnsPageTests
{
    private static FormUrlEncodedContent Form(string token, string text, string action) =>
        new(new Dictionary<string, string> { ["__antiforgery"] = token, ["text"] = text, ["action"] = action });

    [Fact]
    public async Task The_editor_form_checks_refuses_a_broken_record_with_its_line_and_saves_a_good_one()
    {
        await using var lab = DashboardKit.Lab();
        using var http = Client(lab);
        var list = await http.GetStringAsync("/dns");
        Assert.Contains("href=\"/dns/bank.test\"", list);
        Assert.Contains("<a href=\"/dns\" aria-current=\"page\">DNS</a>", list);

        string token = await PageToken(http, "/dns/bank.test");
        string text = File.ReadAllText(ZoneFile(lab, "bank.test"));
        var page = await http.GetStringAsync("/dns/bank.test");
        Assert.Contains("<textarea id=\"zone-text\" name=\"text\"", page);
        // The HTML parser drops a newline right after <textarea>: the page sends one more, so the file's first line is kept.
        Assert.Contains("autocapitalize=\"off\">\n; Zone file for bank.test", page);

        // A browser's textarea posts CRLF line ends: the line number is the same as in the file.
        string broken = (text + "www IN A 10.0.0.300\n").Replace("\n", "\r\n");
        int line = text.Count(c => c == '\n') + 1;
        var check = await http.PostAsync("/dns/bank.test", Form(token, broken, "check"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, check.StatusCode);
        string body = await check.Content.ReadAsStringAsync();
        Assert.Contains($"<li data-line=\"{line}\" data-column=\"10\"><a href=\"#zone-text\">line {line}, column 10: ", body);
        Assert.Contains("the check found errors", body);
        Assert.Contains("10.0.0.300", body); // the posted text stays in the editor

        var save = await http.PostAsync("/dns/bank.test", Form(token, broken, "save"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, save.StatusCode);
        Assert.Contains("not saved", await save.Content.ReadAsStringAsync());
        Assert.Equal(text, File.ReadAllText(ZoneFile(lab, "bank.test")));

        string good = (text + "www IN A 10.0.0.30\n").Replace("\n", "\r\n");
        check = await http.PostAsync("/dns/bank.test", Form(token, good, "check"));
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        Assert.Contains("no errors", await check.Content.ReadAsStringAsync());
        Assert.Equal(DnsRcode.NXDomain, (await Ask(lab, "www.bank.test", DnsType.A)).Rcode); // a check saves nothing

        save = await http.PostAsync("/dns/bank.test", Form(token, good, "save"));
        Assert.Equal(HttpStatusCode.Redirect, save.StatusCode);
        Assert.Equal("/dns/bank.test?saved=1#edit", save.Headers.Location!.OriginalString);
        Assert.Equal(text + "www IN A 10.0.0.30\n", File.ReadAllText(ZoneFile(lab, "bank.test"))); // LF kept, as the file had
        Assert.Equal(IPAddress.Parse("10.0.0.30"), (await Ask(lab, "www.bank.test", DnsType.A)).AnswerData<AddressData>(DnsType.A).Single().Address);
        Assert.Contains("saved", await http.GetStringAsync("/dns/bank.test?saved=1"));

        // A stale or missing token is refused and changes nothing.
        using var other = Client(lab);
        Assert.Equal(HttpStatusCode.BadRequest, (await other.PostAsync("/dns/bank.test", Form("forged", text, "save"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/dns/bank.test", Form(token, text, "delete"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dns/nowhere.test")).StatusCode);
        Assert.Contains("www IN A 10.0.0.30", File.ReadAllText(ZoneFile(lab, "bank.test")));
        // Past the 1 MiB limit the form is refused before it is read.
        using var big = Client(lab);
        var huge = await Oversized(big, new HttpRequestMessage(HttpMethod.Post, "/dns/bank.test") { Content = Form(token, new string('x', 1100 * 1024), "check") });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    [Fact]
    public async Task A_student_reads_zones_without_an_editor_and_cannot_save_while_the_instructor_can()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        string text = File.ReadAllText(ZoneFile(lab, "bank.test"));
        using var student = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(student, "alice@uc.test", "lab-alice")).StatusCode);
        var (status, json) = await Json(student, "/api/zones/bank.test");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEmpty(json.GetProperty("rows").EnumerateArray());
        Assert.False(json.TryGetProperty("text", out _)); // the file's comments name paths on the lab machine
        var page = await student.GetStringAsync("/dns/bank.test");
        Assert.DoesNotContain("<textarea", page);
        Assert.Contains("only the instructor edits them", page);

        // Her token is valid (the sign-out form's), yet a save is forbidden: by the API and by the form.
        string token = await PageToken(student, "/dns/bank.test");
        var put = await Put(student, "bank.test", text + "www IN A 10.0.0.30\n", token);
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("instructor", (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await student.PostAsync("/dns/bank.test", Form(token, text + "www IN A 10.0.0.30\n", "save"))).StatusCode);
        Assert.Equal(text, File.ReadAllText(ZoneFile(lab, "bank.test")));
        // Checking text changes nothing, so she may.
        var check = await student.PostAsync("/api/zones/bank.test/check", new StringContent(text, System.Text.Encoding.UTF8, "text/plain"));
        Assert.True((await check.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ok").GetBoolean());

        // The query log shows the questions from the addresses she used (she signed in from 127.0.0.1), not another's.
        await Ask(lab, "mx.uc.test", DnsType.A, IPAddress.Parse("127.0.0.2"));
        await Ask(lab, "www.uc.test", DnsType.A);
        (status, json) = await Json(student, "/api/dns/queries");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["www.uc.test"], json.GetProperty("queries").EnumerateArray().Select(q => q.GetProperty("name").GetString()));

        using var nobody = Client(lab);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Put(nobody, "bank.test", text, null)).StatusCode);

        using var instructor = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(instructor, "instructor", InstructorPassword)).StatusCode);
        Assert.Contains("<textarea", await instructor.GetStringAsync("/dns/bank.test"));
        token = await PageToken(instructor, "/dns/bank.test");
        Assert.Equal(HttpStatusCode.OK, (await Put(instructor, "bank.test", text + "www IN A 10.0.0.30\n", token)).StatusCode);
        Assert.Equal(IPAddress.Parse("10.0.0.30"), (await Ask(lab, "www.bank.test", DnsType.A)).AnswerData<AddressData>(DnsType.A).Single().Address);
        (_, json) = await Json(instructor, "/api/dns/queries?who=students");
        Assert.Contains(json.GetProperty("queries").EnumerateArray(), q => q.GetProperty("name").GetString() == "mx.uc.test");
    }
}
