using System.Net;
using MailLab.MailAuth.Spf;
using MailLab.Server.Dns;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Spf;

/// <summary>
/// Interop (issue 4): Debian's pyspf (python3-spf) and MailLab's SpfEvaluator must give the same
/// check_host() result, both asking the same running lab DNS. No deliberate disagreement is listed:
/// every case below is expected to agree.
/// </summary>
public sealed class PySpfInteropTests
{
    // Debian's interpreter: the package installs the module for /usr/bin/python3, not for another python on PATH.
    private const string Python = "/usr/bin/python3";

    // Points pyspf's DNS module (pydns "DNS" or dnspython "dns", whichever pyspf picked) at the lab DNS,
    // then reads "ip sender helo" lines from stdin and prints "ip sender result" for each.
    private const string Script = """
        import sys
        server, port = sys.argv[1], int(sys.argv[2])
        import spf
        try:
            import DNS
            DNS.defaults['server'] = [server]
            DNS.defaults['port'] = port
        except ImportError:
            pass
        try:
            import dns.resolver
            r = dns.resolver.Resolver(configure=False)
            r.nameservers = [server]
            r.port = port
            dns.resolver.default_resolver = r
        except ImportError:
            pass
        for line in sys.stdin:
            parts = line.split()
            if len(parts) != 3:
                continue
            ip, sender, helo = parts
            res, _ = spf.check2(i=ip, s=sender, h=helo, receiver='mx.test', querytime=10)
            print(ip, sender, res, flush=True)
        """;

    private static readonly string[] ResultNames = ["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"];

    /// <summary>pyspf's result for each (ip, sender, helo), in one python process.</summary>
    private static async Task<List<string>> PySpf(IPEndPoint dns, IReadOnlyList<(string Ip, string Sender, string Helo)> cases)
    {
        var file = Path.Combine(TempDir.New("pyspf"), "check.py");
        await File.WriteAllTextAsync(file, Script);
        var input = string.Concat(cases.Select(c => $"{c.Ip} {c.Sender} {c.Helo}\n"));
        var (code, stdout, stderr) = await ExternalTool.Run(Python, [file, dns.Address.ToString(), dns.Port.ToString()], input, timeoutSeconds: 120);
        Assert.True(code == 0, $"python3 exited {code}: {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == cases.Count, $"expected {cases.Count} lines from pyspf, got:\n{stdout}\n{stderr}");
        var results = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var f = lines[i].Split(' ');
            Assert.Equal((cases[i].Ip, cases[i].Sender), (f[0], f[1]));
            Assert.Contains(f[2], ResultNames);
            results.Add(f[2]);
        }
        return results;
    }

    /// <summary>Runs both evaluators on every case; returns the table of results for assertions.</summary>
    private static async Task<List<(string Case, string Ours, string Theirs)>> Compare(
        TestLab lab, IReadOnlyList<(string Ip, string Sender, string Helo)> cases)
    {
        var dns = lab.Runtime!.Dns!.EndPoint;
        var evaluator = new SpfEvaluator(new LabSpfResolver(new LabResolver(dns)), "mx.test");
        var theirs = await PySpf(dns, cases);
        var rows = new List<(string, string, string)>();
        for (int i = 0; i < cases.Count; i++)
        {
            var (ip, sender, helo) = cases[i];
            var ours = await evaluator.CheckMailFromAsync(IPAddress.Parse(ip), sender, helo);
            rows.Add(($"{ip} {sender}", ours.Result.ToString().ToLowerInvariant(), theirs[i]));
        }
        return rows;
    }

    private static void AssertAgree(List<(string Case, string Ours, string Theirs)> rows)
    {
        var disagree = rows.Where(r => r.Ours != r.Theirs).Select(r => $"{r.Case}: maillab={r.Ours} pyspf={r.Theirs}").ToList();
        Assert.True(disagree.Count == 0, "disagreements:\n" + string.Join("\n", disagree));
    }

    [Fact]
    public async Task Default_lab_records_give_the_same_result_in_pyspf_and_maillab()
    {
        await using var lab = TestLab.Create().Start();
        string[] ips = ["127.0.1.1", "127.0.2.1", "127.0.3.1", "127.0.9.9"];
        string[] senders = ["ceo@bank.test", "alice@uc.test", "mallory@evil.test"];
        var cases = ips.SelectMany(ip => senders.Select(s => (ip, s, "client.test"))).ToList();
        var rows = await Compare(lab, cases);
        AssertAgree(rows);
        // The comparison is not vacuous: the three policies give their three results.
        Assert.Equal("pass", rows.Single(r => r.Case == "127.0.2.1 ceo@bank.test").Ours);
        Assert.Equal("fail", rows.Single(r => r.Case == "127.0.3.1 ceo@bank.test").Ours);
        Assert.Equal("softfail", rows.Single(r => r.Case == "127.0.3.1 alice@uc.test").Ours);
        Assert.Equal("pass", rows.Single(r => r.Case == "127.0.9.9 mallory@evil.test").Ours);
    }

