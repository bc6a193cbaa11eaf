using System.Net;
using System.Text;
using System.Text.Json;
using MailLab.Server.Certificates;
using MailLab.Server.Delivery;
using MailLab.Server.Dns;
using MailLab.Server.Imap;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Pop3;
using MailLab.Server.Relay;
using MailLab.Server.Sites;
using MailLab.Server.Smtp;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server;

/// <summary>
/// A running lab: every site's listeners bound and accepting, over one data directory
/// (certificates, mail store, spool, trace). Used by <c>maillab up</c> and by the tests.
/// </summary>
public sealed partial class LabRuntime : IAsyncDisposable
{
    private readonly List<TcpListenerHost> listeners;
    private RelayWorker? relay;
    private IReadOnlyDictionary<string, Dkim.DkimKeySet> dkimKeys = new Dictionary<string, Dkim.DkimKeySet>();
    private readonly Dictionary<string, Checks.ReceiveServices> receive = [];
    private Attacks.LabAttackers attackers = Attacks.LabAttackers.None;

    private LabRuntime(LabDefinition lab, string dataDirectory, Tracer tracer, LabCertificateAuthority ca,
        MessageStore store, IReadOnlyList<LabSite> sites, List<TcpListenerHost> listeners, LabDnsServer? dns, RelayQueue queue,
        LabSelection selection, Web.LabWebServer? web)
    {
        Dns = dns;
        Web = web;
        Queue = queue;
        Selection = selection;
        Lab = lab;
        DataDirectory = dataDirectory;
        Tracer = tracer;
        CertificateAuthority = ca;
        Store = store;
        Sites = sites;
        this.listeners = listeners;
    }

    /// <summary>The lab definition that is running.</summary>
    public LabDefinition Lab { get; }

    /// <summary>Where certificates, mail, spool and trace live.</summary>
    public string DataDirectory { get; }

    /// <summary>The trace every role writes to.</summary>
    public Tracer Tracer { get; }

    /// <summary>The lab's certificate authority.</summary>
    public LabCertificateAuthority CertificateAuthority { get; }

    /// <summary>The message store shared by the sites.</summary>
    public MessageStore Store { get; }

    /// <summary>The running sites.</summary>
    public IReadOnlyList<LabSite> Sites { get; }

    /// <summary>The outbound queue (<c>&lt;data&gt;/queue</c>).</summary>
    public RelayQueue Queue { get; }

    /// <summary>The queue runner that relays to other sites; null when this process runs no site.</summary>
    internal RelayWorker? Relay => relay;

    /// <summary>The DMARC aggregate reporter (interval and <c>maillab dmarc report send</c>); null when this process runs no site.</summary>
    public Reports.DmarcReporter? Reports { get; private set; }

    /// <summary>The lab DNS server (its zones are in <c>&lt;data&gt;/zones</c>); null when it runs elsewhere.</summary>
    public LabDnsServer? Dns { get; }

    /// <summary>The lab's HTTP service (CA files, HKP key server, WKD); it runs beside the lab DNS, so null when that runs elsewhere.</summary>
    public Web.LabWebServer? Web { get; }

    /// <summary>The sites and DNS this process runs (all of them unless <c>--only</c> was given).</summary>
    public LabSelection Selection { get; }

    /// <summary>Every bound listener with its real port, then the DNS and the web service.</summary>
    public IReadOnlyList<ListenerInfo> Listeners =>
        listeners.Select(l => l.Info).Concat(Dns is null ? [] : [Dns.Info]).Concat(Web is null ? [] : [Web.Info])
            .Concat(Dashboard is null ? [] : [Dashboard.Info]).Concat(attackers.Listeners).ToList();

    /// <summary>The health of a listener of <see cref="Listeners"/>: the mail listeners' and the DNS's; null for the web services.</summary>
    public ListenerHealth? HealthOf(ListenerInfo info) =>
        Dns is { } dns && dns.Info == info ? dns.Health : listeners.FirstOrDefault(l => l.Info == info)?.Health;

