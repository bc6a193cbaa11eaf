using System.Buffers;
using System.Text;
using MailLab.MailAuth.Dmarc;
using MailLab.Server.Delivery;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Reports;

/// <summary>What the failure report says about the message (RFC 6591 §3.1 fields).</summary>
internal sealed record FailedMessage(string MailFrom, IReadOnlyList<string> Recipients, string SourceIp, byte[] Headers,
    string AuthenticationResults, string DeliveryResult);

/// <summary>
/// DMARC failure reports (RFC 9991, RFC 7489 §7.3): an ARF message (RFC 5965, RFC 6591 auth-failure)
/// with the failed message's header section, queued through the lab to each authorised ruf address
/// when fo= asks for it.
/// </summary>
internal static class FailureReporter
{
    /// <summary>Whether fo= asks for a report (RFC 7489 §6.3): 0 all failed, 1 any failed, d DKIM failed, s SPF failed.</summary>
    /// <param name="r">The evaluation.</param>
    /// <param name="headers">The message's header section: a report (multipart/report) is never reported on, so reports cannot loop.</param>
    public static bool Wanted(DmarcResult r, ReadOnlySpan<byte> headers)
    {
        if (r.Record is not { } rec || rec.Ruf.Count == 0 || r.Author.Domain is null) return false;
        if (IsReport(headers)) return false;
        var spfUnaligned = !r.Alignments.Any(a => a.Mechanism == "spf" && a.Aligned);
        // A message without signatures has no DKIM result to report; only present, unaligned signatures count.
        var dkimUnaligned = r.Alignments.Any(a => a.Mechanism == "dkim" && !a.Aligned);
        return rec.Fo.Any(o => o switch
        {
            "0" => r.Result == DmarcResultCode.Fail,
            "1" => spfUnaligned || dkimUnaligned,
            "d" => r.Alignments.Any(a => a.Mechanism == "dkim" && a.MechanismResult != "pass"),
            "s" => r.Alignments.Any(a => a.Mechanism == "spf" && a.MechanismResult != "pass"),
            _ => false,
        });
    }

    private static bool IsReport(ReadOnlySpan<byte> headers)
    {
        // Field by field: a field ends at a CRLF not followed by WSP (RFC 5322 §2.2.3); no copy of the header section.
        while (!headers.IsEmpty)
        {
            var end = 0;
            while (true)
            {
                var crlf = headers[end..].IndexOf("\r\n"u8);
                end = crlf < 0 ? headers.Length : end + crlf;
                if (crlf < 0 || end + 2 >= headers.Length || headers[end + 2] is not ((byte)' ' or (byte)'\t')) break;
                end += 2;
            }
            var field = headers[..end];
            if (field.Length >= 13 && Ascii.EqualsIgnoreCase(field[..13], "Content-Type:"u8))
            {
                if (MailLab.Protocols.Text.AsciiSearch.ContainsIgnoreCase(field[13..], "multipart/report"u8)) return true;
            }
            headers = end + 2 <= headers.Length ? headers[(end + 2)..] : [];
        }
        return false;
    }

    /// <summary>Queues one report per authorised ruf address in <paramref name="queue"/> (none without one); returns the addresses it went to.</summary>
    public static async Task<IReadOnlyList<string>> SendAsync(LabSite site, RelayQueue? queue, MailAuth.Spf.ISpfResolver resolver, DmarcResult r,
        FailedMessage failed, TraceContext trace, CancellationToken ct)
    {
        if (!Wanted(r, failed.Headers) || queue is null) return [];
        var dns = new SpfBackedDmarcResolver(resolver);
        var to = new List<string>();
        var refused = new List<string>();
        foreach (var ruf in r.Record!.Ruf)
        {
            var (ok, why) = await ReportAuthorization.CheckAsync(dns, PublicSuffixList.Load(), r.PolicyDomain!, ruf.Address, ct).ConfigureAwait(false);
            if (ok) to.Add(ruf.Address);
            else refused.Add($"{ruf.Address} ({why})");
        }
        string? id = null;
        if (to.Count > 0)
        {
            var reporter = site.Definition.Domains[0];
            id = await ReportMail.QueueAsync(site, queue, Compose(site.HostName, reporter, r, failed, to), reporter, to, ct).ConfigureAwait(false);
        }
        trace.AsLab(LabOrigin.Report).Emit(TraceKind.DmarcReportSent,
            $"DMARC failure report for {r.FromDomain} (fo={string.Join(':', r.Record.Fo)}) to {(to.Count == 0 ? "nobody" : string.Join(", ", to))}" +
            string.Concat(refused.Select(x => $"; refused {x}")),
            ("Report", "failure"), ("PolicyDomain", r.PolicyDomain), ("SentTo", to.ToArray()), ("Refused", refused.ToArray()), ("QueueId", id));
        return to;
    }

    private static MimeMessage Compose(string host, string reporter, DmarcResult r, FailedMessage f, List<string> to)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress($"DMARC failure reports from {host}", $"postmaster@{reporter}"));
        foreach (var t in to) m.To.Add(MailboxAddress.Parse(t));
        m.Subject = $"DMARC failure report for {r.FromDomain} from {f.SourceIp}";
        var aligned = new[] { r.SpfAligned ? "spf" : null, r.DkimAligned ? "dkim" : null }.Where(x => x is not null).ToList();
        // The human part reads like the lecture's example report.
        var text = new StringBuilder()
            .Append($"This is a DMARC failure report for {r.FromDomain}.\r\n\r\n")
            .Append($"Sender Domain: {r.FromDomain}\r\nSender IP Address: {f.SourceIp}\r\nReceived Date: {DateTimeOffset.UtcNow:R}\r\n")
            .Append($"SPF Alignment: {(r.SpfAligned ? "yes" : "no")}\r\nDKIM Alignment: {(r.DkimAligned ? "yes" : "no")}\r\n")
            .Append($"DMARC Results: {r.Keyword}, disposition {f.DeliveryResult}\r\nReason: {r.Reason}\r\n").ToString();
        var feedback = new StringBuilder()
            .Append("Feedback-Type: auth-failure\r\nUser-Agent: MailLab\r\nVersion: 1\r\n")
            .Append($"Original-Mail-From: <{f.MailFrom}>\r\n")
            .Append(string.Concat(f.Recipients.Select(x => $"Original-Rcpt-To: <{x}>\r\n")))
            .Append($"Arrival-Date: {DateTimeOffset.UtcNow:R}\r\nSource-IP: {f.SourceIp}\r\nReported-Domain: {r.FromDomain}\r\n")
            .Append($"Authentication-Results: {f.AuthenticationResults}\r\n")
            .Append("Auth-Failure: dmarc\r\n")
            .Append($"Identity-Alignment: {(aligned.Count == 0 ? "none" : string.Join(", ", aligned))}\r\n")
            .Append($"Delivery-Result: {f.DeliveryResult}\r\n").ToString();
        var report = new MultipartReport("feedback-report")
        {
            new TextPart("plain") { Text = text },
            new MimePart("message", "feedback-report") { Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(feedback))), ContentTransferEncoding = ContentEncoding.SevenBit },
            new MimePart("text", "rfc822-headers") { Content = new MimeContent(new MemoryStream(f.Headers)), ContentTransferEncoding = ContentEncoding.EightBit },
        };
        m.Body = report;
        return m;
    }
}
