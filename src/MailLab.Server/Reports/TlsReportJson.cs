using System.Globalization;
using System.Text;
using System.Text.Json;
using MailLab.Server.Relay;

namespace MailLab.Server.Reports;

/// <summary>Who reports, for which period (RFC 8460 §4.4's report metadata).</summary>
internal sealed record TlsReportMetadata(string OrganizationName, string ContactInfo, string ReportId, DateTimeOffset Begin, DateTimeOffset End);

/// <summary>The JSON report of RFC 8460 §4.4, built from the relay's counts.</summary>
public static class TlsReportJson
{
    /// <summary>The report for one policy domain: one "policies" entry per policy the relay applied to it.</summary>
    internal static byte[] Build(TlsReportMetadata meta, string policyDomain, IReadOnlyList<TlsReportCounter.PolicyCounts> policies, string sendingMtaIp)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("organization-name", meta.OrganizationName);
            w.WriteStartObject("date-range");
            w.WriteString("start-datetime", Rfc3339(meta.Begin));
            w.WriteString("end-datetime", Rfc3339(meta.End));
            w.WriteEndObject();
            w.WriteString("contact-info", meta.ContactInfo);
            w.WriteString("report-id", meta.ReportId);
            w.WriteStartArray("policies");
            foreach (var p in policies)
            {
                w.WriteStartObject();
                w.WriteStartObject("policy");
                w.WriteString("policy-type", p.PolicyType);
                w.WriteStartArray("policy-string");
                foreach (var s in p.PolicyStrings) w.WriteStringValue(s);
                w.WriteEndArray();
                w.WriteString("policy-domain", policyDomain);
                w.WriteStartArray("mx-host");
                foreach (var h in p.Counts.MxHosts) w.WriteStringValue(h);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject("summary");
                w.WriteNumber("total-successful-session-count", p.Counts.Successes);
                w.WriteNumber("total-failure-session-count", p.Counts.Failures.Values.Sum());
                w.WriteEndObject();
                w.WriteStartArray("failure-details");
                foreach (var ((type, host, reason), n) in p.Counts.Failures.OrderBy(f => f.Key.Type, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("result-type", type);
                    w.WriteString("sending-mta-ip", sendingMtaIp);
                    w.WriteString("receiving-mx-hostname", host);
                    w.WriteNumber("failed-session-count", n);
                    w.WriteString("failure-reason-code", reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>
    /// A report as a readable table: the header, then per policy its type, domain, counts and each failure.
    /// Throws <see cref="FormatException"/> when the JSON is not an RFC 8460 report.
    /// </summary>
    public static string Describe(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var sb = new StringBuilder();
            var range = root.GetProperty("date-range");
            sb.Append(CultureInfo.InvariantCulture, $"  TLS report {Text(root, "report-id")} from {Text(root, "organization-name")} ({Text(root, "contact-info")}), ");
            sb.Append(CultureInfo.InvariantCulture, $"{Text(range, "start-datetime")} to {Text(range, "end-datetime")}\n");
            foreach (var p in root.GetProperty("policies").EnumerateArray())
            {
                var policy = p.GetProperty("policy");
                var summary = p.GetProperty("summary");
                var mx = policy.TryGetProperty("mx-host", out var m) ? string.Join(", ", m.EnumerateArray().Select(e => e.GetString())) : "";
                sb.Append(CultureInfo.InvariantCulture, $"  policy {Text(policy, "policy-type")} for {Text(policy, "policy-domain")}{(mx.Length > 0 ? $" (mx {mx})" : "")}: ");
                sb.Append(CultureInfo.InvariantCulture, $"{summary.GetProperty("total-successful-session-count").GetInt64()} successful, ");
                sb.Append(CultureInfo.InvariantCulture, $"{summary.GetProperty("total-failure-session-count").GetInt64()} failed sessions\n");
                if (policy.TryGetProperty("policy-string", out var ps))
                {
                    foreach (var line in ps.EnumerateArray()) sb.Append(CultureInfo.InvariantCulture, $"    | {line.GetString()}\n");
                }
                if (!p.TryGetProperty("failure-details", out var failures)) continue;
                foreach (var f in failures.EnumerateArray())
                {
                    sb.Append(CultureInfo.InvariantCulture, $"    {f.GetProperty("failed-session-count").GetInt64(),5} x {Text(f, "result-type")}");
                    sb.Append(CultureInfo.InvariantCulture, $" at {Text(f, "receiving-mx-hostname")} from {Text(f, "sending-mta-ip")}: {Text(f, "failure-reason-code")}\n");
                }
            }
            return sb.ToString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"not an RFC 8460 TLS report: {e.Message}", e);
        }
    }

    private static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : "-";

    // RFC 8460 §4.4: date-time as in RFC 3339, UTC.
    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
