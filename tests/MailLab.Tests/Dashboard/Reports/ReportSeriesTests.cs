using System.IO.Compression;
using System.Text;
using MailLab.Server.Dashboard;
using MailLab.Server.Reports;

namespace MailLab.Tests.Dashboard.Reports;

/// <summary>The chart's numbers (buckets, pass rule, the "other" series, one count per report) and the scan's limits, without a lab.</summary>
public sealed class ReportSeriesTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static AggregateReport Report(string org, string id, DateTimeOffset begin, params ReportRow[] rows) =>
        new(org, id, "bank.test", "reject", begin, begin.AddHours(1), rows);

    private static ReportRow Row(string ip, long count, string dkim, string spf) => new(ip, count, "none", dkim, spf, "bank.test");

    [Fact]
    public void Rows_fall_in_the_bucket_of_their_reports_begin_and_pass_is_an_aligned_dkim_or_spf_pass()
    {
        var s = ReportSeries.Build([
            Report("a", "1", T0, Row("10.0.0.1", 3, "pass", "fail"), Row("10.0.0.1", 2, "fail", "fail"), Row("10.0.0.2", 1, "fail", "pass")),
            Report("a", "2", T0.AddMinutes(30), Row("10.0.0.1", 4, "fail", "fail")),
            Report("a", "3", T0.AddHours(5), Row("10.0.0.2", 7, "pass", "pass")),
        ], 3600);
        Assert.Equal([T0.ToUnixTimeSeconds() / 3600 * 3600, (T0.ToUnixTimeSeconds() + 5 * 3600) / 3600 * 3600], s.Times);
        var one = Assert.Single(s.Sources, x => x.SourceIp == "10.0.0.1");
        Assert.Equal([3L, 0L], one.Pass);
        Assert.Equal([6L, 0L], one.Fail);
        Assert.Equal(9L, one.Total);
        var two = Assert.Single(s.Sources, x => x.SourceIp == "10.0.0.2");
        Assert.Equal([1L, 7L], two.Pass);
        Assert.Equal([0L, 0L], two.Fail);
        Assert.Equal("10.0.0.1", s.Sources[0].SourceIp); // busiest first
        Assert.Equal(3, s.Reports);
    }

    [Fact]
    public void A_report_seen_twice_counts_once_and_sources_past_the_tenth_are_summed_as_other()
    {
        var rows = Enumerable.Range(1, 12).Select(i => Row($"10.0.1.{i}", 100 - i, "fail", "fail")).ToArray();
        var sent = Report("mx.bank.test", "r1", T0, rows);
        var received = Report("MX.bank.test", "r1", T0, rows);
        var s = ReportSeries.Build([sent, received], 60);
        Assert.Equal(1, s.Reports);
        Assert.Equal(ReportSeries.MaxSources + 1, s.Sources.Count);
        Assert.Equal(ReportSeries.Other, s.Sources[^1].SourceIp);
        Assert.Equal([(100L - 11) + (100 - 12)], s.Sources[^1].Fail);
        Assert.Equal([99L], s.Sources[0].Fail);
        Assert.Empty(ReportSeries.Build([], 60).Times);
    }

    [Fact]
    public void The_scan_takes_a_report_mail_and_leaves_other_mail_and_oversized_or_broken_reports_as_not_a_report()
    {
        const string xml = "<feedback><report_metadata><org_name>o</org_name><report_id>r</report_id><date_range><begin>1700000000</begin>"
            + "<end>1700000600</end></date_range></report_metadata><policy_published><domain>bank.test</domain><p>reject</p></policy_published>"
            + "<record><row><source_ip>10.0.0.1</source_ip><count>2</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim>"
            + "<spf>pass</spf></policy_evaluated></row></record></feedback>";
        var report = ReportScan.Parse("postmaster@bank.test", 7, T0, Gzip(Encoding.UTF8.GetBytes(xml)));
        Assert.Equal(("postmaster@bank.test:7", "r", 2L), (report!.Id, Assert.Single(report.Aggregates).ReportId, report.Aggregates[0].Rows[0].Count));
        Assert.Null(ReportScan.Parse("bob@bank.test", 1, T0, "From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n"u8.ToArray()));
        Assert.Null(ReportScan.Parse("bob@bank.test", 1, T0, [0x50, 0x4b, 1, 2, 3])); // "PK" and then not a zip

        // A gzip bomb: 40 MiB of zeros in a few KiB; inflating stops at the readers' cap.
        Assert.Null(ReportScan.Parse("bob@bank.test", 1, T0, Gzip(new byte[40 * 1024 * 1024])));
        // A zip of many entries is refused before any is read.
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i <= AggregateReportReader.MaxZipEntries; i++)
            {
                using var e = zip.CreateEntry($"r{i}.xml").Open();
                e.Write(Encoding.UTF8.GetBytes(xml));
            }
        }
        var ex = Assert.Throws<FormatException>(() => AggregateReportReader.Read(ms.ToArray()));
        Assert.Contains("entries, over", ex.Message);
    }

    [Fact]
    public void A_tls_report_mail_reads_as_maillab_tlsrpt_show_prints_it()
    {
        var json = """
            {"organization-name":"mx.uc.test","date-range":{"start-datetime":"2026-12-07T00:00:00Z","end-datetime":"2026-12-07T01:00:00Z"},
             "contact-info":"postmaster@uc.test","report-id":"tls-1","policies":[{"policy":{"policy-type":"tlsa","policy-domain":"bank.test"},
             "summary":{"total-successful-session-count":3,"total-failure-session-count":1},"failure-details":[{"result-type":"tlsa-invalid",
             "sending-mta-ip":"127.0.1.1","receiving-mx-hostname":"mx.bank.test","failed-session-count":1,"failure-reason-code":"no match"}]}]}
            """;
        var report = ReportScan.Parse("postmaster@bank.test", 3, T0, Gzip(Encoding.UTF8.GetBytes(json)));
        Assert.Empty(report!.Aggregates);
        Assert.Null(report.Failure);
        var text = Assert.Single(report.TlsReports!);
        Assert.Contains("TLS report tls-1 from mx.uc.test", text);
        Assert.Contains("policy tlsa for bank.test: 3 successful, 1 failed sessions", text);
        Assert.Contains("tlsa-invalid at mx.bank.test from 127.0.1.1: no match", text);
    }

    [Fact]
    public async Task The_scan_reads_only_the_mailboxes_asked_for_and_skips_a_message_over_the_size_cap()
    {
        using var dir = new MailLab.Tests.Store.StoreTestDirectory();
        var store = dir.NewStore();
        const string xml = "<feedback><report_metadata><org_name>o</org_name><report_id>r9</report_id><date_range><begin>1700000000</begin>"
            + "<end>1700000600</end></date_range></report_metadata><policy_published><domain>bank.test</domain><p>reject</p></policy_published>"
            + "<record><row><source_ip>10.0.0.9</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim>"
            + "<spf>fail</spf></policy_evaluated></row></record></feedback>";
        await Deliver(store, "postmaster@bank.test", Encoding.UTF8.GetBytes(xml));
        // The same report padded past the cap (XML allows trailing whitespace): not read, so not found.
        await Deliver(store, "postmaster@bank.test", Encoding.UTF8.GetBytes(xml + new string(' ', (int)ReportScan.MaxMessageBytes)));
        await Deliver(store, "bob@bank.test", "From: a@uc.test\r\nSubject: hi\r\n\r\nnot a report\r\n"u8.ToArray());

        var all = await ReportScan.ScanAsync(store.ListUsers().Select(m => (store, m)), default);
        Assert.Equal((3, 0), (all.Scanned, all.NotScanned));
        var found = Assert.Single(all.Reports);
        Assert.Equal(("postmaster@bank.test", "r9"), (found.Mailbox, Assert.Single(found.Aggregates).ReportId));
        Assert.Empty((await ReportScan.ScanAsync([(store, "bob@bank.test")], default)).Reports);
        Assert.Empty((await ReportScan.ScanAsync([(store, "nobody@bank.test")], default)).Reports);
        Assert.Null(await ReportScan.FindAsync(store, "postmaster@bank.test", 999, default));
        Assert.NotNull(await ReportScan.FindAsync(store, "postmaster@bank.test", found.Uid, default));

        // Another process's store, read-only (the classroom dashboard): the same report, and nothing written there.
        string Tree() => string.Join("\n", Directory.EnumerateFileSystemEntries(store.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {File.GetLastWriteTimeUtc(p):O}"));
        string before = Tree();
        var view = MailLab.Server.Store.MessageStore.ReadOnlyView(store.Root);
        var seen = await ReportScan.ScanAsync(view.ListUsers().Select(m => (view, m)), default);
        Assert.Equal((3, found.Uid), (seen.Scanned, Assert.Single(seen.Reports).Uid));
        Assert.NotNull(await ReportScan.FindAsync(view, "postmaster@bank.test", found.Uid, default));
        Assert.Equal(before, Tree());
    }

    private static async Task Deliver(MailLab.Server.Store.MessageStore store, string to, byte[] bytes)
    {
        await using var pending = await store.BeginAsync(to, "INBOX", default);
        await pending.Content.WriteAsync(bytes);
        await pending.CommitAsync();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }
}
