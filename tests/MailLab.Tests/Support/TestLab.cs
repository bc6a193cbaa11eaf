using MailLab.Server;
using MailLab.Server.Delivery;
using MailLab.Server.Imap;
using MailLab.Server.Lab;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Tests.Support;

/// <summary>
/// A small lab for tests: the default lab's shape on loopback addresses with every port 0 (the
/// system picks free ports), in its own data directory, with the trace kept in memory.
/// </summary>
public sealed class TestLab : IAsyncDisposable
{
    public const string Yaml = """
        name: test
        switches:
          allow-plaintext-auth: {PLAIN}
          reveal-secrets: {REVEAL}
          allow-sender-forgery: {FORGE}
          enable-vrfy: false
          reject-spf-fail: {SPF}
          dmarc-monitor-only: {DMARCMON}
          show-dmarc-verdict: {DMARCSHOW}
        limits:
          max-recipients: {RCPTS}
          max-message-size: {SIZE}
          max-connections-per-client: {PERCLIENT}
          command-timeout: {TIMEOUT}
        dns: { port: 0 }
        web: { port: 0 }
        sites:
          - name: uc
            domains: [uc.test]
            host-names: [mx.uc.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - { address: alice@uc.test, password: lab-alice }
          - name: bank
            domains: [bank.test]
            host-names: [mx.bank.test]
            address: 127.0.2.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - { address: bob@bank.test, password: lab-bob }
              - { address: ceo@bank.test, password: lab-ceo }
              - { address: postmaster@bank.test, password: lab-postmaster }
          - name: evil
            domains: [evil.test]
            host-names: [mx.evil.test]
            address: 127.0.3.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - { address: mallory@evil.test, password: lab-mallory }
        """;

    private TestLab(string data, LabDefinition lab, Tracer tracer)
    {
        DataDirectory = data;
        Definition = lab;
        Tracer = tracer;
        ownStore = new MessageStore(Path.Combine(data, "mail"));
        var mda = new LocalDelivery(ownStore, Path.Combine(data, "spool"));
        Queue = new RelayQueue(Path.Combine(data, "queue"));
        Sites = lab.Sites.Select(s => new LabSite(lab, s,
            TestPki.Ca.GetOrCreateServerCertificate(s.Name, s.HostNames, [System.Net.IPAddress.Parse(s.Address)]), tracer, mda)).ToList();
        foreach (var site in Sites)
        {
            roles.Add(site, new SiteRoles(Queue, new ImapUserLimiter()));
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LabSite, SiteRoles> roles = new();

    /// <summary>The per-role services LabRuntime passes to a site's sessions, as this test lab gives them to its transcripts.</summary>
    public sealed record SiteRoles(RelayQueue Queue, ImapUserLimiter ImapUsers);

    /// <summary>The per-role services of a site of a test lab (the transcripts pass them to the sessions they start).</summary>
    public static SiteRoles RolesOf(LabSite site) =>
        roles.TryGetValue(site, out var r) ? r : throw new InvalidOperationException($"site {site.Name} is not from a TestLab");

    public string DataDirectory { get; }
    public LabDefinition Definition { get; }
    public Tracer Tracer { get; }
    private readonly MessageStore ownStore;

    /// <summary>
    /// The store to read mail from: the running lab's own once started (one process, one store
    /// instance per root: two instances would not share the per-folder locks).
    /// </summary>
    public MessageStore Store => Runtime?.Store ?? ownStore;
    /// <summary>The lab's outbound queue (the in-memory transcript sessions queue into it too).</summary>
    public RelayQueue Queue { get; }
    public IReadOnlyList<LabSite> Sites { get; }
    public LabRuntime? Runtime { get; private set; }

    public LabSite Site(string name) => Sites.First(s => s.Name == name);

    /// <summary>
    /// The test lab's YAML with the given switches and limits. DMARC is monitor-only by default, so tests of
    /// other areas can still deliver forged bank.test mail (bank.test publishes p=reject); DMARC tests turn it off.
    /// </summary>
    public static string LabYaml(bool plaintextAuth = false, bool revealSecrets = false, bool forgery = false,
        int maxRecipients = 100, string maxSize = "10MiB", int perClient = 20, string commandTimeout = "5m", bool rejectSpfFail = false,
        bool dmarcMonitorOnly = true, bool showDmarcVerdict = false) =>
        Yaml.Replace("{PLAIN}", plaintextAuth ? "true" : "false").Replace("{REVEAL}", revealSecrets ? "true" : "false")
            .Replace("{FORGE}", forgery ? "true" : "false").Replace("{RCPTS}", maxRecipients.ToString())
            .Replace("{SIZE}", maxSize).Replace("{PERCLIENT}", perClient.ToString()).Replace("{TIMEOUT}", commandTimeout)
            .Replace("{SPF}", rejectSpfFail ? "true" : "false")
            .Replace("{DMARCMON}", dmarcMonitorOnly ? "true" : "false").Replace("{DMARCSHOW}", showDmarcVerdict ? "true" : "false");

    /// <summary>The test lab's YAML with bank.test's MTA on a given port.</summary>
    public static string LabYamlWithBankMtaPort(int port) =>
        LabYaml().Replace("address: 127.0.2.1\n    ports: { mta: 0,", $"address: 127.0.2.1\n    ports: {{ mta: {port},");

    /// <param name="relay">YAML text of a root <c>relay:</c> section to append (relay-port, retry-intervals, queue-lifetime).</param>
    /// <param name="data">Reuse this data directory (a restart); default: a new one.</param>
    public static TestLab Create(bool plaintextAuth = false, bool revealSecrets = false, bool forgery = false,
        int maxRecipients = 100, string maxSize = "10MiB", int perClient = 20, string commandTimeout = "5m",
        string? relay = null, string? data = null, bool rejectSpfFail = false, bool dmarcMonitorOnly = true, bool showDmarcVerdict = false)
    {
        var yaml = LabYaml(plaintextAuth, revealSecrets, forgery, maxRecipients, maxSize, perClient, commandTimeout, rejectSpfFail,
            dmarcMonitorOnly, showDmarcVerdict);
        return FromYaml(relay is null ? yaml : yaml + "\n" + relay, revealSecrets, data);
    }

    /// <summary>A lab from any YAML text (for a second, separate lab in relay tests).</summary>
    /// <param name="logger">Where the trace is also written (console and JSON lines), as <c>maillab up</c> does; none by default.</param>
    public static TestLab FromYaml(string yaml, bool revealSecrets = false, string? data = null, TraceLog? logger = null)
    {
        var lab = LabDefinitionLoader.Parse(yaml, "test-lab.yml");
        // The default DNS port (1053) may be held by a developer's running lab: tests take a free one.
        Assert.True(lab.Dns.Port == 0, "a test lab needs dns: { port: 0 }");
        data ??= TempDir.New("lab");
        // The shared CA is copied in so the runtime finds it instead of generating a new one.
        var certs = Directory.CreateDirectory(Path.Combine(data, "certs")).FullName;
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(TestPki.Ca.CertificatePath)!))
        {
            var target = Path.Combine(certs, Path.GetFileName(f));
            if (!File.Exists(target)) File.Copy(f, target);
        }
        CopyTree(SharedDkimKeys.Value, Path.Combine(data, "dkim"));
        return new TestLab(data, lab, new Tracer(new TraceStream(), logger, revealSecrets));
    }

