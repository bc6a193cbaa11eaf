using System.CommandLine;
using MailLab.MailAuth.Dkim;
using MailLab.Protocols.Dns;
using MailLab.Server.Dkim;
using MailLab.Server.Dns;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab dkim keygen | sign | verify</c>: DKIM by hand. Keys live where the MSA keeps its own
/// (<c>&lt;data&gt;/dkim/&lt;domain&gt;/&lt;selector&gt;.key</c>); verify asks the running lab's DNS and prints
/// every step of every signature, as the MTA traces them.
/// </summary>
internal static class DkimCommand
{
    public static Command Create()
    {
        var dkim = new Command("dkim", "DKIM (RFC 6376, RFC 8463) by hand: make keys, sign and verify message files");
        dkim.Subcommands.Add(Keygen());
        dkim.Subcommands.Add(Sign());
        dkim.Subcommands.Add(Verify());
        return dkim;
    }

    private static Command Keygen()
    {
        var domain = new Option<string>("--domain") { Description = "The signing domain (d=)", Required = true };
        var selector = new Option<string>("--selector") { Description = "The selector (s=): the key is published at SELECTOR._domainkey.DOMAIN", Required = true };
        var algorithm = new Option<string>("--algorithm") { Description = "rsa (rsa-sha256, 2048 bits) or ed25519 (ed25519-sha256)", DefaultValueFactory = _ => "rsa" };
        algorithm.AcceptOnlyFromAmong("rsa", "ed25519");
        var data = CommonOptions.Data();
        var cmd = new Command("keygen", "Make a key pair in <data>/dkim/DOMAIN/SELECTOR.key (0600) and print the DNS record to publish");
        foreach (var o in new Option[] { domain, selector, algorithm, data }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            string d = parse.GetValue(domain)!.Trim().TrimEnd('.').ToLowerInvariant();
            string s = parse.GetValue(selector)!.Trim().ToLowerInvariant();
            if (!DnsNames.CanExist(DkimVerifier.KeyName(s, d)) || s.Contains('/') || d.Contains('/'))
            {
                Console.Error.WriteLine($"maillab: {s}._domainkey.{d} is not a valid DNS name");
                return 2;
            }
            string dir = Path.Combine(CommonOptions.ResolveData(parse.GetValue(data)), "dkim", d);
            string file = Path.Combine(dir, s + ".key");
            if (File.Exists(file))
            {
                Console.Error.WriteLine($"maillab: {file} exists; choose another selector (a new key gets a new selector, RFC 6376 §3.1)");
                return 1;
            }
            Directory.CreateDirectory(dir);
            var key = new DkimSigningKey(d, s, parse.GetValue(algorithm) == "ed25519" ? DkimPrivateKey.CreateEd25519() : DkimPrivateKey.CreateRsa(), file);
            DkimKeySet.WriteKey(key);
            Console.WriteLine($"; private key: {file}");
            Console.WriteLine($"; publish this record in the zone of {d} (<data>/zones/{d}.zone):");
            Console.WriteLine(key.ZoneLine);
            return 0;
        });
        return cmd;
    }

    private static Command Sign()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message file (LF or CRLF line ends)" };
        var domain = new Option<string?>("--domain") { Description = "The signing domain (default: the From domain)" };
        var selector = new Option<string?>("--selector") { Description = "Sign with this key only (default: every key of the domain)" };
        var data = CommonOptions.Data();
        var cmd = new Command("sign", "Sign a message with the domain's keys from <data>/dkim and print it with its DKIM-Signature fields");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { domain, selector, data }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Read(parse.GetValue(file)!) is not { } message) return 1;
            string? d = parse.GetValue(domain)?.Trim().TrimEnd('.').ToLowerInvariant() ?? FromDomain(message);
            if (d is null)
            {
                Console.Error.WriteLine("maillab: the message has no From address; give --domain");
                return 2;
            }
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dataDir) return 1;
            string dir = Path.Combine(dataDir, "dkim", d);
            var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.key").Order(StringComparer.Ordinal).ToList() : [];
            if (parse.GetValue(selector) is { } only) files = files.Where(f => Path.GetFileNameWithoutExtension(f) == only.ToLowerInvariant()).ToList();
            if (files.Count == 0)
            {
                Console.Error.WriteLine($"maillab: no key for {d} in {dir}; make one with 'maillab dkim keygen'");
                return 1;
            }
            var now = DateTimeOffset.UtcNow;
            var fields = files.Select(f =>
            {
                using var key = DkimPrivateKey.FromPem(File.ReadAllText(f));
                return DkimSigner.Sign(message, key, d, Path.GetFileNameWithoutExtension(f), now);
            }).ToList();
            using var stdout = Console.OpenStandardOutput();
            foreach (var f in fields) stdout.Write(DkimCanonicalizer.Octets.GetBytes(f));
            stdout.Write(message);
            return 0;
        });
        return cmd;
    }

    private static Command Verify()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message file (LF or CRLF line ends)" };
        var data = CommonOptions.Data();
        var server = new Option<string?>("--server") { Description = "The DNS to ask, ADDR:PORT. Default: the running lab's (from <data>/listeners.json)" };
        var cmd = new Command("verify", "Verify every DKIM-Signature of a message against the lab DNS and explain each step; exit 0 when one passes");
        cmd.Arguments.Add(file);
        cmd.Options.Add(data);
        cmd.Options.Add(server);
        cmd.SetAction(async (parse, ct) =>
        {
            if (Read(parse.GetValue(file)!) is not { } message) return 1;
            if (DnsCommand.FindServer(parse.GetValue(data), parse.GetValue(server), out var dns) is { } failed) return failed;
            var results = await new DkimVerifier(new LabSpfResolver(new LabResolver(dns))).VerifyAsync(message, ct);
            if (results.Count == 0) Console.WriteLine("dkim=none (the message has no DKIM-Signature)");
            foreach (var r in results)
            {
                Console.WriteLine($"DKIM-Signature #{r.Index}: d={r.Domain} s={r.Selector} a={r.Algorithm}");
                foreach (var step in r.Steps) Console.WriteLine("  " + step);
                Console.WriteLine($"  result: {r.Keyword} ({r.Reason})");
            }
            return results.Any(r => r.Result == DkimResultCode.Pass) ? 0 : 1;
        });
        return cmd;
    }

    // Files on disk often have LF line ends; DKIM is computed over the CRLF form that travels in SMTP.
    private static byte[]? Read(FileInfo file)
    {
        if (!file.Exists)
        {
            Console.Error.WriteLine($"maillab: {file.FullName} does not exist");
            return null;
        }
        return DkimMessage.ToCrlf(File.ReadAllBytes(file.FullName));
    }

    private static string? FromDomain(byte[] message)
    {
        var from = DkimMessage.Parse(message).Headers.FirstOrDefault(h => h.Name.Equals("From", StringComparison.OrdinalIgnoreCase));
        if (from is null || !MimeKit.InternetAddressList.TryParse(from.Value, out var list)) return null;
        return list.Mailboxes.FirstOrDefault()?.Domain.ToLowerInvariant() is { Length: > 0 } d ? d : null;
    }
}
