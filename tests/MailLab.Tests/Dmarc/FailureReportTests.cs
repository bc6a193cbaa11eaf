using MailLab.Server.Reports;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Dmarc;

/// <summary>Failure reports (RFC 9991 / RFC 6591 ARF) to ruf= per fo=, through the lab.</summary>
public sealed class FailureReportTests
{
    [Fact]
    public async Task The_forged_ceo_mail_gives_bank_an_arf_report_with_its_headers()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        Assert.StartsWith("550 5.7.1 DMARC", await DmarcAtMtaTests.SendForged(lab));
        var sent = await lab.WaitForEvent(e => e.Kind == TraceKind.DmarcReportSent && e.Field("Report") == "failure");
        Assert.Equal(["postmaster@bank.test"], (string[])sent.Fields["SentTo"]!);

        var report = await AggregateReportTests.MailWithSubject(lab, "postmaster@bank.test", "DMARC failure report for bank.test");
        var body = Assert.IsType<MultipartReport>(report.Body);
        Assert.Equal("feedback-report", body.ReportType);
        Assert.Equal(["text/plain", "message/feedback-report", "text/rfc822-headers"], body.Select(p => p.ContentType.MimeType));
        var human = ((TextPart)body[0]).Text;
        Assert.True(human.Contains("Sender IP Address: 127.0.3.1"), human);
        Assert.Contains("SPF Alignment: no", human);
        Assert.Contains("DKIM Alignment: no", human);
        var feedback = Text((MimePart)body[1]);
        foreach (var line in new[] { "Feedback-Type: auth-failure", "Auth-Failure: dmarc", "Source-IP: 127.0.3.1", "Reported-Domain: bank.test",
            "Original-Mail-From: <mallory@evil.test>", "Original-Rcpt-To: <bob@bank.test>", "Identity-Alignment: none", "Delivery-Result: reject" })
        {
            Assert.Contains(line + "\r\n", feedback);
        }
        Assert.Contains("Authentication-Results: mx.bank.test; spf=pass smtp.mailfrom=mallory@evil.test; dkim=none; dmarc=fail", feedback);
        using var raw = new MemoryStream();
        body[2].WriteTo(raw); // MimeKit parses text/rfc822-headers as a message of its own: take its content as sent
        var entity = System.Text.Encoding.UTF8.GetString(raw.ToArray());
        var headers = entity.Replace("\r\n", "\n");
        Assert.Contains("text/rfc822-headers", headers);
        Assert.Contains("\n\nFrom: The CEO <ceo@bank.test>\nTo: bob@bank.test\nSubject: urgent\n", headers);
        Assert.DoesNotContain("Pay now", headers); // headers only, never the body

        // Read back as 'maillab dmarc report show' does: the reader and the real command on the mail file.
        using var file = new MemoryStream();
        await report.WriteToAsync(file);
        var read = FailureReportReader.Read(file.ToArray());
        Assert.Equal(("auth-failure", "dmarc", "127.0.3.1", "<mallory@evil.test>", "reject"),
            (read.Field("Feedback-Type"), read.Field("Auth-Failure"), read.Field("Source-IP"), read.Field("Original-Mail-From"), read.Field("Delivery-Result")));
        var path = Path.Combine(TempDir.New("arf"), "failure.eml");
        await File.WriteAllBytesAsync(path, file.ToArray());
        var (code, output, err) = await MailLabProcess.Run("dmarc", "report", "show", path);
        Assert.True(code == 0, err);
        Assert.Contains("failure report (ARF): DMARC failure report for bank.test from 127.0.3.1", output);
        Assert.Matches(@"\n  Reported-Domain: +bank\.test\n", output);
        Assert.Matches(@"\n  Identity-Alignment: +none\n", output);
        Assert.Contains("reported message From: The CEO <ceo@bank.test>", output);
    }

    [Theory]
    [InlineData("From: a@bank.test\r\nSubject: hi\r\n", true)]
    [InlineData("From: a@bank.test\r\nContent-Type: multipart/report; report-type=feedback-report\r\n", false)]
    [InlineData("content-type:\r\n\tMultipart/REPORT;\r\n report-type=feedback-report\r\nFrom: a@bank.test\r\n", false)]
    [InlineData("Content-Type: multipart/mixed\r\nX-Note: multipart/report\r\n", true)]
    [InlineData("Content-Type: text/plain\r\n\tx=multipart/report", false)]
    public void A_report_is_never_reported_on_so_reports_cannot_loop(string headers, bool wanted)
    {
        var record = MailLab.MailAuth.Dmarc.DmarcRecord.Parse("v=DMARC1; p=reject; ruf=mailto:postmaster@bank.test; fo=0", out var error);
        Assert.Null(error);
        var failed = new MailLab.MailAuth.Dmarc.DmarcResult
        {
            Result = MailLab.MailAuth.Dmarc.DmarcResultCode.Fail,
            Author = MailLab.MailAuth.Dmarc.FromExtractor.Extract("From: a@bank.test\r\n\r\n"u8),
            Mode = MailLab.MailAuth.Dmarc.DmarcMode.Rfc9989,
            PolicyDomain = "bank.test",
            Record = record,
            Reason = "test",
        };
        Assert.Equal(wanted, FailureReporter.Wanted(failed, System.Text.Encoding.ASCII.GetBytes(headers)));
        // The same message passing DMARC is never wanted: fo=0 reports failures only.
        Assert.False(FailureReporter.Wanted(failed with { Result = MailLab.MailAuth.Dmarc.DmarcResultCode.Pass }, System.Text.Encoding.ASCII.GetBytes(headers)));
    }

    [Fact]
    public void A_mail_that_is_no_report_is_refused_with_the_reason()
    {
        var ex = Assert.Throws<FormatException>(() => FailureReportReader.Read("From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n"u8.ToArray()));
        Assert.Contains("not a failure report", ex.Message);
    }

    private static string Text(MimePart part)
    {
        using var ms = new MemoryStream();
        part.Content!.DecodeTo(ms);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