    /// <summary>
    /// DKIM keys made once per test run and copied into each lab (2048-bit RSA keys take a while to make);
    /// a lab whose zone files are new publishes them on start as if it had made them.
    /// </summary>
    private static readonly Lazy<string> SharedDkimKeys = new(() =>
    {
        var dir = TempDir.New("dkim-keys");
        MailLab.Server.Dkim.DkimKeySet.LoadOrCreate(dir, ["uc.test", "bank.test", "evil.test"]);
        return Path.Combine(dir, "dkim");
    });

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!File.Exists(target)) File.Copy(file, target);
        }
    }

    /// <summary>
    /// Starts real listeners (all on free ports); relay resolves MX through <paramref name="resolver"/> when given.
    /// The users' S/MIME and OpenPGP keys are made only with <paramref name="userKeys"/> (they cost CPU the other tests do not need).
    /// </summary>
    public TestLab Start(IMxResolver? resolver = null, bool userKeys = false)
    {
        Runtime = LabRuntime.Start(Definition, DataDirectory, Tracer, resolver: resolver, userKeys: userKeys);
        return this;
    }

    public IReadOnlyList<TraceEvent> Events(TraceKind? kind = null, string? session = null) =>
        Tracer.Stream.Query(new TraceQuery(Kind: kind, Session: session));

    /// <summary>Waits until the trace holds an event matching <paramref name="match"/>.</summary>
    public async Task<TraceEvent> WaitForEvent(Func<TraceEvent, bool> match, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            var found = Tracer.Stream.Query().FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(20);
        }
        throw new TimeoutException("no matching trace event");
    }

    public async ValueTask DisposeAsync()
    {
        if (Runtime is not null) await Runtime.DisposeAsync();
    }
}
