using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DnsClient;
using DnsClient.Protocol;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dns;

/// <summary>
/// Issue 20 items 1 and 8: what a student can put in the zone directory (a link to the lab CA's key,
/// a FIFO, a hard link, a huge file, a line of escape sequences) never reaches the trace and never
/// stops the reload of the other zones.
/// </summary>
public class ZoneDirectoryTests
{
    private const string SecretLine = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";

    private static string Everything(TraceEvent e) => e.Text + " " + JsonSerializer.Serialize(e.Fields);

    private static LookupClient Client(IPEndPoint server, bool tcp = false) => new(new LookupClientOptions(new NameServer(server))
    {
        UseCache = false, Recursion = false, ThrowDnsErrors = false, UseTcpOnly = tcp, UseTcpFallback = true,
        Retries = 0, Timeout = TimeSpan.FromSeconds(3),
    });

    [Fact]
    public async Task A_zone_file_that_is_a_symlink_is_refused_and_its_target_never_reaches_the_trace()
    {
        string outside = TempDir.New("dns-secret");
        string key = Path.Combine(outside, "ca.key");
        File.WriteAllText(key, $"-----BEGIN PRIVATE KEY-----\n{SecretLine}\n{SecretLine}\n-----END PRIVATE KEY-----\n");
        await using var dns = DnsTestServer.Start();
        string link = Path.Combine(dns.Directory, "leak.zone");
        File.CreateSymbolicLink(link, key);

        var failed = await dns.WaitFor(e => e.Kind == TraceKind.ZoneReloadFailed && (string?)e.Fields["File"] == link, 3000);
        Assert.Contains("not a regular file", (string?)failed.Fields["Problem"]);
        Assert.Contains("symbolic link", failed.Text);
        // Nothing of the target anywhere in the trace, whatever the event.
        Assert.DoesNotContain(dns.Tracer.Stream.Query(), e => Everything(e).Contains("MIIEvQ") || Everything(e).Contains("PRIVATE"));
        // Reported once, not every poll.
        dns.Zones.Refresh();
        dns.Zones.Refresh();
        Assert.Single(dns.Events(TraceKind.ZoneReloadFailed), e => (string?)e.Fields["File"] == link);
        // The other zones are still served.
        Assert.Equal(DnsHeaderResponseCode.NoError, (await Client(dns.EndPoint).QueryAsync("bank.test", QueryType.MX)).Header.ResponseCode);
    }


    [Fact]
    public async Task A_zone_file_with_several_hard_links_is_refused()
    {
        string outside = TempDir.New("dns-hardlink");
        await using var dns = DnsTestServer.Start();
        string original = Path.Combine(outside, "other.test.zone");
        File.WriteAllText(original, "$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n");
        string link = Path.Combine(dns.Directory, "other.test.zone");
        var ln = await ExternalTool.Run("ln", [original, link]);
        Assert.True(ln.Code == 0, ln.Err);
        var failed = await dns.WaitFor(e => e.Kind == TraceKind.ZoneReloadFailed && (string?)e.Fields["File"] == link, 3000);
        Assert.Contains("hard link", (string?)failed.Fields["Problem"]);
        Assert.DoesNotContain(dns.Events(TraceKind.ZoneLoaded), e => (string?)e.Fields["Zone"] == "other.test");
    }


    [Fact]
    public async Task A_zone_file_over_the_size_cap_is_refused_without_being_parsed()
    {
        await using var dns = DnsTestServer.Start();
        string file = Path.Combine(dns.Directory, "big.test.zone");
        var text = new StringBuilder("$TTL 1h\n@ SOA ns hm 1 1 1 1 1\n");
        while (text.Length <= 1024 * 1024) text.Append("; padding padding padding padding padding padding padding padding\n");
        File.WriteAllText(file, text.ToString());
        var failed = await dns.WaitFor(e => e.Fields.TryGetValue("File", out var f) && (string?)f == file
            && e.Kind is TraceKind.ZoneReloadFailed or TraceKind.ZoneLoaded, 3000);
        Assert.Equal(TraceKind.ZoneReloadFailed, failed.Kind);
        Assert.Contains("larger than 1 MiB", (string?)failed.Fields["Problem"]);
    }


