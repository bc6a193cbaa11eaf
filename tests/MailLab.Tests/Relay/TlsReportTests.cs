using System.IO.Compression;
using System.Text.Json;
using MailLab.Server.Reports;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Relay;

/// <summary>
/// TLS reports (RFC 8460) end to end: the relay counts an MTA-STS failure, the lab reads the policy domain's
/// <c>_smtp._tls</c> record through its resolver, and the JSON report arrives by mail, DKIM-signed, at the rua address,
/// delivered despite the very TLS failure it reports (§5.3). Also the record parser and the CLI's reader.
/// </summary>
public sealed class TlsReportTests
{
    private const string Retry = "relay: { retry-intervals: [1h] }";

    private static Task EditZone(TestLab lab, string domain, Func<string, string> edit) => RelayTestHelpers.EditZone(lab, domain, edit);

    /// <summary>bank.test's MX becomes mx2.bank.test (its certificate says mx.bank.test) under an MTA-STS policy naming mx2.</summary>
    private static async Task MismatchedMx(TestLab lab, string mode)
    {
        await File.WriteAllTextAsync(Path.Combine(lab.DataDirectory, "mta-sts", "bank.test.txt"),
            $"version: STSv1\nmode: {mode}\nmx: mx2.bank.test\nmax_age: 86400\n");
        await EditZone(lab, "bank.test", z => z.Replace("@       IN  MX   10 mx.bank.test.", "@       IN  MX   10 mx2.bank.test.")
            + "\nmx2 IN A 127.0.2.1\n_mta-sts IN TXT \"v=STSv1; id=7;\"\n");
    }

    private static JsonElement Json(byte[] gz)
    {
        using var s = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        return JsonDocument.Parse(s).RootElement.Clone();
    }

    [Fact]
    public async Task A_testing_mode_failure_is_reported_as_JSON_by_DKIM_signed_mail_to_the_rua_address()
    {
        await using var lab = TestLab.Create(relay: Retry).Start();
        await MismatchedMx(lab, "testing");
        await RelayTestHelpers.SubmitAsAlice(lab, "testing mode", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");

        var outcome = Assert.Single(await lab.Runtime!.TlsReporter!.SendAllAsync(default));
        Assert.Equal(("uc", "bank.test", 1), (outcome.Site, outcome.PolicyDomain, outcome.Messages));
        Assert.Equal(["postmaster@bank.test"], outcome.SentTo);
        var sent = Assert.Single(lab.Events(TraceKind.TlsReportSent));
        Assert.Equal((LabOrigin.Report, "uc", outcome.QueueId), (sent.Origin, sent.Site, sent.Message));
        Assert.Equal(("0", "1"), (sent.Field("Successes"), sent.Field("Failures")));

        await RelayTestHelpers.Outcome(lab, "postmaster@bank.test", "delivered");
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(await RelayTestHelpers.OnlyMessage(lab, "postmaster@bank.test"))));
        // RFC 8460 §5.3: multipart/report; report-type=tlsrpt, the subject and the TLS-Report-* fields, DKIM-signed.
        Assert.Equal("multipart/report", message.Body!.ContentType.MimeType);
        Assert.Equal("tlsrpt", message.Body!.ContentType.Parameters["report-type"]);
        Assert.Equal("bank.test", message.Headers["TLS-Report-Domain"]);
        Assert.Equal("uc.test", message.Headers["TLS-Report-Submitter"]);
        Assert.StartsWith("Report Domain: bank.test Submitter: uc.test Report-ID: <", message.Subject);
        Assert.Contains(message.Headers, h => h.Field == "DKIM-Signature" && h.Value.Contains("d=uc.test"));
        // bank's MTA verified that signature: its Authentication-Results on the report itself.
        var results = message.Headers.Where(h => h.Field == "Authentication-Results").Select(h => h.Value).ToList();
        Assert.Contains(results, r => r.Contains("dkim=pass") && r.Contains("header.d=uc.test"));

