using System.Text;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>A DMARC failure report as read back: the ARF fields and the reported message's headers.</summary>
/// <param name="Subject">The report mail's subject.</param>
/// <param name="Fields">The machine-readable part's fields in order (name, value), RFC 5965 §3.1, RFC 6591 §3.1.</param>
/// <param name="ReportedHeaders">The text/rfc822-headers part: the failed message's header section.</param>
public sealed record FailureReport(string Subject, IReadOnlyList<(string Name, string Value)> Fields, string ReportedHeaders)
{
    /// <summary>The first value of a field, or "" when absent (names compare case-insensitively).</summary>
    public string Field(string name) => Fields.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
}

/// <summary>
/// Reads DMARC failure reports (RFC 9991, RFC 7489 §7.3): an ARF message (RFC 5965) whose
/// multipart/report holds a message/feedback-report part. Anything else is refused with a reason.
/// </summary>
public static class FailureReportReader
{
    /// <summary>The feedback-report fields the table shows, in the order a student reads them.</summary>
    public static readonly string[] Shown =
    [
        "Feedback-Type", "Auth-Failure", "Reported-Domain", "Source-IP", "Original-Mail-From", "Original-Rcpt-To",
        "Arrival-Date", "Identity-Alignment", "Delivery-Result", "Authentication-Results",
    ];

    /// <summary>Parses one mail; throws <see cref="FormatException"/> when it is not an ARF report.</summary>
    public static FailureReport Read(byte[] data)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(data));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"not a mail: {ex.Message}");
        }
        // RFC 5965 §2: the report is a multipart/report with report-type feedback-report.
        if (message.Body is not MultipartReport { ReportType: var type } report || !"feedback-report".Equals(type, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("not a failure report (no multipart/report; report-type=feedback-report)");
        }
        var feedback = report.OfType<MimePart>().FirstOrDefault(p => p.ContentType.IsMimeType("message", "feedback-report"))
            ?? throw new FormatException("the report has no message/feedback-report part");
        var fields = HeaderList.Load(new MemoryStream(Decode(feedback))).Select(h => (h.Field, h.Value.Trim())).ToList();
        // MimeKit parses text/rfc822-headers as a message of its own; its header section is what was reported.
        var headers = report.Skip(1).FirstOrDefault(p => p.ContentType.IsMimeType("text", "rfc822-headers")) switch
        {
            TextRfc822Headers h when h.Message is { } m => string.Concat(m.Headers.Select(x => $"{x.Field}: {x.Value.Trim()}\n")),
            MimePart p => Encoding.UTF8.GetString(Decode(p)),
            _ => "",
        };
        return new FailureReport(message.Subject ?? "", fields, headers);
    }

    private static byte[] Decode(MimePart part)
    {
        using var ms = new MemoryStream();
        part.Content?.DecodeTo(ms);
        return ms.ToArray();
    }

    /// <summary>What <c>maillab dmarc report show</c> prints for one failure report: a labelled field a line.</summary>
    public static string Describe(FailureReport r)
    {
        // A report is anyone's mail: its values reach a terminal escaped, like the trace's console (issue 20 item 12).
        var sb = new StringBuilder($"failure report (ARF): {ConsoleEscaping.Escape(r.Subject)}\n");
        var present = Shown.SelectMany(name => r.Fields.Where(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))).ToList();
        int width = present.Count == 0 ? 0 : present.Max(f => f.Name.Length);
        foreach (var (name, value) in present) sb.Append("  ").Append((name + ":").PadRight(width + 2)).Append(ConsoleEscaping.Escape(value)).Append('\n');
        var reported = r.ReportedHeaders.Split('\n')
            .Where(l => l.StartsWith("From:", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
            .Select(l => l.TrimEnd('\r'));
        foreach (var l in reported) sb.Append("  reported message ").Append(ConsoleEscaping.Escape(l)).Append('\n');
        return sb.ToString();
    }
}
