using System.CommandLine;
using MailLab.Server.Reports;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab tlsrpt send</c>: asks the running lab to send its TLS reports (RFC 8460) now (the lab's reporter polls
/// <c>&lt;data&gt;/tlsrpt/.send</c> once a second) and prints what was sent. <c>maillab tlsrpt show FILE|--mailbox ADDR</c>:
/// reads TLS reports (JSON, gzipped JSON, or report mails) as a table.
/// </summary>
internal static class TlsRptCommand
{
    public static Command Create()
    {
        var tlsrpt = new Command("tlsrpt", "SMTP TLS reports (RFC 8460) on the relay's DANE and MTA-STS results");
        tlsrpt.Subcommands.Add(ReportRequest.SendCommand(
            "Ask the running lab to send every TLS report now: the relays' DANE and MTA-STS results per domain, to the rua= of its _smtp._tls record",
            TlsReporter.DirectoryName, ReportSchedule.RequestSend, "reports are queued; 'maillab queue' shows them, 'maillab tlsrpt show --mailbox ADDR' reads them."));
        tlsrpt.Subcommands.Add(ReportRequest.ShowCommand(
            "Print TLS reports: per policy (tlsa or sts) the successful and failed sessions, each failure with its result type, MX host and reason",
            "A report: .json, .json.gz or a whole report mail (.eml)", bytes => string.Concat(TlsReporter.ReportsIn(bytes).Select(TlsReportJson.Describe)),
            "TLS reports"));
        return tlsrpt;
    }
}
