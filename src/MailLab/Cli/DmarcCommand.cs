using System.CommandLine;
using MailLab.Server.Reports;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab dmarc report send</c>: asks the running lab to send its aggregate reports now (the
/// lab's reporter polls <c>&lt;data&gt;/dmarc/.send</c> once a second, like <c>queue flush</c>) and prints
/// what was sent. <c>maillab dmarc report show FILE|--mailbox ADDR</c>: reads aggregate reports (a
/// table, one row per record) and failure reports (ARF: their labelled fields).
/// </summary>
internal static class DmarcCommand
{
    public static Command Create()
    {
        var send = ReportRequest.SendCommand("Ask the running lab to send every collected DMARC aggregate report now, through the lab to the rua= addresses",
            "dmarc", DmarcReporter.RequestSend, "reports are queued; 'maillab queue' shows them, 'maillab dmarc report show --mailbox ADDR' reads them.");
        var show = ReportRequest.ShowCommand("Print DMARC reports: aggregate reports as a table, one row per record (source IP, count, header_from, SPF and DKIM results and alignment, disposition); failure reports (ARF) field by field",
            "A report: .xml, .xml.gz, .zip or a whole mail (.eml, aggregate or failure report)", Describe, "DMARC reports");

        var report = new Command("report", "DMARC aggregate (RFC 9990) and failure (RFC 9991) reports");
        report.Subcommands.Add(send);
        report.Subcommands.Add(show);
        var dmarc = new Command("dmarc", "DMARC (RFC 9989 / RFC 7489) reports");
        dmarc.Subcommands.Add(report);
        return dmarc;
    }

    /// <summary>An aggregate report as a table, else a failure report field by field; FormatException naming both reasons.</summary>
    private static string Describe(byte[] bytes)
    {
        try
        {
            return string.Concat(AggregateReportReader.Read(bytes).Select(AggregateReportReader.Table));
        }
        catch (FormatException aggregate)
        {
            try
            {
                return FailureReportReader.Describe(FailureReportReader.Read(bytes));
            }
            catch (FormatException failure)
            {
                throw new FormatException($"not a DMARC aggregate report ({aggregate.Message}) nor a failure report ({failure.Message})", failure);
            }
        }
    }
}
