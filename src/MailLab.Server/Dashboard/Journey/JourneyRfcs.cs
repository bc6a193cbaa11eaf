namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// Which RFC section each journey step applies, in one place (the same sections docs/RFCs.md maps to the code).
/// </summary>
public static class JourneyRfcs
{
    /// <summary>Submission by an MUA to the MSA (RFC 6409 §4.3: authorised submission).</summary>
    public static readonly RfcRef Submission = RfcRef.Of(6409, "4.3");
    /// <summary>An MTA receiving a message after DATA (RFC 5321 §4.1.1.4).</summary>
    public static readonly RfcRef Data = RfcRef.Of(5321, "4.1.1.4");
    /// <summary>The Received trace field every hop adds (RFC 5321 §4.4).</summary>
    public static readonly RfcRef Received = RfcRef.Of(5321, "4.4");
    /// <summary>Reply codes (RFC 5321 §4.2).</summary>
    public static readonly RfcRef Reply = RfcRef.Of(5321, "4.2");
    /// <summary>The MTA role: store and forward (RFC 5598 §4.3.2).</summary>
    public static readonly RfcRef Queue = RfcRef.Of(5598, "4.3.2");
    /// <summary>MX lookup and the next hop (RFC 5321 §5.1).</summary>
    public static readonly RfcRef Mx = RfcRef.Of(5321, "5.1");
    /// <summary>Retrying a deferred recipient (RFC 5321 §4.5.4.1).</summary>
    public static readonly RfcRef Retry = RfcRef.Of(5321, "4.5.4.1");
    /// <summary>STARTTLS (RFC 3207 §4).</summary>
    public static readonly RfcRef StartTls = RfcRef.Of(3207, "4");
    /// <summary>The MDA role: delivery into the message store (RFC 5598 §4.3.3).</summary>
    public static readonly RfcRef Mda = RfcRef.Of(5598, "4.3.3");
    /// <summary>POP3 RETR/TOP (RFC 1939 §5 and §7).</summary>
    public static readonly RfcRef Pop3Retrieve = RfcRef.Of(1939, "5");
    /// <summary>IMAP FETCH (RFC 3501 §6.4.5).</summary>
    public static readonly RfcRef ImapFetch = RfcRef.Of(3501, "6.4.5");
    /// <summary>A delivery status notification (RFC 3464 §2).</summary>
    public static readonly RfcRef Dsn = RfcRef.Of(3464, "2");
    /// <summary>The envelope sender (RFC 5321 §4.1.1.2).</summary>
    public static readonly RfcRef MailFrom = RfcRef.Of(5321, "4.1.1.2");
    /// <summary>The author, From (RFC 5322 §3.6.2).</summary>
    public static readonly RfcRef HeaderFrom = RfcRef.Of(5322, "3.6.2");
    /// <summary>Identifier alignment (RFC 7489 §3.1).</summary>
    public static readonly RfcRef Alignment = RfcRef.Of(7489, "3.1");
    /// <summary>Rejecting in the SMTP session with 550 5.7.1 (RFC 7489 §10.3).</summary>
    public static readonly RfcRef DmarcReject = RfcRef.Of(7489, "10.3");
    /// <summary>DKIM signing (RFC 6376 §5).</summary>
    public static readonly RfcRef DkimSign = RfcRef.Of(6376, "5");
    /// <summary>DKIM verification (RFC 6376 §6.1).</summary>
    public static readonly RfcRef DkimVerify = RfcRef.Of(6376, "6.1");
    /// <summary>The result "none" (no signature) of Authentication-Results (RFC 8601 §2.7.1).</summary>
    public static readonly RfcRef DkimNone = RfcRef.Of(8601, "2.7.1");
    /// <summary>DNSSEC validation statuses (RFC 4035 §4.3).</summary>
    public static readonly RfcRef Dnssec = RfcRef.Of(4035, "4.3");
    /// <summary>S/MIME signed and enveloped data (RFC 8551 §3).</summary>
    public static readonly RfcRef Smime = RfcRef.Of(8551, "3");
    /// <summary>OpenPGP signatures (RFC 9580 §5.2).</summary>
    public static readonly RfcRef OpenPgp = RfcRef.Of(9580, "5.2");

