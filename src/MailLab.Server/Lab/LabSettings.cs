namespace MailLab.Server.Lab;

/// <summary>Switches that deliberately weaken the lab so students can see an attack work. All off by default.</summary>
public sealed record LabSwitches
{
    /// <summary>
    /// Every switch by the name the lab file, an exercise's <c>lab-switches</c> and <c>maillab up --switch</c>
    /// use, in the lab file's order: one list for all three.
    /// </summary>
    public static IReadOnlyList<string> Names { get; } =
        ["allow-plaintext-auth", "reveal-secrets", "allow-sender-forgery", "enable-vrfy", "reject-spf-fail", "enable-apop",
         "dmarc-monitor-only", "show-dmarc-verdict", "mda-holds-user-keys", "dnssec-validate", "spoof-dns", "strip-starttls"];

    /// <summary>Whether the switch <paramref name="name"/> (one of <see cref="Names"/>) is on.</summary>
    public bool this[string name] => name switch
    {
        "allow-plaintext-auth" => AllowPlaintextAuth,
        "reveal-secrets" => RevealSecrets,
        "allow-sender-forgery" => AllowSenderForgery,
        "enable-vrfy" => EnableVrfy,
        "reject-spf-fail" => RejectSpfFail,
        "enable-apop" => EnableApop,
        "dmarc-monitor-only" => DmarcMonitorOnly,
        "show-dmarc-verdict" => ShowDmarcVerdict,
        "mda-holds-user-keys" => MdaHoldsUserKeys,
        "dnssec-validate" => DnssecValidate,
        "spoof-dns" => SpoofDns,
        "strip-starttls" => StripStarttls,
        _ => throw new ArgumentException($"'{name}' is not a lab switch", nameof(name)),
    };

    /// <summary>These switches with <paramref name="name"/> (one of <see cref="Names"/>) set to <paramref name="on"/>.</summary>
    public LabSwitches With(string name, bool on) => name switch
    {
        "allow-plaintext-auth" => this with { AllowPlaintextAuth = on },
        "reveal-secrets" => this with { RevealSecrets = on },
        "allow-sender-forgery" => this with { AllowSenderForgery = on },
        "enable-vrfy" => this with { EnableVrfy = on },
        "reject-spf-fail" => this with { RejectSpfFail = on },
        "enable-apop" => this with { EnableApop = on },
        "dmarc-monitor-only" => this with { DmarcMonitorOnly = on },
        "show-dmarc-verdict" => this with { ShowDmarcVerdict = on },
        "mda-holds-user-keys" => this with { MdaHoldsUserKeys = on },
        "dnssec-validate" => this with { DnssecValidate = on },
        "spoof-dns" => this with { SpoofDns = on },
        "strip-starttls" => this with { StripStarttls = on },
        _ => throw new ArgumentException($"'{name}' is not a lab switch", nameof(name)),
    };

    /// <summary>The names of the switches that are on, in <see cref="Names"/> order.</summary>
    public IReadOnlyList<string> On => Names.Where(n => this[n]).ToList();

    /// <summary>Offer and accept AUTH on the MSA before STARTTLS, so credentials can be sniffed.</summary>
    public bool AllowPlaintextAuth { get; init; }

    /// <summary>Write AUTH payloads unredacted into the trace.</summary>
    public bool RevealSecrets { get; init; }

    /// <summary>Let an authenticated MSA user give any MAIL FROM, not only their own addresses.</summary>
    public bool AllowSenderForgery { get; init; }

    /// <summary>VRFY answers 250/550 (user enumeration) instead of 252 (RFC 5321 §3.5.3).</summary>
    public bool EnableVrfy { get; init; }

    /// <summary>
    /// The MTA refuses MAIL FROM whose SPF result is fail (550 5.7.23, RFC 7372 §3.2). Off by default:
    /// RFC 7208 §8.4 allows rejecting, but the lab first shows the forgery being accepted and only marked.
    /// </summary>
    public bool RejectSpfFail { get; init; }

    /// <summary>
    /// POP3 APOP (RFC 1939 §7) is accepted before STLS. Off by default: APOP keeps the password off the
    /// wire, but its MD5 digest can be attacked offline, and the rest of the session is still readable.
    /// </summary>
    public bool EnableApop { get; init; }

    /// <summary>
    /// The MTA evaluates DMARC and reports it but never acts on it: every message goes to INBOX whatever
    /// the domain's policy (the "monitor only" local override of RFC 7489 §6.7). Weakens the lab.
    /// </summary>
    public bool DmarcMonitorOnly { get; init; }