    // Generated policies under gen.test, one per name; names tell what each exercises (RFC 7208 §5, §6, §4.6.4).
    private const string GenZone = """
        $ORIGIN gen.test.
        $TTL 1h
        @        IN SOA ns.gen.test. hostmaster.gen.test. 1 1h 15m 1w 5m
        @        IN NS  ns.gen.test.
        ns       IN A   127.0.9.1
        @        IN MX  10 mx.gen.test.
        mx       IN A   127.0.5.10
        mx       IN A   127.0.5.11
        host     IN A   127.0.6.1
        none     IN A   127.0.6.2
        127.0.4.5.ok IN A 127.0.0.2
        alice.users  IN A 127.0.0.2
        cidr     IN TXT "v=spf1 ip4:127.0.4.0/24 ip4:127.0.7.128/25 -all"
        a        IN TXT "v=spf1 a:host.gen.test ~all"
        acidr    IN TXT "v=spf1 a:host.gen.test/16 -all"
        mx-only  IN TXT "v=spf1 mx:gen.test -all"
        inc      IN TXT "v=spf1 include:cidr.gen.test ?all"
        incbank  IN TXT "v=spf1 include:bank.test ~all"
        red      IN TXT "v=spf1 redirect=uc.test"
        red2     IN TXT "v=spf1 ip4:127.0.8.1 redirect=a.gen.test"
        exists   IN TXT "v=spf1 exists:%{i}.ok.gen.test -all"
        macro    IN TXT "v=spf1 exists:%{l}.users.gen.test -all"
        void1    IN TXT "v=spf1 a:nothing.gen.test ?all"
        void3    IN TXT "v=spf1 a:n1.gen.test a:n2.gen.test a:n3.gen.test +all"
        badip    IN TXT "v=spf1 ip4:127.0.4.300 -all"
        badmech  IN TXT "v=spf1 foo:bar -all"
        neutral  IN TXT "v=spf1 ?all"
        noall    IN TXT "v=spf1 ip4:127.0.4.1"
        incnone  IN TXT "v=spf1 include:none.gen.test -all"
        two      IN TXT "v=spf1 +all"
        two      IN TXT "v=spf1 -all"
        loop     IN TXT "v=spf1 include:loop.gen.test -all"
        """;

    [Fact]
    public async Task Generated_records_give_the_same_result_in_pyspf_and_maillab()
    {
        await using var lab = TestLab.Create().Start();
        var before = lab.Tracer.Stream.Count;
        await File.WriteAllTextAsync(Path.Combine(lab.DataDirectory, "zones", "gen.test.zone"), GenZone.Replace("\r\n", "\n") + "\n");
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Field("Zone") == "gen.test", 5_000);

        string[] names = ["cidr", "a", "acidr", "mx-only", "inc", "incbank", "red", "red2", "exists", "macro", "void1", "void3",
            "badip", "badmech", "neutral", "noall", "incnone", "none", "two", "loop"];
        string[] ips = ["127.0.4.5", "127.0.7.200", "127.0.6.1", "127.0.6.77", "127.0.5.11", "127.0.2.1", "127.0.1.1", "127.0.9.9"];
        var cases = names.SelectMany(n => ips.Select(ip => (ip, (n == "macro" ? "alice" : "user") + $"@{n}.gen.test", "client.test"))).ToList();
        var rows = await Compare(lab, cases);
        AssertAgree(rows);

        // Every result but temperror is reached, so the agreement covers them all.
        var seen = rows.Select(r => r.Ours).ToHashSet();
        foreach (var r in new[] { "pass", "fail", "softfail", "neutral", "none", "permerror" }) Assert.Contains(r, seen);
        string Ours(string ip, string name) => rows.Single(r => r.Case == $"{ip} user@{name}.gen.test").Ours;
        Assert.Equal("pass", Ours("127.0.7.200", "cidr"));
        Assert.Equal("pass", Ours("127.0.6.77", "acidr"));
        Assert.Equal("pass", Ours("127.0.5.11", "mx-only"));
        Assert.Equal("pass", Ours("127.0.4.5", "exists"));
        Assert.Equal("permerror", Ours("127.0.4.5", "void3"));
        Assert.Equal("permerror", Ours("127.0.4.5", "badip"));
        Assert.Equal("permerror", Ours("127.0.4.5", "two"));
        Assert.Equal("permerror", Ours("127.0.4.5", "loop"));
        Assert.Equal("softfail", Ours("127.0.9.9", "red"));
        Assert.Equal("none", Ours("127.0.9.9", "none"));
    }
}
