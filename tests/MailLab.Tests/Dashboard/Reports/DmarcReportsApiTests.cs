using System.Net;
using System.Text.Json;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard.Reports;

/// <summary><c>/api/reports/...</c> over real HTTP, on reports the lab really made and delivered.</summary>
public sealed class DmarcReportsApiTests(ReportsFixture fx) : IClassFixture<ReportsFixture>
{
    private static List<(string Ip, long Count, string Disposition, string Dkim, string Spf)> Rows(JsonElement report) =>
        report.GetProperty("rows").EnumerateArray().Select(r => (r.GetProperty("sourceIp").GetString()!, r.GetProperty("count").GetInt64(),
            r.GetProperty("disposition").GetString()!, r.GetProperty("dkim").GetString()!, r.GetProperty("spf").GetString()!)).ToList();

    // bank's report on bank.test: the two forged mails from evil's address (rejected, nothing aligned) and the two
    // failure reports bank mailed to itself (SPF aligned pass; unsigned, so no DKIM), as AggregateReportTests reads the mail.
    private static readonly List<(string, long, string, string, string)> BankRows =
        [("127.0.3.1", 2L, "reject", "fail", "fail"), ("127.0.2.1", 2L, "pass", "fail", "pass")];

    [Fact]
    public async Task The_instructor_sees_the_report_bank_sent_and_the_same_report_received_in_postmaster_with_its_rows()
    {
        using var http = await fx.SignedIn();
        var (status, json) = await Json(http, "/api/reports/dmarc");
        Assert.Equal(HttpStatusCode.OK, status);
        string id = fx.Sent.Field("ReportId")!;
        var sent = Assert.Single(json.GetProperty("sent").EnumerateArray(), r => r.GetProperty("reportId").GetString() == id);
        Assert.Equal(("bank", "bank.test", "reject", "mx.bank.test", 4L), (sent.GetProperty("site").GetString(), sent.GetProperty("domain").GetString(),
            sent.GetProperty("policy").GetString(), sent.GetProperty("reporter").GetString(), sent.GetProperty("messages").GetInt64()));
        Assert.Equal(["postmaster@bank.test"], sent.GetProperty("sentTo").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(BankRows, Rows(sent));
        Assert.True(sent.GetProperty("begin").GetDateTimeOffset() <= sent.GetProperty("end").GetDateTimeOffset());

        var received = Assert.Single(json.GetProperty("received").EnumerateArray(), r => r.GetProperty("reportId").GetString() == id);
        Assert.Equal("postmaster@bank.test", received.GetProperty("mailbox").GetString());
        Assert.True(received.GetProperty("uid").GetUInt32() > 0);
        Assert.Equal(BankRows, Rows(received));
        var row = received.GetProperty("rows")[0];
        Assert.Equal(("none", "evil.test pass", "bank.test"), (row.GetProperty("dkimResults").GetString(), row.GetProperty("spfResults").GetString(),
            row.GetProperty("headerFrom").GetString()));
        Assert.True(json.GetProperty("scanned").GetInt32() >= 3); // at least the two failure reports and the aggregate one
        Assert.Equal(0, json.GetProperty("notScanned").GetInt32());

        // No TLS report among them (nothing asked for 'maillab tlsrpt send' here): the same scan, an empty list, not an error.
        var (tls, tlsJson) = await Json(http, "/api/reports/tls");
        Assert.Equal(HttpStatusCode.OK, tls);
        Assert.Equal(json.GetProperty("scanned").GetInt32(), tlsJson.GetProperty("scanned").GetInt32());
    }

    [Fact]
    public async Task The_series_counts_pass_and_fail_per_source_once_per_report_even_when_sent_and_received()
    {
        using var http = await fx.SignedIn();
        var (status, json) = await Json(http, "/api/reports/dmarc/series?bucket=60");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(60, json.GetProperty("bucket").GetInt64());
        var times = json.GetProperty("times").EnumerateArray().Select(t => t.GetInt64()).ToList();
        Assert.NotEmpty(times);
        Assert.All(times, t => Assert.Equal(0, t % 60));
        var sources = json.GetProperty("sources").EnumerateArray().ToDictionary(s => s.GetProperty("sourceIp").GetString()!);
        (long Pass, long Fail) Sum(string ip) => (sources[ip].GetProperty("pass").EnumerateArray().Sum(x => x.GetInt64()),
            sources[ip].GetProperty("fail").EnumerateArray().Sum(x => x.GetInt64()));
        // Counted once: the report is in the sent archive and in postmaster's INBOX, and 127.0.3.1 only ever sent the two forgeries.
        Assert.Equal((0L, 2L), Sum("127.0.3.1"));
        Assert.True(Sum("127.0.2.1").Pass >= 2);
        Assert.All(sources.Values, s => Assert.Equal(times.Count, s.GetProperty("pass").GetArrayLength()));

        var (_, hourly) = await Json(http, "/api/reports/dmarc/series");
        Assert.Equal(3600, hourly.GetProperty("bucket").GetInt64());
    }

    [Theory]
    [InlineData("/api/reports/dmarc/series?bucket=59", "bucket must be")]
    [InlineData("/api/reports/dmarc/series?bucket=604801", "bucket must be")]
    [InlineData("/api/reports/dmarc/series?bucket=-60", "bucket must be")]
    [InlineData("/api/reports/dmarc/series?bucket=1h", "bucket must be")]
    [InlineData("/api/reports/dmarc/series?bucket=60&bucket=120", "more than once")]
    [InlineData("/api/reports/dmarc/series?buckets=60", "unknown parameter 'buckets'")]
    [InlineData("/api/reports/dmarc?limit=5", "unknown parameter 'limit'")]
    [InlineData("/api/reports/failures?q=x", "unknown parameter 'q'")]
    [InlineData("/api/reports/tls?after=1", "unknown parameter 'after'")]
    [InlineData("/api/reports/failures/no-colon", "mailbox:uid")]
    [InlineData("/api/reports/failures/postmaster@bank.test:x1", "mailbox:uid")]
    [InlineData("/api/reports/failures/postmaster@bank.test:99999999999", "mailbox:uid")]
    [InlineData("/api/reports/failures/not%20an%20address:1", "mailbox:uid")]
    public async Task Bad_input_is_a_400_that_says_what_is_wrong(string path, string says)
    {
        using var http = await fx.SignedIn();
        var (status, json) = await Json(http, path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(says, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_long_id_is_a_400_and_an_absent_report_a_404()
    {
        using var http = await fx.SignedIn();
        Assert.Equal(HttpStatusCode.BadRequest, (await Json(http, "/api/reports/failures/" + new string('a', 400) + "@bank.test:1")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Json(http, "/api/reports/failures/postmaster@bank.test:999999")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Json(http, "/api/reports/failures/nobody@bank.test:1")).Status);
    }

    [Fact]
    public async Task Failure_reports_are_listed_and_each_reads_with_its_feedback_fields_and_the_reported_headers()
    {
        using var http = await fx.SignedIn();
        var (status, json) = await Json(http, "/api/reports/failures");
        Assert.Equal(HttpStatusCode.OK, status);
        var list = json.GetProperty("reports").EnumerateArray().ToList();
        Assert.Equal(2, list.Count);
        Assert.All(list, r =>
        {
            Assert.Equal(("postmaster@bank.test", "bank.test", "127.0.3.1", "dmarc", "<mallory@evil.test>"), (r.GetProperty("mailbox").GetString(),
                r.GetProperty("reportedDomain").GetString(), r.GetProperty("sourceIp").GetString(), r.GetProperty("authFailure").GetString(),
                r.GetProperty("originalMailFrom").GetString()));
            Assert.Equal($"postmaster@bank.test:{r.GetProperty("uid").GetUInt32()}", r.GetProperty("id").GetString());
        });

        var (one, detail) = await Json(http, "/api/reports/failures/" + Uri.EscapeDataString(list[0].GetProperty("id").GetString()!));
        Assert.Equal(HttpStatusCode.OK, one);
        var fields = detail.GetProperty("fields").EnumerateArray().Select(f => (f.GetProperty("name").GetString(), f.GetProperty("value").GetString())).ToList();
        Assert.Contains(("Feedback-Type", "auth-failure"), fields);
        Assert.Contains(("Original-Rcpt-To", "<bob@bank.test>"), fields);
        Assert.Contains(("Identity-Alignment", "none"), fields);
        var headers = detail.GetProperty("reportedHeaders").GetString()!;
        Assert.Contains("From: The CEO <ceo@bank.test>", headers);
        Assert.Contains("Subject: urgent", headers);
        Assert.DoesNotContain("Pay now", headers); // headers only, never the body (RFC 6591 §3.1 text/rfc822-headers)
        Assert.StartsWith("DMARC failure report for bank.test", detail.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task A_student_sees_only_reports_in_their_own_mailbox_and_nothing_the_lab_sent()
    {
        using var instructor = await fx.SignedIn();
        var (_, failures) = await Json(instructor, "/api/reports/failures");
        string id = Uri.EscapeDataString(failures.GetProperty("reports")[0].GetProperty("id").GetString()!);

        // bob's INBOX has alice's mail, no report: nothing; postmaster's failure report is "not found", as if absent.
        using var bob = await fx.SignedIn("bob@bank.test", "lab-bob");
        var (status, mine) = await Json(bob, "/api/reports/dmarc");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, mine.GetProperty("sent").GetArrayLength());
        Assert.Equal(0, mine.GetProperty("received").GetArrayLength());
        Assert.Equal(0, (await Json(bob, "/api/reports/failures")).Json.GetProperty("reports").GetArrayLength());
        Assert.Empty((await Json(bob, "/api/reports/dmarc/series")).Json.GetProperty("sources").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await Json(bob, "/api/reports/failures/" + id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/reports/failures/" + id)).StatusCode);
        Assert.DoesNotContain("127.0.3.1", await bob.GetStringAsync("/reports"));

        // postmaster owns the rua/ruf mailbox: its reports, still none of what the lab sent.
        using var postmaster = await fx.SignedIn("postmaster@bank.test", "lab-postmaster");
        var (_, theirs) = await Json(postmaster, "/api/reports/dmarc");
        Assert.Equal(0, theirs.GetProperty("sent").GetArrayLength());
        Assert.All(theirs.GetProperty("received").EnumerateArray(), r => Assert.Equal("postmaster@bank.test", r.GetProperty("mailbox").GetString()));
        Assert.Contains(theirs.GetProperty("received").EnumerateArray(), r => r.GetProperty("reportId").GetString() == fx.Sent.Field("ReportId"));
        Assert.Equal(HttpStatusCode.OK, (await Json(postmaster, "/api/reports/failures/" + id)).Status);

        // Nobody signed in: 401 for the API, the sign-in page for the pages.
        using var anonymous = Client(fx.Lab);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/reports/dmarc")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync("/reports")).StatusCode);
    }

    [Fact]
    public async Task The_page_shows_the_same_reports_as_tables_with_the_series_as_a_table_and_links_each_failure_report()
    {
        using var http = await fx.SignedIn();
        var page = await http.GetStringAsync("/reports");
        Assert.Contains("<table id=\"series-table\">", page);
        Assert.Contains("<table id=\"received\" class=\"reports\">", page);
        Assert.Contains("<table id=\"sent\" class=\"reports\">", page);
        Assert.Contains(WebUtility.HtmlEncode(fx.Sent.Field("ReportId")!), page);
        Assert.Contains("<span aria-hidden=\"true\">✗</span> not aligned", page);
        Assert.Contains("src=\"/assets/uplot.min.js\"", page);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(page, "href=\"/reports/failures/postmaster%40bank.test%3A\\d+\"").Count);
        Assert.DoesNotContain("<script>", page); // CSP: no inline script

        var (_, failures) = await Json(http, "/api/reports/failures");
        var one = await http.GetStringAsync("/reports/failures/" + Uri.EscapeDataString(failures.GetProperty("reports")[0].GetProperty("id").GetString()!));
        Assert.Contains("<dt>Source-IP</dt><dd>127.0.3.1</dd>", one);
        Assert.Contains("From: The CEO &lt;ceo@bank.test&gt;", one);
        var bad = await http.GetAsync("/reports/failures/nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // The vendored chart library and its licence are served from the fixed asset list.
        Assert.Contains("MIT License", await http.GetStringAsync("/assets/uplot.LICENSE.txt"));
        Assert.StartsWith("/*! https://github.com/leeoniya/uPlot (v1.6.32) */", await http.GetStringAsync("/assets/uplot.min.js"));
    }
}
