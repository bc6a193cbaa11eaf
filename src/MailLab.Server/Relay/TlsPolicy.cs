using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Relay;

/// <summary>Which TLS policy governs one delivery attempt (the trace's <c>Policy</c> field).</summary>
internal enum TlsPolicyKind
{
    /// <summary>STARTTLS when offered, any certificate (RFC 7435): the lab's behaviour without DANE or MTA-STS.</summary>
    Opportunistic,

    /// <summary>DANE for SMTP (RFC 7672): a secure TLSA RRset binds the certificate.</summary>
    Dane,

    /// <summary>MTA-STS in <c>enforce</c> mode (RFC 8461 §5): TLS with a PKIX-valid certificate to an MX the policy names.</summary>
    MtaStsEnforce,

    /// <summary>MTA-STS in <c>testing</c> mode: deliver anyway, report failures (RFC 8461 §5, RFC 8460).</summary>
    MtaStsTesting,
}

/// <summary>How the server's certificate is checked.</summary>
internal enum CertificateCheck
{
    /// <summary>Not checked (encryption only): opportunistic TLS, or DANE with no usable TLSA record (RFC 7672 §2.2).</summary>
    None,

    /// <summary>Against the usable TLSA records (RFC 7672 §3.1, §3.2).</summary>
    Dane,

    /// <summary>PKIX: a chain to the lab CA and the MX host name in the certificate (RFC 8461 §4.2).</summary>
    Pkix,
}

/// <summary>The inputs of the policy for one MX host: all of them values, so the decision is a pure function.</summary>
/// <param name="Domain">The recipients' domain (the MTA-STS and TLS-RPT policy domain).</param>
/// <param name="Host">The MX host name about to be tried.</param>
/// <param name="MxDnssec">The DNSSEC status of the MX RRset (RFC 7672 §2.2.1).</param>
/// <param name="Tlsa">The host's TLSA lookup; null when none was made (the MX RRset was not secure).</param>
/// <param name="Sts">The domain's MTA-STS policy in force; null when it has none.</param>
internal sealed record TlsPolicyInput(string Domain, string Host, DnssecStatus MxDnssec, TlsaLookup? Tlsa, MtaStsPolicy? Sts);

/// <summary>
/// What the relay does for one MX host: <see cref="DeferReason"/> set means do not even connect; else connect,
/// STARTTLS (mandatory when <see cref="TlsRequired"/>), and check the certificate as <see cref="Check"/> says.
/// <see cref="Enforced"/> false (MTA-STS testing) means a failed check is reported, not acted on.
/// </summary>
internal sealed record TlsDecision(TlsPolicyKind Policy, bool TlsRequired, CertificateCheck Check, bool Enforced,
    IReadOnlyList<TlsaData> Tlsa, string Reason, string? DeferReason = null, string? FailureType = null)
{
    /// <summary>The MTA-STS policy decided on (for TLS-RPT's policy-string and mx-host); null for DANE and opportunistic.</summary>
    public MtaStsPolicy? Sts { get; init; }

    /// <summary>The trace's name of the policy: dane, mta-sts-enforce, mta-sts-testing, requiretls or opportunistic.</summary>
    public string PolicyName => Policy switch
    {
        TlsPolicyKind.Dane => "dane",
        TlsPolicyKind.MtaStsEnforce => "mta-sts-enforce",
        TlsPolicyKind.MtaStsTesting => "mta-sts-testing",
        _ => "opportunistic",
    };
}

