using System.CommandLine;
using System.Net;
using System.Text.Json;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;

namespace MailLab.Cli;

/// <summary><c>maillab dns</c>: the lab zones and the DNS listener; <c>maillab dns query NAME TYPE</c> asks it, printing like dig.</summary>
internal static class DnsCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var dns = new Command("dns", "List the lab DNS zones (<data>/zones) and the DNS listener's address:port");
        dns.Options.Add(data);
        dns.SetAction(parse => CommonOptions.Existing(parse.GetValue(data)) is { } dir ? List(dir) : 1);

        var name = new Argument<string>("NAME") { Description = "The name to ask for (for PTR an IP address is turned into its in-addr.arpa name)" };
        var type = new Argument<string>("TYPE") { Description = "The record type: A, AAAA, MX, TXT, NS, SOA, CNAME, PTR, SRV, TLSA, OPENPGPKEY, ANY", DefaultValueFactory = _ => "A" };
        var qdata = CommonOptions.Data();
        var server = new Option<string?>("--server") { Description = "The DNS to ask, ADDR:PORT. Default: the running lab's (from <data>/listeners.json)" };
        var tcp = new Option<bool>("--tcp") { Description = "Ask over TCP instead of UDP" };
        var source = new Option<string?>("--source") { Description = "The local address to ask from, like dig -b (default: the system's choice, 127.0.0.1 towards the lab)" };
        var query = new Command("query", "Ask the lab DNS one question and print the answer like dig");
        query.Arguments.Add(name);
        query.Arguments.Add(type);
        query.Options.Add(qdata);
        query.Options.Add(server);
        query.Options.Add(tcp);
        query.Options.Add(source);
        query.SetAction((parse, ct) => QueryAsync(parse.GetValue(name)!, parse.GetValue(type)!, parse.GetValue(qdata),
            parse.GetValue(server), parse.GetValue(tcp), parse.GetValue(source), ct));
        dns.Subcommands.Add(query);
        DnssecCommands.AddTo(dns);
        return dns;
    }

    private static int List(string data)
    {
        var endpoint = RunningDns(data);
        Console.WriteLine(endpoint is null
            ? $"DNS listener: not running (no {Path.Combine(data, "listeners.json")}; start the lab with 'maillab up')"
            : $"DNS listener: {endpoint.Address}:{endpoint.Port} (UDP and TCP)");
        DnssecCommands.List(data);
        string dir = Path.Combine(data, "zones");
        if (!Directory.Exists(dir))
        {
            Console.WriteLine($"zones: {dir} does not exist yet ('maillab up' copies the default zones there on first start)");
            return 0;
        }
        Console.WriteLine($"zones in {dir}:");
        Console.WriteLine($"  {"ZONE",-22} {"FILE",-26} {"RECORDS",7} {"SERIAL",11}");
        int bad = 0;
        foreach (string file in Directory.GetFiles(dir, "*.zone").Order(StringComparer.Ordinal))
        {
            string fname = Path.GetFileName(file);
            var parsed = ZoneFileParser.Parse(File.ReadAllText(file), fname, fname[..^".zone".Length]);
            if (parsed.Ok)
            {
                var soa = (SoaData)parsed.Records.First(r => r.Type == DnsType.SOA).Data;
                Console.WriteLine($"  {DnsNames.Absolute(parsed.Origin!),-22} {fname,-26} {parsed.Records.Count,7} {soa.Serial,11}");
            }
            else
            {
                bad++;
                Console.WriteLine($"  {"(error)",-22} {fname,-26} {parsed.Errors[0]}");
            }
        }
        return bad == 0 ? 0 : 1;
    }

    private static async Task<int> QueryAsync(string name, string typeText, DirectoryInfo? data, string? serverText, bool tcp,
        string? sourceText, CancellationToken ct)
    {
        if (!Enum.TryParse(typeText, ignoreCase: true, out DnsType type) || int.TryParse(typeText, out _) || type == DnsType.OPT)
        {
            Console.Error.WriteLine($"maillab: '{typeText}' is not a record type (A, AAAA, MX, TXT, NS, SOA, CNAME, PTR, SRV, TLSA, OPENPGPKEY, ANY)");
            return 2;
        }
        IPAddress? from = null;
        if (sourceText is not null && !IPAddress.TryParse(sourceText, out from))
        {
            Console.Error.WriteLine($"maillab: --source '{sourceText}' is not an IP address");
            return 2;
        }
        if (FindServer(data, serverText, out var server) is { } failed) return failed;
        if (type == DnsType.PTR && IPAddress.TryParse(name, out var ip)) name = DnsNames.ReverseName(ip);

        // Our own client (DnsTransport), as the lab's resolver uses: it can ask from a given address.
        var result = await new DnsTransport(server, from, TimeSpan.FromSeconds(3), retries: 0).QueryAsync(name, type, tcp, ct);
        if (result.Response is not { } r)
        {
            Console.Error.WriteLine($";; no answer from {server.Address}#{server.Port}: {result.Reason}");
            return 1;
        }
        var flags = new List<string> { "qr" };
        if (r.Authoritative) flags.Add("aa");
        if (r.Truncated) flags.Add("tc");
        if (r.RecursionDesired) flags.Add("rd");
        if (r.RecursionAvailable) flags.Add("ra");
        int additional = r.Additional.Count + (r.EdnsUdpSize is null ? 0 : 1);
        Console.WriteLine($";; ->>HEADER<<- opcode: QUERY, status: {r.Status}, id: {r.Id}");
        Console.WriteLine($";; flags: {string.Join(' ', flags)}; QUERY: {(r.QuestionName is null ? 0 : 1)}, ANSWER: {r.Answers.Count}, AUTHORITY: {r.Authority.Count}, ADDITIONAL: {additional}");
        Console.WriteLine();
        Console.WriteLine(";; QUESTION SECTION:");
        Console.WriteLine($";{DnsNames.Absolute(DnsNames.Normalize(name))}\t\tIN\t{type}");
        Section("ANSWER", r.Answers);
        Section("AUTHORITY", r.Authority);
        Section("ADDITIONAL", r.Additional);
        Console.WriteLine();
        Console.WriteLine($";; SERVER: {server.Address}#{server.Port} ({(result.Tcp ? "TCP" : "UDP")}){(from is null ? "" : $" from {from}")}");
        Console.WriteLine($";; MSG SIZE  rcvd: {r.Size}");
        return 0;
    }

    private static void Section(string title, IReadOnlyList<DnsRecord> records)
    {
        if (records.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($";; {title} SECTION:");
        foreach (var rec in records)
        {
            // Zone-file syntax with the TTL as received.
            Console.WriteLine($"{DnsNames.Absolute(rec.Name)} \t{rec.Ttl}\tIN\t{rec.Type}\t{rec.Data.ToZoneText()}");
        }
    }

    /// <summary>
    /// The DNS to ask: --server, else the running lab's from listeners.json in the data directory
    /// (<see cref="CommonOptions.Existing"/>). Returns null when found, else the exit code after a
    /// one-line error (2: bad --server, 1: no such data directory or lab not running).
    /// </summary>
    internal static int? FindServer(DirectoryInfo? dataDir, string? serverText, out IPEndPoint server)
    {
        server = null!;
        if (serverText is not null)
        {
            if (!IPEndPoint.TryParse(serverText, out var given) || given.Port == 0)
            {
                Console.Error.WriteLine($"maillab: --server '{serverText}' is not ADDR:PORT like {LabDns.DefaultAddress}:{LabDns.DefaultPort}");
                return 2;
            }
            server = given;
            return null;
        }
        if (CommonOptions.Existing(dataDir) is not { } data) return 1;
        if (RunningDns(data) is not { } running)
        {
            Console.Error.WriteLine($"maillab: the lab is not running (no {Path.Combine(data, "listeners.json")}); start it with 'maillab up' or give --server ADDR:PORT");
            return 1;
        }
        server = running;
        return null;
    }

    /// <summary>The DNS listener of the running lab, from listeners.json; null when the lab is not up.</summary>
    private static IPEndPoint? RunningDns(string data)
    {
        string file = Path.Combine(data, "listeners.json");
        try
        {
            var listeners = JsonSerializer.Deserialize(File.ReadAllText(file), ListenerJson.Default.ListListenerInfo);
            var dns = listeners?.FirstOrDefault(l => l.Role == "DNS");
            return dns is not null && IPAddress.TryParse(dns.Address, out var a) ? new IPEndPoint(a, dns.Port) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