    /// <summary>
    /// Shows the DMARC verdict inside the message for mail clients that hide Authentication-Results
    /// (Thunderbird): a subject tag such as "[DMARC fail]" and an X-MailLab-DMARC summary header.
    /// </summary>
    public bool ShowDmarcVerdict { get; init; }

    /// <summary>
    /// The MDA may use the users' private S/MIME and OpenPGP keys to decrypt what arrives for them.
    /// Off by default: end-to-end encryption means the server never holds the key; on, the lab shows
    /// what a server that does hold it can read. Weakens the lab.
    /// </summary>
    public bool MdaHoldsUserKeys { get; init; }

    /// <summary>
    /// The sites' mail resolvers validate DNSSEC from the lab trust anchor (RFC 4035 §4.3): a bogus answer
    /// is never used, and mail waits in the queue. Off in the default lab, so the earlier exercises see the
    /// unvalidated world; a protection, not a weakening.
    /// </summary>
    public bool DnssecValidate { get; init; }

    /// <summary>
    /// evil.test's site sits on the path between a victim site's mail resolver and the lab DNS and forges
    /// answers (the lab file's <c>attacks: spoof-dns:</c> says which). Weakens the lab.
    /// </summary>
    public bool SpoofDns { get; init; }

    /// <summary>
    /// A man in the middle on the route between two sites removes STARTTLS from the EHLO answer and
    /// records what passes (the lab file's <c>attacks: strip-starttls:</c> says where). Weakens the lab.
    /// </summary>
    public bool StripStarttls { get; init; }
}

/// <summary>
/// The lab's HTTP service (lab key <c>web:</c>): the CA's certificates and CRL, and the OpenPGP key
/// server (HKP). Port 11371 is HKP's registered port, so <c>hkp://ADDRESS</c> needs no port in gpg.
/// </summary>
public sealed class LabWeb
{
    /// <summary>The default port: HKP's (IANA "hkp", 11371).</summary>
    public const int DefaultPort = 11371;

    /// <summary>Address the HTTP service listens on; the lab DNS's address by default.</summary>
    public string Address { get; init; } = LabDns.DefaultAddress;

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>The default HTTPS port (MTA-STS policies): 443 belongs to the classroom containers, the embedded mode cannot bind it.</summary>
    public const int DefaultHttpsPort = 11443;

    /// <summary>
    /// The HTTPS listener serving <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c> (RFC 8461 §3.3) with a lab CA
    /// certificate for every <c>mta-sts.DOMAIN</c>; 0 picks a free one. Defaults to 11443, or 0 when <see cref="Port"/> is 0.
    /// </summary>
    public int HttpsPort { get => httpsPort ?? (Port == 0 ? 0 : DefaultHttpsPort); init => httpsPort = value; }

    private readonly int? httpsPort;

    /// <summary>
    /// The URL of the user CA's CRL as the certificates name it (CRL distribution point, RFC 5280
    /// §4.2.1.13): the configured address and port, so certificates issued in a lab with port 0 name
    /// port 0 and only the lab's own verification (which reads the CRL from disk) can use them.
    /// </summary>
    public string CrlUrl => BaseUrl + "pki/user-ca.crl";

    /// <summary>The service's base URL as configured (<c>http://127.0.9.1:11371/</c>), for a process that does not run it (<c>--only</c>).</summary>
    public string BaseUrl => $"http://{(Address.Contains(':') ? $"[{Address}]" : Address)}:{Port}/";
}

/// <summary>How the MTAs evaluate DMARC and report on it (lab key <c>dmarc:</c>).</summary>
internal sealed class DmarcSettings
{
    /// <summary>RFC 9989 (DNS tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=).</summary>
    public MailAuth.Dmarc.DmarcMode Mode { get; init; } = MailAuth.Dmarc.DmarcMode.Rfc9989;

    /// <summary>Suffixes added to the shipped Public Suffix List in RFC 7489 mode (e.g. a lab "university" suffix).</summary>
    public IReadOnlyList<string> PublicSuffixes { get; init; } = [];

    /// <summary>
    /// How often aggregate reports are sent. Short in the lab so students see them; RFC 7489 §7.2
    /// (ri=) defaults to one day on the internet.
    /// </summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>Resource limits, stated once, with the RFC values they come from.</summary>
internal sealed class LabLimits
{
    /// <summary>RCPT commands per transaction; RFC 5321 §4.5.3.1.8 requires accepting at least 100.</summary>
    public int MaxRecipients { get; init; } = 100;

