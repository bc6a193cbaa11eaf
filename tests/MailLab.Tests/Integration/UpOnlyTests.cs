using System.Diagnostics;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Exercises;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Integration;

/// <summary>
/// <c>maillab up --only</c>: one lab file, each process runs some of its sites and/or the lab DNS,
/// the way the multi-host classroom does (one host per site).
/// </summary>
public sealed class UpOnlyTests
{
    private static string LabFile(string dir, string name, string yaml)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Unknown_name_or_unreachable_dns_is_a_one_line_error_and_exit_2()
    {
        var dir = TempDir.New("only-bad");
        var lab = LabFile(dir, "lab.yml", TestLab.LabYaml());
        var data = Path.Combine(dir, "data");

        var (code, _, err) = await MailLabProcess.Run("up", "--lab", lab, "--data", data, "--only", "uc,bnak");
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("'bnak'", err);
        Assert.Contains("uc, bank, evil, dns", err);

        var empty = await MailLabProcess.Run("up", "--lab", lab, "--data", data, "--only", "uc,,dns");
        Assert.Equal(2, empty.Code);
        Assert.Contains("empty name", empty.Err);

        // The test lab's DNS is on port 0: a site without the DNS beside it could never find it.
        var noDns = await MailLabProcess.Run("up", "--lab", lab, "--data", data, "--only", "uc");
        Assert.Equal(2, noDns.Code);
        Assert.Contains("dns: port", noDns.Err);
        Assert.False(File.Exists(Path.Combine(data, "listeners.json")));
    }

