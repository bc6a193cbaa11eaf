using System.CommandLine;
using MailLab.Server.Relay;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab queue</c>: lists the outbound queue from <c>&lt;data&gt;/queue</c> (works with the lab up
/// or down); <c>maillab queue flush</c> asks a running lab to retry deferred mail now, by creating
/// the file <c>&lt;data&gt;/queue/.flush</c> that the lab's queue worker polls for once a second.
/// </summary>
internal static class QueueCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var cmd = new Command("queue", "List the outbound queue: each message with its per-recipient status (works with the lab up or down)");
        cmd.Options.Add(data);
        cmd.SetAction(parse => Dir(parse.GetValue(data)) is { } dir ? List(dir) : 1);

        var flushData = CommonOptions.Data();
        var flush = new Command("flush", "Ask the running lab to retry every deferred recipient now (creates <data>/queue/.flush)");
        flush.Options.Add(flushData);
        flush.SetAction(parse =>
        {
            if (Dir(parse.GetValue(flushData)) is not { } dir) return 1;
            RelayQueue.RequestFlush(dir);
            Console.WriteLine($"flush requested ({Path.Combine(dir, RelayQueue.FlushFile)}); a running lab picks it up within a second.");
            return 0;
        });
        cmd.Subcommands.Add(flush);
        return cmd;
    }

    /// <summary>The queue directory of an existing data directory; null after a one-line error when there is none.</summary>
    private static string? Dir(DirectoryInfo? data) => CommonOptions.Existing(data) is { } dir ? Path.Combine(dir, "queue") : null;

    private static int List(string dir)
    {
        var errors = new List<string>();
        var entries = RelayQueue.ReadAll(dir, errors);
        if (entries.Count == 0)
        {
            Console.WriteLine($"queue is empty ({dir})");
        }
        foreach (var e in entries)
        {
            Console.WriteLine($"{e.Id}  {e.Created.ToLocalTime():yyyy-MM-dd HH:mm:ss}  site {e.Site}  {e.Size} octets  from <{e.MailFrom}>");
            foreach (var r in e.Recipients)
            {
                var detail = r.State switch
                {
                    RecipientState.Deferred => $"attempts {r.Attempts}, next {r.NextAttempt?.ToLocalTime():HH:mm:ss}: {r.Reason}",
                    RecipientState.Failed => $"{r.Reply}",
                    RecipientState.Delivered => $"{r.Reply}",
                    _ => "waiting for the first attempt",
                };
                Console.WriteLine($"    {r.State.ToString().ToLowerInvariant(),-9} <{r.Address}>  {detail}");
            }
        }
        foreach (var err in errors)
        {
            Console.Error.WriteLine($"maillab: unreadable queue entry {err}");
        }
        return errors.Count == 0 ? 0 : 1;
    }
}