    /// <summary>Largest message accepted, in octets (advertised with SIZE, RFC 1870).</summary>
    public long MaxMessageSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>Concurrent connections from one client IP.</summary>
    public int MaxConnectionsPerClient { get; init; } = 20;

    /// <summary>Concurrent connections in the whole lab (all sites and listeners).</summary>
    public int MaxConnections { get; init; } = 500;

    /// <summary>Idle time allowed between commands; RFC 5321 §4.5.3.2.7 sets the server timeout at 5 minutes.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest a whole session may last.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Failed AUTH attempts before the server closes the session.</summary>
    public int MaxAuthFailures { get; init; } = 3;

    /// <summary>Wait before answering a failed login (POP3), to slow password guessing.</summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>POP3 inactivity autologout; RFC 1939 §3 requires at least 10 minutes.</summary>
    public TimeSpan Pop3IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an IMAP session may wait for the client (also in IDLE); RFC 3501 §5.4: the
    /// autologout timer is at least 30 minutes.
    /// </summary>
    public TimeSpan ImapIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Logged-in IMAP sessions per user (Thunderbird opens up to five).</summary>
    public int ImapConnectionsPerUser { get; init; } = 10;
}

/// <summary>How the outbound relay (the MTA as a client) reaches other sites and retries.</summary>
internal sealed class RelaySettings
{
    /// <summary>
    /// Destination port for MX hosts that are not a site of this lab (a lab site's own bound MTA port
    /// is used for its address). RFC 5321 relays use 25; the default lab's MTAs listen on 2525.
    /// </summary>
    public int RelayPort { get; init; } = 25;

    /// <summary>Waits between attempts: the n-th deferral waits the n-th interval, then the last one repeats.</summary>
    public IReadOnlyList<TimeSpan> RetryIntervals { get; init; } =
        [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10)];

    /// <summary>
    /// How long a message may stay in the queue before a deferred recipient fails. Short on purpose:
    /// RFC 5321 §4.5.4.1 suggests 4-5 days, far too long for a lab session.
    /// </summary>
    public TimeSpan QueueLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The TLSA records the lab publishes for the sites' MTAs (<c>tlsa-usage</c>): false = <c>dane-ee</c>, 3 1 1 (the MTA
    /// certificate's key, RFC 7672 §3.1), true = <c>dane-ta</c>, 2 1 1 (the lab CA's key, RFC 7672 §3.2).
    /// </summary>
    public bool TlsaDaneTa { get; init; }

    /// <summary>How often TLS reports (RFC 8460) go to the <c>_smtp._tls</c> rua= addresses (<c>tls-report-interval</c>); the internet uses one day.</summary>
    public TimeSpan TlsReportInterval { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>The lab DNS server: where it listens and where its zone files are.</summary>
public sealed class LabDns
{
    /// <summary>The default address: a loopback address of its own, clear of the sites' 127.0.N.1 and of systemd-resolved's 127.0.0.53.</summary>
    public const string DefaultAddress = "127.0.9.1";

    /// <summary>The default port in embedded mode (unprivileged); classroom containers use 53.</summary>
    public const int DefaultPort = 1053;

    /// <summary>Address the DNS listens on (UDP and TCP).</summary>
    public string Address { get; init; } = DefaultAddress;

    /// <summary>Port for UDP and TCP; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>The directory of the shipped zone files, relative to the lab file; copied into the data directory on first start.</summary>
    public string Zones { get; init; } = "zones";

    /// <summary>
    /// The default UDP response rate limit per client address: far above what a lab's MTAs and dig
    /// ask, low enough that the DNS is a poor amplifier.
    /// </summary>
    public const int DefaultRateLimit = 100;

    /// <summary>UDP responses per second per client address (IPv4 /32, IPv6 /64); 0 turns rate limiting off.</summary>
    public int RateLimit { get; init; } = DefaultRateLimit;

    /// <summary>How the lab signs its zones (<c>dns.dnssec</c>).</summary>
    public LabDnssec Dnssec { get; init; } = new();
}

/// <summary>The <c>dns.dnssec</c> section: the signing algorithm and the zones served unsigned.</summary>
public sealed class LabDnssec
{
    /// <summary>13 (ECDSA P-256/SHA-256, RFC 6605; the default: small keys and signatures) or 8 (RSA/SHA-256, RFC 5702).</summary>
    public byte Algorithm { get; init; } = 13;

    /// <summary>Zones served unsigned, with an insecure delegation (NS, no DS) in <c>test.</c>.</summary>
    public IReadOnlyList<string> Unsigned { get; init; } = [];
}