    /// <summary>Path of the listeners.json file written at start.</summary>
    public string ListenersFile => Path.Combine(DataDirectory, "listeners.json");

    /// <summary>The endpoint of a site's listener by role and TLS mode ("none", "starttls", "implicit").</summary>
    public IPEndPoint EndPoint(string site, string role, string? tls = null)
    {
        var l = Listeners.First(l => l.Site.Equals(site, StringComparison.OrdinalIgnoreCase)
            && l.Role.Equals(role, StringComparison.OrdinalIgnoreCase) && (tls is null || l.Tls == tls));
        return new IPEndPoint(IPAddress.Parse(l.Address), l.Port);
    }

    /// <summary>
    /// Prepares the data directory, certificates and store, binds every listener (all or none:
    /// a failure closes those already bound and throws <see cref="ListenerBindException"/>), starts
    /// them and writes listeners.json. <paramref name="onBound"/> runs after binding, before the
    /// first connection is accepted (the host prints its listener table there). Outbound relay finds
    /// mail exchangers through <paramref name="resolver"/>; without one, through the lab DNS (MX
    /// records of the zone files, so an edited zone changes where mail goes): the one this process
    /// runs, else the lab's <c>dns:</c> address and port. <paramref name="only"/> picks the sites and
    /// whether the DNS run here (default: all); the others are still part of the lab.
    /// <paramref name="userKeys"/> false skips making the users' S/MIME and OpenPGP keys (an RSA key
    /// takes about 0.2 s of CPU): for tests that do not use them; a lab a person starts always has them.
    /// </summary>
    public static LabRuntime Start(LabDefinition lab, string dataDirectory, Tracer tracer, Action<LabRuntime>? onBound = null,
        IMxResolver? resolver = null, LabSelection? only = null, bool userKeys = true)
    {
        only ??= LabSelection.All(lab);
        dataDirectory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var ca = LabCertificateAuthority.LoadOrCreate(Path.Combine(dataDirectory, "certs"));
        var smime = Smime.UserPki.Prepare(lab, ca, tracer, userKeys,
            lab.Sites.Where(s => only.Includes(s.Name)).SelectMany(s => s.Users).Select(u => u.Address));
        var store = new MessageStore(Path.Combine(dataDirectory, "mail"));
        var mda = new LocalDelivery(store, Path.Combine(dataDirectory, "spool"));
        var queue = new RelayQueue(Path.Combine(dataDirectory, "queue"));
        // One lab-wide total; per-client counts per listener (each host gets limiter.ForListener()).
        var limiter = new ConnectionLimiter(lab.Limits.MaxConnections, lab.Limits.MaxConnectionsPerClient);
        var sites = new List<LabSite>();
        var dkimKeys = new Dictionary<string, Dkim.DkimKeySet>();
        // The key server is this process's web service once bound, else the lab's web: address (--only).
        var pgp = new OpenPgp.OpenPgpServices(new OpenPgp.PgpKeyStore(dataDirectory))
        {
            KeyServer = only.Dns || lab.Web.Port == 0 ? null : new Uri(lab.Web.BaseUrl),
        };
        var sitePgp = new Dictionary<string, OpenPgp.OpenPgpServices>();
        var resolvers = new Dictionary<LabSite, LabResolver>();
        if (userKeys) TraceOpenPgpKeys(pgp.Store, pgp.Store.EnsureUserKeys(lab), tracer);
        // The MTA's profile needs the DNS-backed services, known once the DNS is bound; no session starts before that.
        var mtaProfiles = new Dictionary<string, SmtpProfile>();
        var hosts = new List<TcpListenerHost>();
        var attackers = Attacks.LabAttackers.None;
        var routes = new LabRoutes(); // direct, unless an attack bends one (LabRuntime.Attacks.cs)
        bool freshZones = only.Dns && !Directory.Exists(Path.Combine(dataDirectory, "zones"));
        bool tlsaChanged = false;
        var zones = only.Dns ? new ZoneStore(LabZones.Prepare(lab, dataDirectory), origin => LabZones.SiteOf(lab, origin), tracer) { Signer = Signer(lab, dataDirectory, tracer) } : null;
        // Sites run in other processes (--only) are known by their addresses; this process's by their sockets.
        var peers = new LabPeers(lab.Sites.Where(s => !only.Includes(s.Name)).Select(s => s.IPAddress));
        // The DNS counts its own TCP connections (a limiter of its own), so mail clients cannot starve it nor it them.
        var dns = zones is null ? null : new LabDnsServer(lab.Dns.Address, lab.Dns.Port, zones, tracer,
            new ConnectionLimiter(lab.Limits.MaxConnections, lab.Limits.MaxConnectionsPerClient), lab.Dns.RateLimit) { Peers = peers };
        // The lab's HTTP service runs where the DNS does (the classroom's dns container).
        var web = only.Dns ? new Web.LabWebServer(lab.Web, dataDirectory, tracer,
            new ConnectionLimiter(lab.Limits.MaxConnections, lab.Limits.MaxConnectionsPerClient))
            {
                HttpsCertificate = MtaStsCertificate(lab, ca, dataDirectory),
                Autoconfig = new Web.AutoconfigDirectory(lab, () => hosts.Select(h => h.Info)), // bound ports, once bound
            } : null;
        var dashboard = only.Dns ? new Dashboard.DashboardServer(lab, tracer) { Certificate = DashboardCertificate(lab, ca) } : null;
        try
        {
            foreach (var def in lab.Sites.Where(s => only.Includes(s.Name)))
            {
                var cert = ca.GetOrCreateServerCertificate(def.Name, SiteNames(def), SiteAddresses(def));
                var site = new LabSite(lab, def, cert, tracer, mda, peers) { Capture = Attacks.LabAttackers.CaptureFor(lab, def) };
                var keys = Dkim.DkimKeySet.LoadOrCreate(dataDirectory, def.Domains, publishAll: freshZones);
                dkimKeys[def.Name] = keys;
                TraceDkimKeys(site, keys, tracer);
                tlsaChanged |= PublishTlsa(lab, def, cert, ca, dataDirectory, freshZones, site, tracer);
                sites.Add(site);
                // The MDA asks the key server from the site's address and OPENPGPKEY through the site's resolver (made below).
                var pgpHere = sitePgp[def.Name] = pgp.ForSite(def.IPAddress, new OpenPgp.LabKeyClients.KeyDns(() => resolvers.GetValueOrDefault(site)));
                // The MSA signs with the site's keys as its last header change (Checks.ReceivePipeline.Msa).
                var msa = SmtpProfile.SubmissionProfile(implicitTls: false) with { Receive = Checks.ReceivePipeline.Msa(keys, smime, pgpHere) };
                var msas = SmtpProfile.SubmissionProfile(implicitTls: true) with { Receive = Checks.ReceivePipeline.Msa(keys, smime, pgpHere) };
                hosts.Add(Smtp(site, queue, SmtpProfile.Mta, () => mtaProfiles[def.Name], def.Ports.Mta, "starttls", limiter.ForListener())); // offered, not required (RFC 3207 §4)
                hosts.Add(Smtp(site, queue, msa, () => msa, def.Ports.Submission, "starttls", limiter.ForListener()));
                hosts.Add(Smtp(site, queue, msas, () => msas, def.Ports.Submissions, "implicit", limiter.ForListener()));
                if (def.Ports.Pop3 is { } pop3) hosts.Add(Pop3(site, implicitTls: false, pop3, limiter.ForListener()));
                if (def.Ports.Pop3s is { } pop3s) hosts.Add(Pop3(site, implicitTls: true, pop3s, limiter.ForListener()));
                // imap-connections-per-user counts a user's sessions on both IMAP listeners of the site.
                var imapUsers = new ImapUserLimiter();
                if (def.Ports.Imap is { } imap) hosts.Add(Imap(site, imapUsers, imap, implicitTls: false, limiter.ForListener()));
                if (def.Ports.Imaps is { } imaps) hosts.Add(Imap(site, imapUsers, imaps, implicitTls: true, limiter.ForListener()));
            }
            foreach (var h in hosts)
            {
                BindOrTrace(h.Bind, tracer);
            }
            if (StartStripStarttls(lab, only, hosts, routes, dataDirectory, tracer, limiter.ForListener()) is { } mitm) hosts.Add(mitm);
            if (dns is not null) BindOrTrace(dns.Bind, tracer);
            if (web is not null) BindOrTrace(web.Bind, tracer);
            if (dashboard is not null) BindOrTrace(dashboard.Bind, tracer);
            if (web is not null) pgp.KeyServer = new Uri(web.Url + "/");
            // The attackers the switches turn on (spoof-dns: a forger the victim site's resolver asks instead of the lab DNS).
            BindOrTrace(() => attackers = Attacks.LabAttackers.Bind(lab, sites, dns, tracer), tracer);
        }
        catch
        {
            // Nothing was started yet: closing the bound sockets is all there is to undo.
            foreach (var h in hosts)
            {
                h.Unbind();
            }
            dns?.Unbind();
            web?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            dashboard?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            attackers.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        var runtime = new LabRuntime(lab, dataDirectory, tracer, ca, store, sites, hosts, dns, queue, only, web) { dkimKeys = dkimKeys, OpenPgp = pgp, attackers = attackers, Dashboard = dashboard };
        // When the DNS runs in another process (--only), it is at the lab's dns: address and port.
        var dnsEndPoint = dns?.EndPoint ?? new IPEndPoint(IPAddress.Parse(lab.Dns.Address), lab.Dns.Port);
        var suffixes = MailAuth.Dmarc.PublicSuffixList.Load(lab.Dmarc.PublicSuffixes);
        var reportLog = new Reports.DmarcReportLog(Path.Combine(dataDirectory, "dmarc"));
        var receive = runtime.receive;
        foreach (var site in sites)
        {
            // Each site's resolver asks from the site's own address, as a mail host's resolver asks from
            // the host's (in the classroom containers that is the container's address): the lab DNS's trace
            // and a packet capture tell its lookups from a student's dig, which asks from 127.0.0.1. Its
            // sockets are registered, so the lab DNS marks them as the lab's even where a student binds
            // the same address. An in-process lab DNS tells it when its zones change, so a cached answer
            // never outlives an edit.
            var siteDns = resolvers[site] = new LabResolver(runtime.attackers.ResolverPathFor(site.Name) ?? dnsEndPoint, generation: zones is null ? null : () => zones.Current,
                source: site.Definition.IPAddress, labResolver: true) { Validation = MailResolverValidation(lab, dataDirectory, tracer, site.Name) };
            // The MTA's SPF check, its DKIM key lookups and DMARC ask the lab DNS too.
            var siteResolver = new LabSpfResolver(siteDns);
            var services = new Checks.ReceiveServices(siteResolver, siteResolver,
                new MailAuth.Dmarc.DmarcEvaluator(new MailAuth.Dmarc.SpfBackedDmarcResolver(siteResolver), lab.Dmarc.Mode, suffixes), reportLog, smime) { OpenPgp = sitePgp[site.Name] };
            receive[site.Name] = services;
            mtaProfiles[site.Name] = SmtpProfile.Mta with { Receive = Checks.ReceivePipeline.Mta(services) };
        }
        onBound?.Invoke(runtime);
        // The users' OpenPGP keys (made above) into the lab zones as OPENPGPKEY records (RFC 7929), once each, like DKIM keys.
        if (zones is not null && (OpenPgpKeyRecords.PublishUserKeys(dataDirectory, publishAll: freshZones).Count > 0 || tlsaChanged)) zones.Refresh();
        zones?.Start();
        dns?.Start();
        web?.Start();
        dashboard?.Start(new Dashboard.DashboardLab(lab, dataDirectory, () => runtime.Listeners,
            sites.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase), zones, store, lab.Dashboard.Follow.Select(Path.GetFullPath).ToList(), runtime.HealthOf));
        runtime.attackers.Start();
        foreach (var h in hosts)
        {
            h.Start();
        }
        runtime.WriteListenersFile();
        if (sites.Count > 0)
        {
            // Mail is routed by MX through the lab DNS, as on the internet (a test may pass a fixed table).
            // Each site's queue looks up MX records through its own site's resolver.
            var mx = resolvers.ToDictionary(r => r.Key, r => (IMxResolver)new LabMxResolver(r.Value));
            Func<LabSite, IMxResolver> mxFor = resolver is null ? s => mx[s] : _ => resolver;
            var client = new RelayClient(mxFor, runtime.MtaPortFor, lab.Relay, ca.Certificate)
            {
                Policies = TlsPolicySource(lab, web, ca, s => resolvers[s]),
                TlsReports = runtime.TlsReports,
                Routes = routes,
            };
            runtime.relay = new RelayWorker(queue, sites, client, lab.Relay, tracer);
            runtime.relay.Start();
            runtime.Reports = new Reports.DmarcReporter(sites, queue, s => receive[s.Name].Spf, reportLog, tracer, lab.Dmarc.ReportInterval, lab.Dmarc.Mode);
            runtime.Reports.Start();
            runtime.TlsReporter = new MailLab.Server.Reports.TlsReporter(sites, queue, runtime.TlsReports, s => receive[s.Name].Spf, s => runtime.dkimKeys.GetValueOrDefault(s.Name),
                Path.Combine(dataDirectory, MailLab.Server.Reports.TlsReporter.DirectoryName), tracer, lab.Relay.TlsReportInterval);
            runtime.TlsReporter.Start();
        }
        string dnsText = dns is null ? $"DNS elsewhere at {lab.Dns.Address}:{lab.Dns.Port}" : $"DNS on {dns.Info.Address}:{dns.Info.Port}";
        string partial = sites.Count == lab.Sites.Count && dns is not null ? "" : $" (only {string.Join(",", runtime.Listeners.Select(l => l.Site).Distinct())})";
        tracer.Emit("lab", TraceRole.HOST, null, null, TraceKind.LabStarted,
            $"lab '{lab.Name}' started{partial}: {sites.Count}{(partial.Length > 0 ? $" of {lab.Sites.Count}" : "")} sites, {runtime.Listeners.Count} listeners ({dnsText}), data in {dataDirectory}",
            new Dictionary<string, object?> { ["Lab"] = lab.Name, ["DataDirectory"] = dataDirectory,
                ["Sites"] = sites.Select(s => s.Name).ToArray(), ["Dns"] = dns is not null });
        return runtime;
    }

