using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Protocols.Dns;

namespace MailLab.Server.Relay;

/// <summary>The result of checking a server certificate under a <see cref="TlsDecision"/>: null failure means it passed.</summary>
internal sealed record CertificateVerdict(bool Passed, string Detail, string? FailureType = null);

/// <summary>
/// Checks a server's certificate the way a <see cref="TlsDecision"/> says (sans-IO: certificates in, verdict out):
/// DANE-EE and DANE-TA (RFC 7672 §3.1, §3.2) or PKIX to the lab CA with the MX host name (RFC 8461 §4.2).
/// </summary>
internal static class TlsCertificateCheck
{
    /// <summary>Checks <paramref name="leaf"/> (and the chain the server sent, <paramref name="presented"/>) for <paramref name="host"/>.</summary>
    public static CertificateVerdict Check(TlsDecision decision, string host, X509Certificate2? leaf, IReadOnlyList<X509Certificate2> presented,
        X509Certificate2 labCa, DateTime now)
    {
        if (decision.Check == CertificateCheck.None) return new CertificateVerdict(true, "certificate not checked");
        if (leaf is null) return new CertificateVerdict(false, "the server sent no certificate", "validation-failure");
        return decision.Check == CertificateCheck.Dane
            ? Dane(decision.Tlsa, host, leaf, presented, labCa, now)
            : Pkix(host, leaf, presented, labCa, now);
    }

    /// <summary>PKIX: a valid chain to the lab CA (the lab's only root) and a certificate name matching the host.</summary>
    public static CertificateVerdict Pkix(string host, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> presented, X509Certificate2 labCa, DateTime now)
    {
        using var chain = NewChain(presented, [labCa], now);
        if (!chain.Build(leaf))
        {
            var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
            return new CertificateVerdict(false, $"certificate of {host} does not chain to the lab CA: {status}", "validation-failure");
        }
        if (!leaf.MatchesHostname(host.TrimEnd('.'), allowWildcards: true, allowCommonName: false))
        {
            return new CertificateVerdict(false, $"certificate ({leaf.Subject}) is not for {host}", "certificate-host-mismatch");
        }
        return new CertificateVerdict(true, $"certificate for {host} chains to the lab CA");
    }

    private static CertificateVerdict Dane(IReadOnlyList<TlsaData> records, string host, X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> presented, X509Certificate2 labCa, DateTime now)
    {
        // RFC 7672 §3.1.1: DANE-EE matches the leaf alone; names and validity dates are ignored.
        foreach (var r in records.Where(r => r.Usage == 3))
        {
            if (Matches(r, leaf)) return new CertificateVerdict(true, $"leaf matches TLSA {Describe(r)} (DANE-EE: names and dates not checked)");
        }
        // RFC 7672 §3.2: DANE-TA: the chain must reach a certificate the record names, and the name must match the MX host.
        // The lab's servers send their leaf only, so the chain is built from what they sent plus the lab CA as a
        // candidate issuer; the record, not the lab CA, decides what is trusted.
        var ta = records.Where(r => r.Usage == 2).ToList();
        if (ta.Count > 0)
        {
            using var chain = NewChain(presented, [labCa], now);
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            chain.Build(leaf);
            var elements = chain.ChainElements.Skip(1).Select(e => e.Certificate).ToList();
            var anchor = ta.SelectMany(r => elements.Where(c => Matches(r, c)).Select(c => (r, c))).FirstOrDefault();
            if (anchor.c is not null)
            {
                var bad = chain.ChainStatus.Where(s => s.Status is not (X509ChainStatusFlags.NoError or X509ChainStatusFlags.UntrustedRoot)).ToList();
                if (bad.Count > 0)
                {
                    return new CertificateVerdict(false, $"chain to the TLSA {Describe(anchor.r)} anchor is invalid: {string.Join("; ", bad.Select(s => s.StatusInformation.Trim()))}", "validation-failure");
                }
                // RFC 7672 §3.2.3: the reference identifier is the MX host name.
                if (!leaf.MatchesHostname(host.TrimEnd('.'), allowWildcards: true, allowCommonName: false))
                {
                    return new CertificateVerdict(false, $"certificate ({leaf.Subject}) is not for {host} (DANE-TA checks the name)", "certificate-host-mismatch");
                }
                return new CertificateVerdict(true, $"chain reaches the trust anchor {anchor.c.Subject} of TLSA {Describe(anchor.r)}, name {host} matches");
            }
        }
        return new CertificateVerdict(false,
            $"certificate ({leaf.Subject}) matches none of the TLSA records {string.Join(", ", records.Select(Describe))}", "tlsa-invalid");
    }

    /// <summary>Whether <paramref name="cert"/> matches TLSA record <paramref name="r"/> by its selector and matching type (RFC 6698 §2.1).</summary>
    public static bool Matches(TlsaData r, X509Certificate2 cert)
    {
        byte[] selected = r.Selector == 0 ? cert.RawData : cert.PublicKey.ExportSubjectPublicKeyInfo();
        byte[] value = r.MatchingType switch
        {
            0 => selected,
            1 => SHA256.HashData(selected),
            2 => SHA512.HashData(selected),
            _ => [],
        };
        return value.Length > 0 && CryptographicOperations.FixedTimeEquals(value, r.Association);
    }

    /// <summary>A record as zone text, the association shortened.</summary>
    public static string Describe(TlsaData r)
    {
        var hex = Convert.ToHexStringLower(r.Association);
        return $"{r.Usage} {r.Selector} {r.MatchingType} {(hex.Length > 16 ? hex[..16] + "..." : hex)}";
    }

    private static X509Chain NewChain(IReadOnlyList<X509Certificate2> presented, IEnumerable<X509Certificate2> roots, DateTime now)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        foreach (var r in roots) chain.ChainPolicy.CustomTrustStore.Add(r);
        chain.ChainPolicy.ExtraStore.AddRange(presented.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        return chain;
    }
}
