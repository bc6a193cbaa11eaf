namespace MailLab.Server.Trace;

/// <summary>
/// The closed vocabulary of trace events. Exercises are judged from these, so each
/// kind and its fields (declared in <see cref="TraceContract"/>) are a public contract documented in
/// docs/events.md: add, never rename.
/// </summary>
public enum TraceKind
{
    // Host and listeners.
    ListenerStarted,
    ListenerFailed,
    LabStarted,
    LabStopping,

    // Connections and TLS.
    SessionOpened,
    SessionClosed,
    SessionRefused,
    InternalError,
    TlsStarted,
    TlsEstablished,
    TlsFailed,
    PlaintextInjection,

    // Protocol lines.
    CommandReceived,
    ReplySent,

    // Authentication.
    AuthSucceeded,
    AuthFailed,

    // Envelope and message.
    EnvelopeMailFrom,
    EnvelopeRcptTo,
    PolicyRejected,
    MessageReceived,
    MessageRejected,
    HeaderAdded,
    LimitExceeded,

    // MDA and store.
    LocalDelivery,
    DeliveryFailed,

    // Reserved for the issues that build on this one (DNS, relay, SPF, DKIM, DMARC, POP3, IMAP).
    DnsQuery,
    DnsAnswer,
    SpfStep,
    SpfResult,
    DkimStep,
    DkimResult,
    DmarcEvaluated,
    RelayAttempt,
    RelayOutcome,
    MailboxAccess,

    // Queue and outbound relay (issue 3).
    QueueEntryAdded,
    QueueEntryRemoved,
    QueueLoaded,
    QueueFlushRequested,
    RelayCommandSent,
    RelayReplyReceived,
    DsnSent,
    DsnSuppressed,
    // Lab DNS zones (hot reload).
    ZoneLoaded,
    ZoneReloadFailed,
    DnsRateLimited,
    // DMARC (issue 6).
    HeaderRemoved,
    DmarcReportSent,
    // S/MIME (issue 15, part 1).
    SmimeCertificate,
    SmimeStep,
    SmimeResult,

    // OpenPGP (issue 15 part 2).
    OpenPgpStep,
    OpenPgpResult,

    // The lab's HTTP service: CA files, HKP key server, WKD (issue 15).
    WebRequest,
    KeyServerLookup,
    KeyServerUpload,

    // The DNS spoofing attack (issue 16 part 3).
    DnsForged,
    MailCaptured,
    // DNSSEC (issue 16): the lab DNS signed a zone.
    ZoneSigned,
    // DNSSEC validation in the mail resolver (issue 16 part 2).
    DnssecValidation,
    // The relay's TLS policy: DANE, MTA-STS, TLS-RPT (issue 16 part 4).
    TlsPolicy,
    TlsReportSent,
    // The STARTTLS stripping attack (issue 16 part 5).
    AttackerSaw,
    StarttlsStripped,
    // The dashboard (issue 17): who signed in, and who failed to.
    DashboardSignIn,
}

/// <summary>The RFC 5598 role (or lab service) that emitted an event.</summary>
public enum TraceRole
{
    HOST,
    MSA,
    MTA,
    MDA,
    STORE,
    QUEUE,
    POP3,
    IMAP,
    DNS,
    WEB,

    /// <summary>An attacker the lab plays when a switch turns it on (<c>spoof-dns</c>, <c>strip-starttls</c>).</summary>
    ATTACKER,
}