    /// <summary>The SPF identity checked: HELO (RFC 7208 §2.3) or MAIL FROM (§2.4).</summary>
    public static RfcRef SpfIdentity(string identity) => RfcRef.Of(7208, identity == "helo" ? "2.3" : "2.4");

    /// <summary>The SPF result's definition (RFC 7208 §2.6.1 to §2.6.7).</summary>
    public static RfcRef SpfResult(string result) => RfcRef.Of(7208, result switch
    {
        "none" => "2.6.1",
        "neutral" => "2.6.2",
        "pass" => "2.6.3",
        "fail" => "2.6.4",
        "softfail" => "2.6.5",
        "temperror" => "2.6.6",
        "permerror" => "2.6.7",
        _ => "2.6",
    });

    /// <summary>The SPF term's section: record lookup §4.4, mechanisms §5.1 to §5.7, modifiers §6.1 and §6.2.</summary>
    public static RfcRef SpfTerm(string term)
    {
        if (term.StartsWith('(')) return RfcRef.Of(7208, "4.4");
        var name = term.TrimStart('+', '-', '~', '?');
        int end = name.IndexOfAny([':', '/', '=']);
        return RfcRef.Of(7208, (end < 0 ? name : name[..end]).ToLowerInvariant() switch
        {
            "all" => "5.1",
            "include" => "5.2",
            "a" => "5.3",
            "mx" => "5.4",
            "ptr" => "5.5",
            "ip4" or "ip6" => "5.6",
            "exists" => "5.7",
            "redirect" => "6.1",
            "exp" => "6.2",
            _ => "4.6",
        });
    }

    /// <summary>The section of a DKIM verification step (the step names of docs/events.md, DkimStep).</summary>
    public static RfcRef DkimStep(string step) => step switch
    {
        "parse" or "headers" or "expiry" => RfcRef.Of(6376, "6.1.1"),
        "key" => RfcRef.Of(6376, "6.1.2"),
        "body-hash" or "signature" => RfcRef.Of(6376, "6.1.3"),
        "algorithm" => RfcRef.Of(8301, "3.1"),
        "body-length" => RfcRef.Of(6376, "8.2"),
        "sign" => DkimSign,
        _ => DkimVerify,
    };

    /// <summary>The DMARC sections of a mode (<c>RFC 9989</c> or <c>RFC 7489</c>): discovery, organisational domain, policy.</summary>
    public static (RfcRef Discovery, RfcRef OrgDomain, RfcRef Policy) Dmarc(string? mode) => mode == "RFC 7489"
        ? (RfcRef.Of(7489, "6.6.3"), RfcRef.Of(7489, "3.2"), RfcRef.Of(7489, "6.3"))
        : (RfcRef.Of(9989, "4.10"), RfcRef.Of(9989, "4.10"), RfcRef.Of(9989, "4.7"));

    /// <summary>What the receiver did with the policy, local override included (RFC 7489 §6.7).</summary>
    public static readonly RfcRef DmarcDisposition = RfcRef.Of(7489, "6.7");

    /// <summary>The TLS policy step's section: DANE (RFC 7672 §2.2), MTA-STS (RFC 8461 §5), else opportunistic (RFC 7435 §1.3).</summary>
    public static RfcRef TlsPolicy(string? policy) => policy switch
    {
        "dane" => RfcRef.Of(7672, "2.2"),
        "mta-sts-enforce" or "mta-sts-testing" => RfcRef.Of(8461, "5"),
        _ => RfcRef.Of(7435, "1.3"),
    };
}