        var part = Assert.Single(message.BodyParts.OfType<MimePart>(), p => p.ContentType.MimeType == TlsReporter.GzipMediaType);
        Assert.Matches(@"^uc\.test!bank\.test!\d+!\d+!.+\.json\.gz$", part.FileName);
        using var ms = new MemoryStream();
        part.Content!.DecodeTo(ms);
        var report = Json(ms.ToArray());
        Assert.Equal("mx.uc.test", report.GetProperty("organization-name").GetString());
        Assert.EndsWith("Z", report.GetProperty("date-range").GetProperty("end-datetime").GetString());
        var policy = Assert.Single(report.GetProperty("policies").EnumerateArray().ToList());
        Assert.Equal("sts", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Contains("mode: testing", policy.GetProperty("policy").GetProperty("policy-string").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["mx2.bank.test"], policy.GetProperty("policy").GetProperty("mx-host").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(0, policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt32());
        Assert.Equal(1, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt32());
        var failure = Assert.Single(policy.GetProperty("failure-details").EnumerateArray().ToList());
        Assert.Equal(("certificate-host-mismatch", "mx2.bank.test", "127.0.1.1", 1),
            (failure.GetProperty("result-type").GetString(), failure.GetProperty("receiving-mx-hostname").GetString(),
             failure.GetProperty("sending-mta-ip").GetString(), failure.GetProperty("failed-session-count").GetInt32()));

        // §5.3: the report's own session is not counted in the next report.
        Assert.True(lab.Runtime.TlsReports.IsEmpty);
        Assert.Empty(await lab.Runtime.TlsReporter.SendAllAsync(default));
    }

    [Fact]
    public async Task Under_enforce_the_mail_waits_but_the_report_of_that_failure_is_delivered_despite_it()
    {
        await using var lab = TestLab.Create(relay: Retry).Start();
        await MismatchedMx(lab, "enforce");
        await RelayTestHelpers.SubmitAsAlice(lab, "enforce mode", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "deferred");

        var outcome = Assert.Single(await lab.Runtime!.TlsReporter!.SendAllAsync(default));
        await RelayTestHelpers.Outcome(lab, "postmaster@bank.test", "delivered");
        // RFC 8460 §5.3: the report went out under no policy, said why, and was not counted.
        Assert.Contains(lab.Events(TraceKind.TlsPolicy), e => e.Message == outcome.QueueId && e.Field("Step") == "decision"
            && e.Field("Policy") == "opportunistic" && e.Field("Reason")!.Contains("RFC 8460 §5.3"));
        Assert.True(lab.Runtime.TlsReports.IsEmpty);
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));

