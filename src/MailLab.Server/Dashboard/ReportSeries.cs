using MailLab.Server.Reports;

namespace MailLab.Server.Dashboard;

/// <summary>One source IP's messages per time bucket: DMARC pass and fail (the arrays line up with <see cref="DmarcSeries.Times"/>).</summary>
internal sealed record SourceSeries(string SourceIp, long[] Pass, long[] Fail, long Total);

/// <summary>
/// The chart's data: <c>Times</c> are the starts (Unix seconds) of the buckets that have data, <c>Bucket</c> their width in
/// seconds, <c>Sources</c> the busiest <see cref="ReportSeries.MaxSources"/> source IPs (the rest summed as <c>other</c>).
/// </summary>
internal sealed record DmarcSeries(long Bucket, long[] Times, IReadOnlyList<SourceSeries> Sources, int Reports);

/// <summary>
/// Aggregate-report rows as counts over time per source IP. A row counts as DMARC pass when its policy_evaluated
/// DKIM or SPF is pass: an aligned pass of either (RFC 7489 §4.2; RFC 9990 §3.1.1.11 reports the aligned results there).
/// A row is placed in the bucket of its report's period begin (the rows of one report are not timed more finely).
/// </summary>
internal static class ReportSeries
{
    /// <summary>The most source IPs drawn apart; more are summed in one series named "other".</summary>
    public const int MaxSources = 10;

    /// <summary>The bucket width when none is asked for: an hour.</summary>
    public const long DefaultBucket = 3600;

    /// <summary>The narrowest and widest bucket (a minute, a week).</summary>
    public const long MinBucket = 60, MaxBucket = 7 * 24 * 3600;

    /// <summary>The name of the series that sums the sources beyond <see cref="MaxSources"/>.</summary>
    public const string Other = "other";

    /// <summary>Whether a row is a DMARC pass (an aligned DKIM or SPF pass).</summary>
    public static bool Passed(ReportRow row) => row.Dkim == "pass" || row.Spf == "pass";

    /// <summary>The series of <paramref name="reports"/>, one report counted once even when seen as sent and as received.</summary>
    public static DmarcSeries Build(IEnumerable<AggregateReport> reports, long bucket)
    {
        var unique = Unique(reports);
        var rows = unique.SelectMany(r => r.Rows.Select(row => (Time: r.Begin.ToUnixTimeSeconds() / bucket * bucket, Row: row))).ToList();
        var times = rows.Select(x => x.Time).Distinct().Order().ToArray();
        var index = times.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var busiest = rows.GroupBy(x => x.Row.SourceIp, StringComparer.Ordinal)
            .Select(g => (Ip: g.Key, Total: g.Sum(x => x.Row.Count)))
            .OrderByDescending(g => g.Total).ThenBy(g => g.Ip, StringComparer.Ordinal).ToList();
        var shown = busiest.Take(MaxSources).Select(g => g.Ip).ToHashSet(StringComparer.Ordinal);
        var names = busiest.Take(MaxSources).Select(g => g.Ip).ToList();
        if (busiest.Count > MaxSources) names.Add(Other);
        var series = names.ToDictionary(n => n, _ => (Pass: new long[times.Length], Fail: new long[times.Length]), StringComparer.Ordinal);
        foreach (var (time, row) in rows)
        {
            var s = series[shown.Contains(row.SourceIp) ? row.SourceIp : Other];
            (Passed(row) ? s.Pass : s.Fail)[index[time]] += row.Count;
        }
        var sources = names.Select(n => new SourceSeries(n, series[n].Pass, series[n].Fail, series[n].Pass.Sum() + series[n].Fail.Sum())).ToList();
        return new DmarcSeries(bucket, times, sources, unique.Count);
    }

    /// <summary>Reports by (reporter, report id), once each: a report the lab sent to a lab mailbox is both sent and received.</summary>
    public static List<AggregateReport> Unique(IEnumerable<AggregateReport> reports) =>
        reports.DistinctBy(r => (r.OrgName.ToLowerInvariant(), r.ReportId)).ToList();
}
