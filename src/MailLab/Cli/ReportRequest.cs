using System.CommandLine;
using MailLab.Server.Reports;
using MailLab.Server.Store;

namespace MailLab.Cli;

/// <summary>
/// What <c>maillab dmarc report send</c> and <c>maillab tlsrpt send</c> share: drop the request file into the
/// reporter's directory, wait for the running lab to take it, print what it did; and reading every message of a
/// lab mailbox for the <c>show</c> commands.
/// </summary>
internal static class ReportRequest
{
    /// <summary>The <c>send</c> subcommand: <c>--data</c>, <c>--wait</c>, then <see cref="SendAsync"/>.</summary>
    public static Command SendCommand(string description, string subdirectory, Action<string> request, string hint)
    {
        var data = CommonOptions.Data();
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for the running lab", DefaultValueFactory = _ => 30 };
        var send = new Command("send", description);
        send.Options.Add(data);
        send.Options.Add(wait);
        send.SetAction((parse, ct) => CommonOptions.Existing(parse.GetValue(data)) is { } dir
            ? SendAsync(dir, subdirectory, request, hint, parse.GetValue(wait), ct)
            : Task.FromResult(1));
        return send;
    }

    /// <summary>
    /// The <c>show</c> subcommand: a report FILE or <c>--mailbox ADDR</c>, each input printed by <paramref name="describe"/>
    /// (which throws <see cref="FormatException"/> for what is not such a report: an error for a file, skipped in a mailbox).
    /// </summary>
    public static Command ShowCommand(string description, string fileDescription, Func<byte[], string> describe, string what)
    {
        var file = new Argument<FileInfo?>("FILE") { Description = fileDescription, Arity = ArgumentArity.ZeroOrOne };
        var mailbox = new Option<string?>("--mailbox") { Description = "Read every report mail in this lab mailbox's INBOX (e.g. postmaster@bank.test)" };
        var data = CommonOptions.Data();
        var show = new Command("show", description);
        show.Arguments.Add(file);
        show.Options.Add(mailbox);
        show.Options.Add(data);
        show.SetAction((parse, ct) => ShowAsync(parse.GetValue(file), parse.GetValue(mailbox), parse.GetValue(data), describe, what, ct));
        return show;
    }

    private static async Task<int> ShowAsync(FileInfo? file, string? mailbox, DirectoryInfo? dataDir, Func<byte[], string> describe, string what,
        CancellationToken ct)
    {
        var (inputs, code) = await InputsAsync(file, mailbox, dataDir, ct);
        if (inputs is null) return code;
        int bad = 0, shown = 0;
        foreach (var (name, bytes) in inputs)
        {
            string text;
            try
            {
                text = describe(bytes);
            }
            catch (FormatException e)
            {
                if (mailbox is not null) continue; // other mail in the mailbox is not a report
                Console.Error.WriteLine($"maillab: {name}: {e.Message}");
                bad++;
                continue;
            }
            Console.WriteLine($"{name}:");
            Console.Write(text);
            shown++;
        }
        if (mailbox is not null && shown == 0) Console.WriteLine($"no {what} in {mailbox}'s INBOX");
        return bad == 0 ? 0 : 1;
    }

    /// <summary>Asks the running lab on <paramref name="data"/> to send now; 0, or 1 with a one-line error.</summary>
    private static async Task<int> SendAsync(string data, string subdirectory, Action<string> request, string hint, int waitSeconds, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(data, "listeners.json")))
        {
            Console.Error.WriteLine($"maillab: no running lab in {data} (no listeners.json); start it with 'maillab up'");
            return 1;
        }
        var dir = Path.Combine(data, subdirectory);
        var last = Path.Combine(dir, DmarcReporter.LastSendFile);
        var before = File.Exists(last) ? File.GetLastWriteTimeUtc(last) : DateTime.MinValue;
        request(dir);
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
        Console.WriteLine(hint);
        return 0;
    }

    /// <summary>
    /// The inputs of a <c>show</c> command: the report FILE, or every message in the INBOX of the lab mailbox; null with
    /// the exit code after a one-line error (2: neither or both given, 1: no such file or data directory).
    /// </summary>
    private static async Task<(List<(string Name, byte[] Data)>? Inputs, int Code)> InputsAsync(FileInfo? file, string? mailbox, DirectoryInfo? dataDir,
        CancellationToken ct)
    {
        if ((file is null) == (mailbox is null))
        {
            Console.Error.WriteLine("maillab: give a report FILE or --mailbox ADDR");
            return (null, 2);
        }
        if (file is not null)
        {
            if (!file.Exists)
            {
                Console.Error.WriteLine($"maillab: {file.FullName}: no such file");
                return (null, 1);
            }
            return ([(file.FullName, await File.ReadAllBytesAsync(file.FullName, ct))], 0);
        }
        // A mailbox is read from the data directory; a report file needs none.
        if (CommonOptions.Existing(dataDir) is not { } data) return (null, 1);
        var inputs = new List<(string Name, byte[] Data)>();
        var store = new MessageStore(Path.Combine(data, "mail"));
        foreach (var m in await store.ListAsync(mailbox!, "INBOX", ct))
        {
            await using var s = await store.OpenReadAsync(m, ct);
            if (s is null) continue;
            using var ms = new MemoryStream();
            await s.CopyToAsync(ms, ct);
            inputs.Add(($"{mailbox} uid {m.Uid}", ms.ToArray()));
        }
        return (inputs, 0);
    }
}