    [Fact]
    public void A_parse_error_echoes_a_bounded_escaped_excerpt_with_file_line_and_column()
    {
        string token = "\u001b[2J\u0007\u202e" + new string('A', 5000); // ESC sequence, BEL, a bidi override
        var parsed = ZoneFileParser.Parse($"$TTL 1h\n@ SOA ns hm 1 1 1 1 1\nx IN {token} 1.2.3.4\n", "t.test.zone", "t.test");
        var error = Assert.Single(parsed.Errors);
        Assert.Equal((3, 6), (error.Line, error.Column));
        Assert.StartsWith("t.test.zone:3:6: unknown record type '\\x1B[2J\\x07\\u202E", error.ToString());
        Assert.DoesNotContain(error.Problem, c => c < 0x20 || c == 0x7F || c == '\u202e');
        Assert.DoesNotContain(new string('A', 81), error.Problem);
        Assert.True(error.Problem.Length < 200, error.Problem);
    }


    [Fact]
    public async Task A_fifo_named_zone_does_not_stop_the_reload_of_other_zones()
    {
        await using var dns = DnsTestServer.Start();
        string fifo = Path.Combine(dns.Directory, "stuck.zone");
        var mk = await ExternalTool.Run("mkfifo", [fifo]);
        Assert.True(mk.Code == 0, mk.Err);
        bool reloaded = false;
        try
        {
            await dns.WaitFor(e => e.Kind == TraceKind.ZoneReloadFailed && (string?)e.Fields["File"] == fifo, 3000);
            string file = Path.Combine(dns.Directory, "bank.test.zone");
            File.WriteAllText(file, File.ReadAllText(file).Replace("mx      IN  A    127.0.2.1", "mx      IN  A    127.0.2.98"));
            await dns.WaitFor(e => e.Kind == TraceKind.ZoneLoaded && (string?)e.Fields["Zone"] == "bank.test" && e.Sequence > 0
                && dns.Events(TraceKind.ZoneLoaded).Count(z => (string?)z.Fields["Zone"] == "bank.test") >= 2, 2000);
            reloaded = true;
            var a = await Client(dns.EndPoint).QueryAsync("mx.bank.test", QueryType.A);
            Assert.Equal("127.0.2.98", a.Answers.ARecords().Single().Address.ToString());
        }
        finally
        {
            // Without the fix the poller sits in open(2) on the FIFO; a writer lets it go, so the test ends.
            if (!reloaded) await ExternalTool.Run("timeout", ["2", "sh", "-c", $": > '{fifo}'"]);
        }
    }

    [Fact]
    public async Task Dkim_key_publishing_neither_writes_through_a_symlink_nor_blocks_on_a_fifo()
    {
        string outside = TempDir.New("dns-victim");
        string victim = Path.Combine(outside, "victim.txt");
        File.WriteAllText(victim, "untouched\n");
        string data = TempDir.New("dkim-publish");
        string zones = Directory.CreateDirectory(Path.Combine(data, "zones")).FullName;
        File.CreateSymbolicLink(Path.Combine(zones, "uc.test.zone"), victim);
        string fifo = Path.Combine(zones, "bank.test.zone");
        var mk = await ExternalTool.Run("mkfifo", [fifo]);
        Assert.True(mk.Code == 0, mk.Err);

        var made = Task.Run(() => MailLab.Server.Dkim.DkimKeySet.LoadOrCreate(data, ["uc.test", "bank.test"]));
        bool finished = await Task.WhenAny(made, Task.Delay(TimeSpan.FromSeconds(30))) == made;
        if (!finished) await ExternalTool.Run("timeout", ["2", "sh", "-c", $": > '{fifo}'"]); // let a blocked open go
        Assert.True(finished, "publishing a DKIM key blocked on a FIFO named bank.test.zone");
        Assert.Equal(4, (await made).Keys.Count);
        Assert.Equal("untouched\n", File.ReadAllText(victim));
    }
}
