using System.IO.Compression;
using System.Text.Json;
using System.Xml;
using System.Xml.Schema;
using MailLab.MailAuth.Dmarc;
using MailLab.Server.Reports;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Dmarc;

/// <summary>Aggregate reports: generated XML against the RFC 9990 schema, real samples read back, and the whole loop through the lab.</summary>
public sealed class AggregateReportTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "Dmarc", "data");

    internal static void Validate(string xml)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(AggregateReportXml.Namespace, Path.Combine(Data, "dmarc-xml-0.2.xsd"));
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = schemas };
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message}");
        using (var r = XmlReader.Create(new StringReader(xml), settings)) while (r.Read()) { }
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + xml);
    }

    private static DmarcReportEntry Entry(string ip, string disposition, bool aligned, string? overrideType = null) => new()
    {
        Time = DateTimeOffset.UtcNow, SourceIp = ip, HeaderFrom = "bank.test", EnvelopeFrom = aligned ? "bank.test" : "evil.test",
        EnvelopeTo = "bank.test", PolicyDomain = "bank.test", Record = "v=DMARC1; p=reject; np=quarantine; t=n; fo=1",
        Discovery = "treewalk", Disposition = disposition, DkimAligned = aligned, SpfAligned = aligned,
        OverrideType = overrideType, OverrideComment = overrideType is null ? null : "monitor only",
        Dkim = aligned ? [new ReportDkim("bank.test", "lab-rsa", "pass")] : [], SpfDomain = aligned ? "bank.test" : "evil.test", SpfResult = aligned ? "pass" : "pass",
    };

    [Fact]
    public void Generated_xml_validates_against_the_rfc9990_schema_and_counts_group()
    {
        var meta = new ReportMetadata("mx.bank.test", "postmaster@bank.test", "r1", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), DateTimeOffset.FromUnixTimeSeconds(1_700_000_600));
        var xml = AggregateReportXml.Build(meta, [Entry("127.0.3.1", "reject", false), Entry("127.0.3.1", "reject", false),
            Entry("127.0.2.1", "pass", true), Entry("127.0.3.1", "none", false, "local_policy")], DmarcMode.Rfc9989);
        Validate(xml);
        var report = AggregateReportReader.ParseXml(System.Text.Encoding.UTF8.GetBytes(xml));
        Assert.Equal(("mx.bank.test", "r1", "bank.test", "reject"), (report.OrgName, report.ReportId, report.PolicyDomain, report.Policy));
        Assert.Equal([("127.0.3.1", 2L, "reject"), ("127.0.2.1", 1L, "pass"), ("127.0.3.1", 1L, "none")],
            report.Rows.Select(r => (r.SourceIp, r.Count, r.Disposition)));
        Assert.Contains("<np>quarantine</np>", xml);
        // The table: one row per record (the two 127.0.3.1 records stay two rows), labelled columns.
        var table = AggregateReportReader.Table(report).Split('\n');
        Assert.Matches(@"^  source IP +count +header_from +SPF result +SPF aligned +DKIM result +DKIM aligned +disposition$", table[1]);
        Assert.Equal(2, table.Count(l => l.StartsWith("  127.0.3.1 ")));
        Assert.Contains("3 records, 4 messages", table[^2]);
        Assert.Matches(@"^  127\.0\.2\.1 +1 +bank\.test +bank\.test pass +yes +bank\.test pass +yes +pass$", Assert.Single(table, l => l.StartsWith("  127.0.2.1 ")));
        Assert.Matches(@"^  127\.0\.3\.1 +2 +bank\.test +evil\.test pass +no +none +no +reject$", Assert.Single(table, l => l.Contains(" reject")));
        Assert.Contains("<type>local_policy</type>", xml);
        // RFC 7489 mode: Appendix C shape, no namespace, pct instead of np/testing/discovery_method.
        var old = AggregateReportXml.Build(meta, [Entry("127.0.3.1", "reject", false)], DmarcMode.Rfc7489);
        Assert.DoesNotContain("urn:ietf", old);
        Assert.Contains("<pct>100</pct>", old);
        Assert.DoesNotContain("<np>", old);
    }

    [Fact]
    public void Control_characters_in_a_report_reach_the_table_escaped()
    {
        // Anyone can mail a report to postmaster. XML 1.0 forbids ESC, but allows a CR (a forged line),
        // C1 controls (U+009B is CSI on many terminals) and bidi overrides: none may reach the terminal raw.
        var xml = """
            <feedback><report_metadata><org_name>evil&#xd;aggregate report forged</org_name><report_id>r1</report_id>
            <date_range><begin>1700000000</begin><end>1700000600</end></date_range></report_metadata>
            <policy_published><domain>bank.test</domain><p>reject</p></policy_published>
            <record><row><source_ip>127.0.3.1</source_ip><count>1</count><policy_evaluated><disposition>none</disposition>
            <dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>bank.test&#x9b;2J&#x202e;</header_from></identifiers></record>
            </feedback>
            """;
        var table = AggregateReportReader.Table(AggregateReportReader.ParseXml(System.Text.Encoding.UTF8.GetBytes(xml)));
        Assert.DoesNotContain('\r', table);
        Assert.DoesNotContain('\u009b', table);
        Assert.DoesNotContain('\u202e', table);
        Assert.Contains(@"evil\raggregate report forged", table);
        Assert.Contains(@"bank.test\x9b2J\u202e", table);
    }

    public static TheoryData<string> StalwartSamples() => new(Directory.GetFiles(Path.Combine(Data, "aggregate", "stalwart"), "*.json").Select(Path.GetFileNameWithoutExtension).Order()!);

    [Theory]
    [MemberData(nameof(StalwartSamples))]
    public void Real_reports_read_as_stalwart_parsed_them(string name)
    {
        var dir = Path.Combine(Data, "aggregate", "stalwart");
        var file = File.Exists(Path.Combine(dir, name + ".xml")) ? name + ".xml" : name + ".eml";
        var report = Assert.Single(AggregateReportReader.Read(File.ReadAllBytes(Path.Combine(dir, file))));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        var root = json.RootElement;
        Assert.Equal(root.GetProperty("report_metadata").GetProperty("report_id").GetString(), report.ReportId);
        Assert.Equal(root.GetProperty("policy_published").GetProperty("domain").GetString(), report.PolicyDomain);
        Assert.Equal(root.GetProperty("record").EnumerateArray().Sum(r => r.GetProperty("row").GetProperty("count").GetInt64()), report.Rows.Sum(r => r.Count));
        Assert.Contains("source IP", AggregateReportReader.Table(report));
    }

    [Theory]
    [InlineData("rfc9990-sample.xml", 123)]
    [InlineData("fastmail.com_example.com_1516060800_1516147199_102675056.xml.gz", 1)]
    [InlineData("estadocuenta1.infonacot.gob.mx_example.com_1536853302_1536939702_2940.xml.zip", 1)]
    [InlineData("mimecast-weird-gzip.eml", 1)]
    [InlineData("twilight.eml", 1)]
    [InlineData("old_draft_from_wiki.xml", 2)]
    [InlineData("empty_reason.xml", 1)]
    [InlineData("report_with_upper_cased_pass.xml", 1)]
    public void Parsedmarc_samples_read(string file, long atLeast)
    {
        var reports = AggregateReportReader.Read(File.ReadAllBytes(Path.Combine(Data, "aggregate", "parsedmarc", file)));
        Assert.True(reports.Sum(r => r.Rows.Sum(x => x.Count)) >= atLeast);
        Assert.All(reports, r => Assert.NotEmpty(r.PolicyDomain));
    }

    [Fact]
    public void The_same_report_plain_gzip_and_zip_reads_the_same()
    {
        var gz = Assert.Single(AggregateReportReader.Read(File.ReadAllBytes(Path.Combine(Data, "aggregate", "parsedmarc", "nice-input.xml.gz"))));
        var zip = Assert.Single(AggregateReportReader.Read(File.ReadAllBytes(Path.Combine(Data, "aggregate", "parsedmarc", "nice-input.xml.zip"))));
        Assert.Equal(gz.Rows, zip.Rows);
        Assert.Equal(gz.ReportId, zip.ReportId);
    }

    [Theory]
    [InlineData("empty.xml", "empty file")]
    [InlineData("invalid_xml.xml", "not well-formed XML")]
    [InlineData("invalid_utf_8.xml", "not well-formed XML")]
    public void Broken_reports_are_refused_with_the_reason(string file, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => AggregateReportReader.Read(File.ReadAllBytes(Path.Combine(Data, "aggregate", "parsedmarc", file))));
        Assert.StartsWith(reason, ex.Message);
    }

    [Fact]
    public void Missing_parts_are_named()
    {
        Assert.Equal("root element is <html>, not <feedback>", Assert.Throws<FormatException>(() => AggregateReportReader.ParseXml("<html/>"u8.ToArray())).Message);
        Assert.Equal("<feedback> has no <report_metadata>", Assert.Throws<FormatException>(() => AggregateReportReader.ParseXml("<feedback/>"u8.ToArray())).Message);
        Assert.Equal("the mail has no report attachment (xml, gzip or zip)",
            Assert.Throws<FormatException>(() => AggregateReportReader.Read("From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n"u8.ToArray())).Message);
    }

    [Fact]
    public async Task External_destination_needs_the_receivers_consent()
    {
        var dns = new Spf.FakeSpfResolver().Record("example.org._report._dmarc.external.org", "v=DMARC1");
        var resolver = new SpfBackedDmarcResolver(dns);
        var psl = PublicSuffixList.Load();
        Assert.True((await ReportAuthorization.CheckAsync(resolver, psl, "example.org", "dmarc@example.org", default)).Allowed);
        Assert.True((await ReportAuthorization.CheckAsync(resolver, psl, "example.org", "dmarc@mail.example.org", default)).Allowed);
        Assert.True((await ReportAuthorization.CheckAsync(resolver, psl, "example.org", "dmarc@external.org", default)).Allowed);
        var other = await ReportAuthorization.CheckAsync(resolver, psl, "example.org", "domain@other.org", default);
        Assert.False(other.Allowed);
        Assert.Contains("example.org._report._dmarc.other.org has no v=DMARC1 record", other.Why);
    }

    [Fact]
    public async Task Report_send_delivers_to_the_rua_mailboxes_with_counts_that_match()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "legit", "bob@bank.test");
        await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        for (int i = 0; i < 2; i++) Assert.StartsWith("550 5.7.1 DMARC", await DmarcAtMtaTests.SendForged(lab));
        // Each forged message gave bank a failure report (ruf=, fo=1), itself mail from 127.0.2.1 that passes DMARC.
        await lab.WaitForEvent(e => e.Kind == TraceKind.DmarcEvaluated && e.Field("Result") == "pass" && e.Field("FromDomain") == "bank.test"
            && lab.Events(TraceKind.DmarcEvaluated).Count(x => x.Field("FromDomain") == "bank.test" && x.Field("Result") == "pass") == 2);

        // What 'maillab dmarc report send' does: the request file, picked up by the running lab.
        var dir = Path.Combine(lab.DataDirectory, "dmarc");
        DmarcReporter.RequestSend(dir);
        var sent = await lab.WaitForEvent(e => e.Kind == TraceKind.DmarcReportSent && e.Field("PolicyDomain") == "bank.test" && e.Field("Messages") is not null, 15_000);
        Assert.Equal("4", sent.Field("Messages"));
        Assert.Equal(["postmaster@bank.test"], (string[])sent.Fields["SentTo"]!);
        // Like the CLI: the request file disappears once the summary is written.
        for (int i = 0; i < 100 && File.Exists(Path.Combine(dir, DmarcReporter.SendFile)); i++) await Task.Delay(100);
        Assert.Contains("bank -> bank.test:", await File.ReadAllTextAsync(Path.Combine(dir, DmarcReporter.LastSendFile)));

        var bankReport = await ReportIn(lab, "postmaster@bank.test");
        Assert.Equal([("127.0.3.1", 2L, "reject", "fail", "fail", "bank.test"), ("127.0.2.1", 2L, "pass", "pass", "fail", "bank.test")],
            bankReport.Rows.Select(row => (row.SourceIp, row.Count, row.Disposition, row.Spf, row.Dkim, row.HeaderFrom)));
        Assert.Equal(("bank.test", "reject", "mx.bank.test"), (bankReport.PolicyDomain, bankReport.Policy, bankReport.OrgName));

        // bank also reports uc.test's mail to uc.test's rua: SPF and DKIM aligned, disposition none (p=none).
        var ucReport = await ReportIn(lab, "postmaster@uc.test");
        var ucRow = Assert.Single(ucReport.Rows);
        Assert.Equal(("127.0.1.1", 1L, "none", "pass", "pass"), (ucRow.SourceIp, ucRow.Count, ucRow.Disposition, ucRow.Spf, ucRow.Dkim));
        // The data sent is gone once the reports are queued; what is collected now is the report mails' own evaluation.
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "bank"), "*.sending"));
        Assert.All(Directory.GetFiles(Path.Combine(dir, "bank")).SelectMany(File.ReadAllLines),
            l => Assert.Contains("\"sourceIp\":\"127.0.2.1\"", l));
    }

    /// <summary>Waits for the one mail in <paramref name="user"/>'s INBOX whose subject starts with <paramref name="subject"/>.</summary>
    internal static async Task<MimeMessage> MailWithSubject(TestLab lab, string user, string subject, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var found = new List<MimeMessage>();
            foreach (var m in await lab.Store.ListAsync(user, "INBOX", default))
            {
                await using var s = (await lab.Store.OpenReadAsync(m, default))!;
                var message = await MimeMessage.LoadAsync(s);
                if (message.Subject?.StartsWith(subject, StringComparison.Ordinal) == true) found.Add(message);
            }
            if (found.Count > 0) return Assert.Single(found);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no mail '{subject}...' in {user}'s INBOX");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the report mail in <paramref name="user"/>'s INBOX, validates its XML and reads it.</summary>
    private static async Task<AggregateReport> ReportIn(TestLab lab, string user)
    {
        var message = await MailWithSubject(lab, user, "Report Domain: ");
        var part = Assert.Single(message.Attachments.OfType<MimePart>());
        Assert.Equal("application/gzip", part.ContentType.MimeType);
        Assert.EndsWith(".xml.gz", part.FileName);
        using var ms = new MemoryStream();
        part.Content!.DecodeTo(ms);
        using var gz = new GZipStream(new MemoryStream(ms.ToArray()), CompressionMode.Decompress);
        var xml = await new StreamReader(gz).ReadToEndAsync();
        Validate(xml);
        return Assert.Single(AggregateReportReader.Read(ms.ToArray()));
    }
}
