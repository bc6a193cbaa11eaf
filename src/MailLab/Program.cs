using System.CommandLine;
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
root.Subcommands.Add(ExerciseCommand.Create());
// The host handles Ctrl-C and SIGTERM itself and drains sessions; System.CommandLine's own
// handler would force exit code 130/143 while the lab is still closing cleanly.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
