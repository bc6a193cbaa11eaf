using System.CommandLine;
using MailLab.Server.Attacks;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab attack log</c>: prints what the lab's <c>strip-starttls</c> man in the middle saw, from its
/// transcript <c>&lt;data&gt;/attacks/strip-starttls.log</c> (works with the lab up or down).
/// </summary>
internal static class AttackCommand
{
    public static Command Create()
    {
        var cmd = new Command("attack", "The attackers the lab plays when their switch is on (strip-starttls)");
        var data = CommonOptions.Data();
        var log = new Command("log", "Print what the strip-starttls man in the middle saw: C: client lines, S: server replies, ! what it did, > what it sent instead");
        log.Options.Add(data);
        log.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            var path = AttackTranscript.StripStarttlsPath(dir);
            if (!File.Exists(path))
            {
                Console.WriteLine($"no transcript yet ({path}): the strip-starttls switch is off, or no mail has passed the attacker");
                return 0;
            }
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            file.CopyTo(Console.OpenStandardOutput());
            return 0;
        });
        cmd.Subcommands.Add(log);
        return cmd;
    }
}
