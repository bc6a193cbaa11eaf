using System.CommandLine;
using MailLab.Server.Reports;
using MailLab.Server.Store;

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
        var sendData = CommonOptions.Data();
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for the running lab", DefaultValueFactory = _ => 30 };
        var send = new Command("send", "Ask the running lab to send every collected DMARC aggregate report now, through the lab to the rua= addresses");
        send.Options.Add(sendData);
        send.Options.Add(wait);
        send.SetAction((parse, ct) => CommonOptions.Existing(parse.GetValue(sendData)) is { } dir ? SendAsync(dir, parse.GetValue(wait), ct) : Task.FromResult(1));

        var file = new Argument<FileInfo?>("FILE") { Description = "A report: .xml, .xml.gz, .zip or a whole mail (.eml, aggregate or failure report)", Arity = ArgumentArity.ZeroOrOne };
        var mailbox = new Option<string?>("--mailbox") { Description = "Read every report mail in this lab mailbox's INBOX (e.g. postmaster@bank.test)" };
        var showData = CommonOptions.Data();
        var show = new Command("show", "Print DMARC reports: aggregate reports as a table, one row per record (source IP, count, header_from, SPF and DKIM results and alignment, disposition); failure reports (ARF) field by field");
        show.Arguments.Add(file);
        show.Options.Add(mailbox);
        show.Options.Add(showData);
        show.SetAction((parse, ct) => ShowAsync(parse.GetValue(file), parse.GetValue(mailbox), parse.GetValue(showData), ct));

        var report = new Command("report", "DMARC aggregate (RFC 9990) and failure (RFC 9991) reports");
        report.Subcommands.Add(send);
        report.Subcommands.Add(show);
        var dmarc = new Command("dmarc", "DMARC (RFC 9989 / RFC 7489) reports");
        dmarc.Subcommands.Add(report);
        return dmarc;
    }

    private static async Task<int> SendAsync(string data, int waitSeconds, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(data, "listeners.json")))
        {
            Console.Error.WriteLine($"maillab: no running lab in {data} (no listeners.json); start it with 'maillab up'");
            return 1;
        }
        var dir = Path.Combine(data, "dmarc");
        var last = Path.Combine(dir, DmarcReporter.LastSendFile);
        var before = File.Exists(last) ? File.GetLastWriteTimeUtc(last) : DateTime.MinValue;
        DmarcReporter.RequestSend(dir);
        var deadline = DateTime.UtcNow.AddSeconds(waitSeconds);
        while (File.Exists(Path.Combine(dir, DmarcReporter.SendFile)))
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine($"maillab: the lab did not answer within {waitSeconds} s (request left in {dir}/{DmarcReporter.SendFile})");
                return 1;
            }
            await Task.Delay(200, ct);
        }
        Console.Write(File.Exists(last) && File.GetLastWriteTimeUtc(last) >= before ? await File.ReadAllTextAsync(last, ct) : "sent\n");
        Console.WriteLine("reports are queued; 'maillab queue' shows them, 'maillab dmarc report show --mailbox ADDR' reads them.");
        return 0;
    }

    private static async Task<int> ShowAsync(FileInfo? file, string? mailbox, DirectoryInfo? dataDir, CancellationToken ct)
    {
        if ((file is null) == (mailbox is null))
        {
            Console.Error.WriteLine("maillab: give a report FILE or --mailbox ADDR");
            return 2;
        }
        var inputs = new List<(string Name, byte[] Data)>();
        if (file is not null)
        {
            if (!file.Exists)
            {
                Console.Error.WriteLine($"maillab: {file.FullName}: no such file");
                return 1;
            }
            inputs.Add((file.FullName, await File.ReadAllBytesAsync(file.FullName, ct)));
        }
        else
        {
            // A mailbox is read from the data directory; a report file needs none.
            if (CommonOptions.Existing(dataDir) is not { } data) return 1;
            var store = new MessageStore(Path.Combine(data, "mail"));
            foreach (var m in await store.ListAsync(mailbox!, "INBOX", ct))
            {
                await using var s = await store.OpenReadAsync(m, ct);
                if (s is null) continue;
                using var ms = new MemoryStream();
                await s.CopyToAsync(ms, ct);
                inputs.Add(($"{mailbox} uid {m.Uid}", ms.ToArray()));
            }
        }
        int bad = 0, shown = 0;
        foreach (var (name, bytes) in inputs)
        {
            string text;
            try
            {
                text = string.Concat(AggregateReportReader.Read(bytes).Select(AggregateReportReader.Table));
            }
            catch (FormatException aggregate)
            {
                try
                {
                    text = FailureReportReader.Describe(FailureReportReader.Read(bytes));
                }
                catch (FormatException failure)
                {
                    if (mailbox is not null) continue; // other mail in the mailbox is not a report
                    Console.Error.WriteLine($"maillab: {name}: not a DMARC aggregate report ({aggregate.Message}) nor a failure report ({failure.Message})");
                    bad++;
                    continue;
                }
            }
            Console.WriteLine($"{name}:");
            Console.Write(text);
            shown++;
        }
        if (mailbox is not null && shown == 0) Console.WriteLine($"no DMARC reports in {mailbox}'s INBOX");
        return bad == 0 ? 0 : 1;
    }
}
