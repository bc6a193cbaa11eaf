using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Dns;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Relay;

/// <summary>The relay's TLS policy steps (<see cref="TlsPolicy"/>): inputs, decision, certificate check, result; each traced.</summary>
internal sealed partial class RelayClient
{
    /// <summary>Where TLSA records and MTA-STS policies come from; none by default (opportunistic TLS, as before).</summary>
    public ITlsPolicySource Policies { get; init; } = NoTlsPolicySource.Instance;

    /// <summary>The TLS-RPT counters (RFC 8460) every policy result is added to; null counts nothing.</summary>
    public TlsReportCounter? TlsReports { get; init; }

    /// <summary>The recipient domain's MTA-STS policy, traced (<c>TlsPolicy</c> step <c>mta-sts</c>).</summary>
    private async Task<MtaStsLookup> StsAsync(LabSite site, string domain, TraceContext trace, CancellationToken ct)
    {
        MtaStsLookup sts;
        try
        {
            sts = await Policies.MtaStsAsync(site, domain, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            sts = MtaStsLookup.None($"MTA-STS discovery failed: {ex.Message}");
        }
        var p = sts.Policy;
        trace.Emit(TraceKind.TlsPolicy, $"MTA-STS {domain}: {(p is null ? "no policy" : $"mode {Mode(p)} ({sts.Source})")}: {sts.Detail}",
            ("Step", "mta-sts"), ("Domain", domain), ("PolicyId", sts.Id), ("Mode", p is null ? null : Mode(p)),
            ("Mx", p?.Mx.ToArray()), ("MaxAge", p is null ? null : (long)p.MaxAge.TotalSeconds), ("Source", sts.Source), ("Reason", sts.Detail));
        return sts;
    }

    /// <summary>The decision for one MX host: its TLSA lookup (only under a secure MX RRset, RFC 7672 §2.2.1), then <see cref="TlsPolicy.Decide"/>.</summary>
    private async Task<TlsDecision> DecideAsync(LabSite site, QueueEntry entry, string domain, MxHost host, Dns.DnssecStatus mxStatus, MtaStsLookup sts,
        TraceContext trace, CancellationToken ct)
    {
        TlsaLookup? tlsa = null;
        if (mxStatus == Dns.DnssecStatus.Secure)
        {
            try
            {
                tlsa = await Policies.TlsaAsync(site, host.Name, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                tlsa = new TlsaLookup(TlsaRecords.OwnerName(host.Name), [], Dns.DnssecStatus.Indeterminate, false, ex.Message);
            }
        }
        var d = TlsPolicy.Decide(new TlsPolicyInput(domain, host.Name, mxStatus, tlsa, sts.Policy));
        if (entry.TlsReport && d.Policy != TlsPolicyKind.Opportunistic)
        {
            // RFC 8460 §5.3: a TLS report is delivered despite TLS failures, and its session is not reported on.
            d = new TlsDecision(TlsPolicyKind.Opportunistic, false, CertificateCheck.None, false, [],
                $"a TLS report: delivered despite TLS policy {d.PolicyName}, STARTTLS when offered (RFC 8460 §5.3)");
        }
        trace.Emit(TraceKind.TlsPolicy, $"TLS policy for {host.Name}: {d.PolicyName}{(d.DeferReason is not null ? " (defer)" : d.TlsRequired ? " (TLS required)" : "")}: {d.Reason}",
            ("Step", "decision"), ("Domain", domain), ("Host", host.Name), ("Policy", d.PolicyName), ("MxStatus", Status(mxStatus)),
            ("TlsaStatus", tlsa is null ? null : Status(tlsa.Status)), ("Tlsa", tlsa?.Records.Select(r => r.ToZoneText().ToLowerInvariant()).ToArray()),
            ("PolicyId", sts.Id), ("Result", d.DeferReason is not null ? "defer" : d.TlsRequired ? "tls-required" : "tls-optional"),
            ("FailureType", d.FailureType), ("Reason", d.Reason));
        return d;
    }

    /// <summary>Traces the policy's result for one host (<c>TlsPolicy</c> step <c>result</c>) and counts it for TLS-RPT.</summary>
    private void PolicyResult(TraceContext trace, TlsDecision d, string domain, string host, string result, string? failureType, string reason)
    {
        trace.Emit(TraceKind.TlsPolicy, $"TLS policy {d.PolicyName} for {host}: {result}{(failureType is null ? "" : $" ({failureType})")}: {reason}",
            ("Step", "result"), ("Domain", domain), ("Host", host), ("Policy", d.PolicyName), ("Result", result),
            ("FailureType", failureType), ("Reason", reason));
        // RFC 8460 §4.3: opportunistic sessions have no policy to report on.
        if (d.Policy != TlsPolicyKind.Opportunistic) TlsReports?.Add(trace.Site, domain, d, host, failureType, reason);
    }

    /// <summary>The chain the server sent, as the TLS layer gave it (its extra store), without the leaf.</summary>
    private static List<X509Certificate2> Presented(X509Chain? chain) =>
        chain is null ? [] : chain.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList();

    /// <summary>The certificate check the decision asks for, on what the TLS layer got.</summary>
    private CertificateVerdict CheckPeer(TlsDecision decision, string host, X509Certificate? cert, X509Chain? chain)
    {
        if (decision.Check == CertificateCheck.None) return new CertificateVerdict(true, "certificate not checked");
        using var copy = cert is null or X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        return TlsCertificateCheck.Check(decision, host, cert as X509Certificate2 ?? copy, Presented(chain), labCa, DateTime.Now);
    }

    /// <summary>After STARTTLS (or its absence) on a session that goes on: the policy's result, traced and counted.</summary>
    private void AfterTls(TraceContext trace, TlsDecision d, string domain, string host, bool secure, CertificateVerdict? verdict)
    {
        if (!secure)
        {
            // Only opportunistic and MTA-STS testing get here without TLS (RFC 8460 §4.3.1: starttls-not-supported).
            if (d.Policy == TlsPolicyKind.Opportunistic) return;
            PolicyResult(trace, d, domain, host, "fail-reported", "starttls-not-supported", $"{host} does not offer STARTTLS; testing mode delivers anyway");
            return;
        }
        if (d.Policy == TlsPolicyKind.Opportunistic) return;
        if (verdict is { Passed: false } v)
        {
            PolicyResult(trace, d, domain, host, "fail-reported", v.FailureType, $"{v.Detail}; testing mode delivers anyway");
        }
        else if (d.FailureType is { } f)
        {
            PolicyResult(trace, d, domain, host, "fail-reported", f, d.Reason);
        }
        else
        {
            PolicyResult(trace, d, domain, host, "pass", null, verdict?.Detail ?? "TLS established");
        }
    }

    private static string Mode(MtaStsPolicy p) => p.Mode.ToString().ToLowerInvariant();

    private static string Status(Dns.DnssecStatus s) => s.ToString().ToLowerInvariant();
}