    [Fact]
    public async Task Dns_and_two_sites_in_three_processes_relay_by_MX_and_list_only_their_own_listeners()
    {
        var dir = TempDir.New("only");
        var processes = new List<Process>();
        try
        {
            // 1. The lab DNS alone, on a free port; its dashboard follows the two sites' traces, as the classroom's dns container does.
            var dnsData = Path.Combine(dir, "dns");
            var bankData = Path.Combine(dir, "bank");
            var ucData = Path.Combine(dir, "uc");
            MailLabProcess.SeedCa(bankData);
            MailLabProcess.SeedCa(ucData);
            var (dnsProc, dnsListeners) = await MailLabProcess.Up(LabFile(dir, "lab-dns.yml", TestLab.LabYaml()), dnsData, true, "--only", "dns",
                "--follow", ucData, "--follow", bankData);
            processes.Add(dnsProc);
            // The DNS process runs the lab DNS and, beside it, the lab web service (issue 15) and the dashboard (issue 17): nothing of a site.
            Assert.Equal(["DASHBOARD", "DNS", "WEB"], dnsListeners.Select(l => l.Role).Order());
            Assert.All(dnsListeners, l => Assert.Equal("lab", l.Site));
            var dns = Assert.Single(dnsListeners, l => l.Role == "DNS");

            // 2. bank alone; it learns where the DNS is from the lab file, like every other host.
            string withDns = TestLab.LabYaml().Replace("dns: { port: 0 }", $"dns: {{ address: {dns.Address}, port: {dns.Port} }}");
            Assert.NotEqual(TestLab.LabYaml(), withDns);
            var (bankProc, bankListeners) = await MailLabProcess.Up(LabFile(dir, "lab-bank.yml", withDns), bankData, true, "--only", "bank");
            processes.Add(bankProc);
            Assert.Equal(3, bankListeners.Count);
            Assert.All(bankListeners, l => Assert.Equal("bank", l.Site));
            Assert.False(Directory.Exists(Path.Combine(bankData, "zones"))); // no DNS here, so no zone copy
            var bankMta = bankListeners.Single(l => l.Role == "MTA");

            // 3. uc alone, with bank's real MTA port in its copy of the lab file (the ports are 0 in tests).
            string withBank = withDns.Replace("address: 127.0.2.1\n    ports: { mta: 0,", $"address: 127.0.2.1\n    ports: {{ mta: {bankMta.Port},");
            Assert.NotEqual(withDns, withBank);
            var (ucProc, ucListeners) = await MailLabProcess.Up(LabFile(dir, "lab-uc.yml", withBank), ucData, true, "--only", "uc");
            processes.Add(ucProc);
            Assert.Equal(["uc"], ucListeners.Select(l => l.Site).Distinct());
            Assert.DoesNotContain(ucListeners, l => l.Role == "DNS");

            await Submit(ucListeners.Single(l => l.Role == "MSA" && l.Tls == "starttls"), "across processes");

            // uc found bank.test's MX through the DNS process and delivered into bank's own store.
            var text = await WaitForOnlyMessage(Path.Combine(bankData, "mail", "bank.test", "bob", "INBOX"), Path.Combine(ucData, "trace", "trace.jsonl"));
            Assert.Contains("Subject: across processes", text);
            Assert.Contains("Return-Path: <alice@uc.test>", text);
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(text, "^Received: ", System.Text.RegularExpressions.RegexOptions.Multiline));
            Assert.Contains("from mx.uc.test", text);
            var ucTrace = await File.ReadAllTextAsync(Path.Combine(ucData, "trace", "trace.jsonl"));
            Assert.Contains($"10 mx.bank.test 127.0.2.1", ucTrace); // the MX lookup, answered by the DNS process
            Assert.False(Directory.Exists(Path.Combine(ucData, "mail", "bank.test"))); // uc did not deliver it itself

            // The DNS process knows the other processes' resolvers by the sites' addresses: their questions are the lab's.
            var dnsEvents = await WaitForDnsTrace(dnsData, e => e.Field("Name") == "_dmarc.uc.test");
            var mx = dnsEvents.First(e => e.Kind == TraceKind.DnsQuery && e.Field("Name") == "bank.test" && e.Field("Type") == "MX");
            Assert.Equal(("127.0.1.1", LabOrigin.Resolver), (mx.Field("Client"), mx.Origin));
            var dmarc = dnsEvents.First(e => e.Kind == TraceKind.DnsQuery && e.Field("Name") == "_dmarc.uc.test");
            Assert.Equal(("127.0.2.1", LabOrigin.Resolver), (dmarc.Field("Client"), dmarc.Origin));
            // A student's dig from 127.0.0.1 is not.
            var dig = await ExternalTool.Run("dig", [$"@{dns.Address}", "-p", dns.Port.ToString(), "mx", "evil.test", "+norecurse", "+time=3", "+tries=1"]);
            Assert.True(dig.Code == 0, dig.Err);
            var student = (await WaitForDnsTrace(dnsData, e => e.Field("Name") == "evil.test")).First(e => e.Kind == TraceKind.DnsQuery && e.Field("Name") == "evil.test");
            Assert.Equal(("127.0.0.1", (string?)null), (student.Field("Client"), student.Origin));

            // The DNS process's dashboard shows the sites' events too: the message's journey runs from uc's MSA to bank's store.
            await AssertDashboardFollows(dnsListeners.Single(l => l.Role == "DASHBOARD"), "across processes");
            await AssertMailboxesFollowed(dnsListeners.Single(l => l.Role == "DASHBOARD"), Path.Combine(bankData, "mail"), "across processes");
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill();
                await p.WaitForExitAsync();
                p.Dispose();
            }
        }
    }

    /// <summary>
    /// The dashboard of the DNS process (started with --follow) lists the message submitted at uc and its journey
    /// crosses both site processes, with each process's sessions told apart by their prefix.
    /// </summary>
    private static async Task AssertDashboardFollows(ListenerInfo dashboard, string subject)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{dashboard.Address}:{dashboard.Port}"), Timeout = TimeSpan.FromSeconds(20) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        System.Text.Json.JsonElement journey = default;
        while (true)
        {
            using var list = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/messages"));
            var entry = list.RootElement.EnumerateArray().FirstOrDefault(m => m.TryGetProperty("subject", out var s) && s.GetString() == subject);
            if (entry.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/api/messages/{entry.GetProperty("id").GetString()}/journey"));
                journey = doc.RootElement.Clone();
                if (journey.GetProperty("outcome").GetString() == "delivered"
                    && journey.GetProperty("timeline").EnumerateArray().Any(t => t.GetProperty("stage").GetString() == "MDA → store")) break;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the dashboard has no delivered journey for '{subject}': {journey}");
            await Task.Delay(200);
        }
        var steps = journey.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Contains(steps, t => t.GetProperty("site").GetString() == "uc" && t.GetProperty("session").GetString()?.StartsWith("uc:", StringComparison.Ordinal) == true);
        Assert.Contains(steps, t => t.GetProperty("site").GetString() == "bank" && t.GetProperty("session").GetString()?.StartsWith("bank:", StringComparison.Ordinal) == true);
        Assert.Equal(2, journey.GetProperty("ids").GetArrayLength()); // uc's queue id, then bank's
    }

    /// <summary>
    /// The DNS process runs no site, yet its dashboard shows bob's mailbox from bank's followed data directory, the
    /// message in it, and its raw source, and reading them changed nothing in bank's store (a read-only view).
    /// </summary>
    private static async Task AssertMailboxesFollowed(ListenerInfo dashboard, string bankStore, string subject)
    {
        static string Tree(string root) => string.Join("\n", Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Select(p => $"{p} {File.GetLastWriteTimeUtc(p):O}"));
        string before = Tree(bankStore);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{dashboard.Address}:{dashboard.Port}"), Timeout = TimeSpan.FromSeconds(20) };
        using var list = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/mailboxes"));
        var bob = list.RootElement.GetProperty("mailboxes").EnumerateArray().Single(m => m.GetProperty("address").GetString() == "bob@bank.test");
        Assert.Equal(("bank", 1), (bob.GetProperty("site").GetString(), bob.GetProperty("messages").GetInt32()));
        using var page = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/mailboxes/bob@bank.test/messages?folder=INBOX"));
        var message = page.RootElement.GetProperty("messages").EnumerateArray().Single();
        Assert.Equal(subject, message.GetProperty("subject").GetString());
        string raw = await http.GetStringAsync($"/api/mailboxes/bob@bank.test/messages/INBOX/{message.GetProperty("uid").GetUInt32()}/raw");
        Assert.Contains("Subject: " + subject, raw);
        Assert.Contains("Return-Path: <alice@uc.test>", raw);
        Assert.Equal(before, Tree(bankStore));
    }

    /// <summary>The DNS process's trace file once it holds a DnsQuery matching <paramref name="match"/> (it is flushed once a second).</summary>
    private static async Task<IReadOnlyList<TraceEvent>> WaitForDnsTrace(string dnsData, Func<TraceEvent, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var events = (await TraceFileReader.ReadAsync(dnsData)).Events;
            if (events.Any(e => e.Kind == TraceKind.DnsQuery && match(e))) return events;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the DNS process's trace file does not hold the query");
            await Task.Delay(100);
        }
    }

    private static async Task Submit(ListenerInfo msa, string subject)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("alice@uc.test"));
        m.To.Add(MailboxAddress.Parse("bob@bank.test"));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = "From one process to another." };
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await client.ConnectAsync(msa.Address, msa.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("alice@uc.test", "lab-alice");
        await client.SendAsync(m);
        await client.DisconnectAsync(true);
    }

    /// <summary>Polls the Maildir itself (another process writes it): new/ then cur/.</summary>
    private static async Task<string> WaitForOnlyMessage(string maildir, string senderTrace)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var files = new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(Directory.Exists)
                .SelectMany(Directory.GetFiles).ToList();
            if (files.Count > 0) return await File.ReadAllTextAsync(Assert.Single(files));
            await Task.Delay(100);
        }
        var relayLines = File.ReadLines(senderTrace).Where(l => l.Contains("\"Relay") || l.Contains("Queue")).TakeLast(8);
        throw new TimeoutException($"nothing in {maildir} within 20 s; the sender's trace: {string.Join("\n", relayLines)}");
    }
}
