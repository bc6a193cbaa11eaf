using System.Xml.Linq;
using MailLab.MailAuth.Dmarc;

namespace MailLab.Server.Reports;

/// <summary>Who sends a report and for which period (RFC 9990 report_metadata).</summary>
internal sealed record ReportMetadata(string OrgName, string Email, string ReportId, DateTimeOffset Begin, DateTimeOffset End);

/// <summary>
/// Writes an aggregate report: RFC 9990 XML (namespace urn:ietf:params:xml:ns:dmarc-2.0) or, in
/// RFC 7489 mode, the Appendix C shape (no namespace, no np/testing/discovery_method). Messages with
/// the same source IP, verdicts, identifiers and authentication results share one record with a count.
/// </summary>
internal static class AggregateReportXml
{
    /// <summary>The RFC 9990 namespace.</summary>
    public const string Namespace = "urn:ietf:params:xml:ns:dmarc-2.0";

    /// <summary>The report for one policy domain; <paramref name="entries"/> must all be for it.</summary>
    public static string Build(ReportMetadata meta, IReadOnlyList<DmarcReportEntry> entries, DmarcMode mode)
    {
        XNamespace ns = mode == DmarcMode.Rfc9989 ? Namespace : "";
        XElement E(string name, params object?[] content) => new(ns + name, content);
        var last = entries[^1];
        var record = DmarcRecord.Parse(last.Record, out _) ?? new DmarcRecord { P = DmarcPolicy.None };
        var policy = E("policy_published",
            E("domain", last.PolicyDomain),
            E("p", record.EffectiveP.Keyword()),
            E("sp", record.EffectiveSp.Keyword()),
            mode == DmarcMode.Rfc9989 ? E("np", record.EffectiveNp.Keyword()) : null,
            E("adkim", record.Adkim == AlignmentMode.Strict ? "s" : "r"),
            E("aspf", record.Aspf == AlignmentMode.Strict ? "s" : "r"),
            mode == DmarcMode.Rfc9989 ? E("discovery_method", last.Discovery) : E("pct", record.Pct),
            E("fo", string.Join(':', record.Fo)),
            mode == DmarcMode.Rfc9989 ? E("testing", record.Testing ? "y" : "n") : null);
        var groups = entries.GroupBy(e => string.Join('|', e.SourceIp, e.Disposition, e.DkimAligned, e.SpfAligned, e.OverrideType,
            e.OverrideComment, e.HeaderFrom, e.EnvelopeFrom, e.EnvelopeTo, e.SpfDomain, e.SpfResult,
            string.Join(',', e.Dkim.Select(d => $"{d.Domain}/{d.Selector}/{d.Result}"))));
        var records = groups.Select(g =>
        {
            var e = g.First();
            return E("record",
                E("row",
                    E("source_ip", e.SourceIp),
                    E("count", g.Count()),
                    E("policy_evaluated",
                        E("disposition", e.Disposition),
                        E("dkim", e.DkimAligned ? "pass" : "fail"),
                        E("spf", e.SpfAligned ? "pass" : "fail"),
                        e.OverrideType is null ? null : E("reason", E("type", e.OverrideType), E("comment", e.OverrideComment)))),
                E("identifiers",
                    e.EnvelopeTo is null ? null : E("envelope_to", e.EnvelopeTo),
                    e.EnvelopeFrom is null ? null : E("envelope_from", e.EnvelopeFrom),
                    E("header_from", e.HeaderFrom)),
                E("auth_results",
                    e.Dkim.Select(d => E("dkim", E("domain", d.Domain), E("selector", d.Selector), E("result", d.Result))),
                    E("spf", E("domain", e.SpfDomain), E("scope", "mfrom"), E("result", e.SpfResult))));
        });
        var doc = new XDocument(new XDeclaration("1.0", "UTF-8", null),
            E("feedback",
                E("version", "1.0"),
                E("report_metadata",
                    E("org_name", meta.OrgName),
                    E("email", meta.Email),
                    E("report_id", meta.ReportId),
                    E("date_range", E("begin", meta.Begin.ToUnixTimeSeconds()), E("end", meta.End.ToUnixTimeSeconds())),
                    E("generator", "MailLab")),
                policy,
                records));
        using var w = new Utf8StringWriter();
        doc.Save(w);
        return w.ToString();
    }

    private sealed class Utf8StringWriter : StringWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
    }
}
