using System.CommandLine;
using MailLab.Cli;

var root = new RootCommand("MailLab: a teaching mail-server lab (MSA, MTA, MDA and message store) with every step traced.");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(LabCommand.Create());
root.Subcommands.Add(CertsCommand.Create());
return await root.Parse(args).InvokeAsync();