        // maillab tlsrpt show reads the report mail from the mailbox.
        var (code, output, err) = await MailLabProcess.Run("tlsrpt", "show", "--mailbox", "postmaster@bank.test", "--data", lab.DataDirectory);
        Assert.True(code == 0, err);
        Assert.Contains("policy sts for bank.test (mx mx2.bank.test): 0 successful, 1 failed sessions", output);
        Assert.Contains("1 x certificate-host-mismatch at mx2.bank.test from 127.0.1.1", output);
    }

    [Fact]
    public async Task A_domain_without_a_TLSRPT_record_gets_no_report_and_the_trace_says_why()
    {
        await using var lab = TestLab.Create(relay: Retry).Start();
        await MismatchedMx(lab, "testing");
        await EditZone(lab, "bank.test", z => z.Replace("_smtp._tls  IN  TXT  \"v=TLSRPTv1; rua=mailto:postmaster@bank.test\"", ""));
        await RelayTestHelpers.SubmitAsAlice(lab, "no record", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");

        var outcome = Assert.Single(await lab.Runtime!.TlsReporter!.SendAllAsync(default));
        Assert.Empty(outcome.SentTo);
        Assert.Null(outcome.QueueId);
        Assert.Equal("_smtp._tls.bank.test: no v=TLSRPTv1 record", Assert.Single(lab.Events(TraceKind.TlsReportSent)).Field("Reason"));
    }

    [Theory]
    [InlineData(new[] { "v=TLSRPTv1; rua=mailto:tls@bank.test" }, "mailto:tls@bank.test", null)]
    [InlineData(new[] { "v=spf1 -all", "v=TLSRPTv1;rua=mailto:a@x.test,https://r.x.test/v1" }, "mailto:a@x.test|https://r.x.test/v1", null)]
    [InlineData(new[] { "v=spf1 -all" }, null, "no v=TLSRPTv1 record")]
    [InlineData(new[] { "v=TLSRPTv1; rua=mailto:a@x.test", "v=TLSRPTv1; rua=mailto:b@x.test" }, null, "2 v=TLSRPTv1 records (exactly one is needed)")]
    [InlineData(new[] { "v=TLSRPTv1; ruf=mailto:a@x.test" }, null, "the record has no rua=")]
    [InlineData(new[] { "v=TLSRPTv1; rua=ftp://x.test" }, null, "rua= must list mailto: or https: URIs, not 'ftp://x.test'")]
    public void The_record_is_found_as_RFC_8460_section_3_says(string[] txt, string? rua, string? problem)
    {
        var record = TlsRptRecord.Find(txt, out var why);
        Assert.Equal(rua, record is null ? null : string.Join("|", record.Rua));
        Assert.Equal(problem, why);
    }

    [Theory]
    [InlineData("mailto:tls@bank.test", "tls@bank.test")]
    [InlineData("mailto:tls%2Breports@bank.test?subject=x", "tls+reports@bank.test")]
    [InlineData("https://r.bank.test/tlsrpt", null)]
    [InlineData("mailto:nobody", null)]
    public void A_mailto_URI_gives_its_address(string uri, string? address) => Assert.Equal(address, TlsRptRecord.MailtoAddress(uri));

    [Fact]
    public async Task The_reader_refuses_what_is_not_a_TLS_report_with_the_reason()
    {
        var file = Path.Combine(TempDir.New("tlsrpt"), "not-a-report.json");
        await File.WriteAllTextAsync(file, "{\"policies\": 3}");
        var (code, _, err) = await MailLabProcess.Run("tlsrpt", "show", file);
        Assert.Equal(1, code);
        Assert.Contains("not an RFC 8460 TLS report", err);
    }
}

/// <summary>The relay's TLS-RPT counts stay bounded whatever hosts and reasons a student's zones produce.</summary>
public sealed class TlsReportCounterTests
{
    private static readonly MailLab.Server.Relay.TlsDecision Dane = new(MailLab.Server.Relay.TlsPolicyKind.Dane, true,
        MailLab.Server.Relay.CertificateCheck.Dane, true, [], "dane");

    [Fact]
    public void Failure_rows_and_policies_are_capped_and_every_session_is_still_counted()
    {
        var counter = new MailLab.Server.Relay.TlsReportCounter();
        for (int i = 0; i < 500; i++) counter.Add("uc", "bank.test", Dane, $"mx{i}.bank.test", "starttls-not-supported", $"reason {i}");
        var policy = Assert.Single(counter.Take("uc"));
        Assert.Equal(MailLab.Server.Relay.TlsReportCounter.MaxFailureRows + 1, policy.Counts.Failures.Count);
        Assert.Equal(500, policy.Counts.Failures.Values.Sum());
        Assert.Equal(400, policy.Counts.Failures[("starttls-not-supported", "-", "further failures past 100 rows")]);

        for (int i = 0; i < MailLab.Server.Relay.TlsReportCounter.MaxPolicies + 50; i++) counter.Add("uc", $"d{i}.test", Dane, "mx", null, "ok");
        Assert.Equal(MailLab.Server.Relay.TlsReportCounter.MaxPolicies, counter.Take("uc").Count);
        Assert.True(counter.IsEmpty);
    }
}