    /// <summary>
    /// The MTA port of the lab site at <paramref name="address"/>: its bound port when it runs here,
    /// else its configured port when it runs in another process (<c>--only</c>) and that is not 0;
    /// null when no site has the address (the relay then uses <c>relay-port</c>).
    /// </summary>
    public int? MtaPortFor(IPAddress address)
    {
        foreach (var l in listeners)
        {
            if (l.Info.Role == SmtpProfile.Mta.Name && IPAddress.TryParse(l.Info.Address, out var a) && a.Equals(address))
            {
                return l.Info.Port;
            }
        }
        foreach (var s in Lab.Sites)
        {
            if (!Selection.Includes(s.Name) && s.Ports.Mta != 0 && IPAddress.TryParse(s.Address, out var a) && a.Equals(address))
            {
                return s.Ports.Mta;
            }
        }
        return null;
    }

    /// <summary>The DNS-backed services of a site's MTA (SPF, DKIM, DMARC, reports); null for a site this process does not run.</summary>
    public Checks.ReceiveServices? ReceiveServicesOf(string site) => receive.GetValueOrDefault(site);

    /// <summary>OpenPGP at delivery: the users' keys in <c>&lt;data&gt;/pgp</c> and the key server the MDA asks (set it once the HTTP service is bound).</summary>
    public OpenPgp.OpenPgpServices OpenPgp { get; private init; } = null!;

