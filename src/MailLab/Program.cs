using System.CommandLine;
using System.CommandLine.Help;
using MailLab.Cli;

var root = new RootCommand("MailLab: a teaching mail-server lab (MSA, MTA, MDA and message store) with every step traced.");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(LabCommand.Create());
root.Subcommands.Add(CertsCommand.Create());
root.Subcommands.Add(QueueCommand.Create());
root.Subcommands.Add(DnsCommand.Create());
root.Subcommands.Add(SpfCommand.Create());
root.Subcommands.Add(DkimCommand.Create());
root.Subcommands.Add(DmarcCommand.Create());
root.Subcommands.Add(TlsRptCommand.Create());
root.Subcommands.Add(PgpCommand.Create());
root.Subcommands.Add(SmimeCommand.Create());
root.Subcommands.Add(ExerciseCommand.Create());
root.Subcommands.Add(AttackCommand.Create());
var parse = root.Parse(args);
if (parse.Action is HelpAction && parse.UnmatchedTokens.Count > 0)
{
    // --help wins over parse errors in System.CommandLine, so "maillab smime --help" would print the
    // root's help and exit 0 as if smime existed: name what is unknown instead.
    var names = new List<string>();
    for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult) names.Insert(0, r.Command.Name);
    names[0] = "maillab";
    var command = string.Join(' ', names);
    Console.Error.WriteLine($"maillab: {string.Join(", ", parse.UnmatchedTokens.Select(t => $"'{t}'"))} is not a command or option of '{command}'; '{command} --help' lists them");
    return 1;
}
// The host handles Ctrl-C and SIGTERM itself and drains sessions; System.CommandLine's own
// handler would force exit code 130/143 while the lab is still closing cleanly.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