/// <summary>
/// The relay's TLS policy (sans-IO): DANE (RFC 7672) first, then MTA-STS (RFC 8461 §2: DANE takes precedence
/// where both apply), else opportunistic STARTTLS (RFC 7435), unchanged from before. REQUIRETLS (RFC 8689) is checked
/// once the session is open, by <see cref="RequireTlsPolicy"/>: its failure is a bounce (§5), not this policy's deferral.
/// </summary>
internal static class TlsPolicy
{
    /// <summary>Decides for one MX host.</summary>
    public static TlsDecision Decide(TlsPolicyInput input)
    {
        // RFC 7672 §2.2.1: a bogus MX RRset must not be used at all.
        if (input.MxDnssec == DnssecStatus.Bogus)
        {
            return Defer(TlsPolicyKind.Dane, $"the MX RRset of {input.Domain} is DNSSEC-bogus", "dnssec-invalid", input.Tlsa);
        }
        if (input.MxDnssec == DnssecStatus.Secure && input.Tlsa is { } tlsa)
        {
            // RFC 7672 §2.2: a TLSA lookup that fails (not NXDOMAIN/NODATA) or is bogus makes the host unusable.
            if (tlsa.IsTempError)
            {
                return Defer(TlsPolicyKind.Dane, $"TLSA lookup {tlsa.Owner} failed: {tlsa.TempError}", "dnssec-invalid", tlsa);
            }
            if (tlsa.Status == DnssecStatus.Bogus)
            {
                return Defer(TlsPolicyKind.Dane, $"TLSA RRset {tlsa.Owner} is DNSSEC-bogus{(tlsa.BogusReason is { } b ? $": {b}" : "")}", "dnssec-invalid", tlsa);
            }
            if (tlsa.Status == DnssecStatus.Secure && tlsa.Records.Count > 0)
            {
                var usable = tlsa.Records.Where(IsUsable).ToList();
                // RFC 7672 §2.2: a secure RRset whose records are all unusable still makes TLS mandatory, unauthenticated.
                return usable.Count == 0
                    ? new TlsDecision(TlsPolicyKind.Dane, true, CertificateCheck.None, true, [],
                        $"secure TLSA {tlsa.Owner} has no usable record: TLS mandatory, certificate not checked (RFC 7672 §2.2)")
                    : new TlsDecision(TlsPolicyKind.Dane, true, CertificateCheck.Dane, true, usable,
                        $"secure TLSA {tlsa.Owner} ({usable.Count} usable): TLS mandatory, certificate must match (RFC 7672 §2.2)");
            }
        }
        // No DANE (insecure, unchecked or absent TLSA): MTA-STS if the domain has a policy (RFC 8461 §5).
        if (input.Sts is { Mode: not MtaStsMode.None } sts)
        {
            bool enforce = sts.Mode == MtaStsMode.Enforce;
            var kind = enforce ? TlsPolicyKind.MtaStsEnforce : TlsPolicyKind.MtaStsTesting;
            if (!sts.MatchesMx(input.Host))
            {
                // RFC 8461 §4.1: an MX the policy does not name is not a valid candidate in enforce mode.
                string why = $"MX host {input.Host} matches no mx of the MTA-STS policy of {input.Domain} ({string.Join(", ", sts.Mx)})";
                return enforce
                    ? Defer(kind, why, "validation-failure", null) with { Sts = sts }
                    : new TlsDecision(kind, false, CertificateCheck.Pkix, false, [], $"testing: {why}; delivering anyway", FailureType: "validation-failure") { Sts = sts };
            }
            return new TlsDecision(kind, enforce, CertificateCheck.Pkix, enforce, [],
                enforce ? $"MTA-STS enforce: TLS mandatory with a valid certificate for {input.Host} (RFC 8461 §4.2)"
                        : $"MTA-STS testing: TLS checked and reported, delivery not blocked (RFC 8461 §5)") { Sts = sts };
        }
        return new TlsDecision(TlsPolicyKind.Opportunistic, false, CertificateCheck.None, false, [],
            "no DANE, no MTA-STS policy: STARTTLS when offered (RFC 7435)");
    }

    /// <summary>
    /// RFC 7672 §3.1, §3.2, §3.1.3: SMTP clients use DANE-TA(2) and DANE-EE(3) only (PKIX-TA/EE are unusable), with
    /// selector Cert(0) or SPKI(1) and matching Full(0), SHA2-256(1) or SHA2-512(2).
    /// </summary>
    public static bool IsUsable(TlsaData r) => r.Usage is 2 or 3 && r.Selector is 0 or 1 && r.MatchingType is 0 or 1 or 2;

    private static TlsDecision Defer(TlsPolicyKind kind, string reason, string failure, TlsaLookup? tlsa) =>
        new(kind, true, CertificateCheck.None, true, tlsa?.Records ?? [], reason, reason, failure);
}
