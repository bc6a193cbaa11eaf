using System.CommandLine;
using System.Net;
using MailLab.MailAuth.Spf;
using MailLab.Server.Dns;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab spf check</c>: the MTA's SPF evaluation run by hand against the lab DNS, printed as a
/// tree of steps, the result and the Received-SPF header the MTA would add.
/// </summary>
internal static class SpfCommand
{
    public static Command Create()
    {
        var ip = new Option<string>("--ip") { Description = "The client IP address the MTA would see", Required = true };
        var sender = new Option<string>("--sender") { Description = "The MAIL FROM address (empty for <>)", Required = true };
        var helo = new Option<string?>("--helo") { Description = "The HELO/EHLO name (default: the sender's domain)" };
        var data = CommonOptions.Data();
        var server = new Option<string?>("--server") { Description = "The DNS to ask, ADDR:PORT. Default: the running lab's (from <data>/listeners.json)" };
        var check = new Command("check", "Evaluate SPF (RFC 7208 check_host) for a client IP and sender through the lab DNS");
        foreach (var o in new Option[] { ip, sender, helo, data, server }) check.Options.Add(o);
        check.SetAction((parse, ct) => CheckAsync(parse.GetValue(ip)!, parse.GetValue(sender)!, parse.GetValue(helo),
            parse.GetValue(data), parse.GetValue(server), ct));
        var spf = new Command("spf", "SPF (RFC 7208) by hand");
        spf.Subcommands.Add(check);
        return spf;
    }

    private static async Task<int> CheckAsync(string ipText, string sender, string? helo, DirectoryInfo? data, string? serverText, CancellationToken ct)
    {
        if (!IPAddress.TryParse(ipText, out var ip))
        {
            Console.Error.WriteLine($"maillab: --ip '{ipText}' is not an IP address");
            return 2;
        }
        sender = sender.Trim().Trim('<', '>');
        var heloName = helo ?? (sender.Contains('@') ? sender[(sender.LastIndexOf('@') + 1)..] : "unknown");
        if (DnsCommand.FindServer(data, serverText, out var dns) is { } failed) return failed;

        var evaluator = new SpfEvaluator(new LabSpfResolver(new LabResolver(dns)), receiver: "maillab-spf-check");
        var result = await evaluator.CheckMailFromAsync(ip, sender, heloName, ct);

        Console.WriteLine($"SPF check_host({ip}, {result.Domain}, {result.Sender}) through the lab DNS at {dns}");
        foreach (var step in result.Steps)
        {
            // Terms of an include: or redirect= record are indented under the domain that led there.
            var indent = string.Equals(step.Domain, result.Domain, StringComparison.OrdinalIgnoreCase) ? "  " : "      ";
            Console.WriteLine(indent + step);
        }
        Console.WriteLine($"result: {result.Keyword}{(result.DecidingTerm is null ? "" : $" (deciding term: {result.DecidingTerm})")}");
        if (result.Problem is not null) Console.WriteLine($"problem: {result.Problem}");
        if (result.Explanation is not null) Console.WriteLine($"explanation: {result.Explanation}");
        Console.WriteLine($"Received-SPF: {result.ToReceivedSpfValue()}");
        return 0;
    }
}