    /// <summary>The DKIM signing keys of a site this process runs (its MSA signs with them).</summary>
    public Dkim.DkimKeySet DkimKeys(string site) => dkimKeys[site];

    /// <summary>Binds; a failure is a ListenerFailed trace event before it propagates.</summary>
    private static void BindOrTrace(Action bind, Tracer tracer)
    {
        try
        {
            bind();
        }
        catch (ListenerBindException ex)
        {
            tracer.ForLab(LabOrigin.Host, ex.Site, Enum.Parse<TraceRole>(ex.Role)).Emit(TraceKind.ListenerFailed, ex.Message,
                ("EndPoint", ex.EndPoint), ("Reason", ex.Reason));
            throw;
        }
    }

    // profile names the listener and its role; session gives each session its profile with the receive
    // stages (read when the session starts, after the DNS-backed services exist).
    private void WriteListenersFile()
    {
        var json = JsonSerializer.Serialize([.. Listeners], ListenerJson.Default.ListListenerInfo);
        var tmp = ListenersFile + ".tmp";
        File.WriteAllText(tmp, json);
        File.Move(tmp, ListenersFile, overwrite: true); // scripts never see half a file
    }

    /// <summary>
    /// Stops every listener; sessions get <paramref name="grace"/> to finish. Never throws: each part is
    /// stopped even when another failed, and a failure is an InternalError trace event (issue 20 section 2).
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Tracer.Emit("lab", TraceRole.HOST, null, null, TraceKind.LabStopping, "lab stopping: open sessions finish or get 421");
        await Quietly("listeners", () => Task.WhenAll(listeners.Select(l => l.StopAsync(grace)).Append(Dns?.StopAsync() ?? Task.CompletedTask)
            .Append(Web?.StopAsync() ?? Task.CompletedTask).Append(Dashboard?.StopAsync() ?? Task.CompletedTask).Append(attackers.StopAsync())));
        if (relay is not null) await Quietly("relay", relay.StopAsync);
        if (Reports is not null) await Quietly("reports", async () => await Reports.DisposeAsync());
        if (TlsReporter is not null) await Quietly("TLS reports", async () => await TlsReporter.DisposeAsync());
        if (Dns is not null) await Quietly("zones", async () => await Dns.Zones.DisposeAsync());
        await Quietly("listeners file", () => { File.Delete(ListenersFile); return Task.CompletedTask; });
    }

    private async Task Quietly(string part, Func<Task> stop)
    {
        try
        {
            await stop();
        }
        catch (Exception ex)
        {
            Tracer.Emit("lab", TraceRole.HOST, null, null, TraceKind.InternalError, $"stopping the {part}: {ex.GetType().Name}: {ex.Message}",
                new Dictionary<string, object?> { ["Reason"] = ex.Message, ["Error"] = ex.ToString() });
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        if (relay is not null) await Quietly("relay", async () => await relay.DisposeAsync());
        foreach (var l in listeners)
        {
            await Quietly("listeners", async () => await l.DisposeAsync());
        }
        if (Dns is not null) await Quietly("DNS", async () => await Dns.DisposeAsync());
        if (Web is not null) await Quietly("web", async () => await Web.DisposeAsync());
        if (Dashboard is not null) await Quietly("dashboard", async () => await Dashboard.DisposeAsync());
        await Quietly("attackers", async () => await attackers.DisposeAsync());
    }
}
