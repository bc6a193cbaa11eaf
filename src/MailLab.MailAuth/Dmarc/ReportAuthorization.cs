using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// RFC 7489 §7.1 (RFC 9990 §4): a report address outside the policy domain's organisation must
/// agree to receive its reports by publishing "v=DMARC1" at &lt;policy-domain&gt;._report._dmarc.&lt;its domain&gt;;
/// otherwise anyone could aim a domain's reports at a victim.
/// </summary>
public static class ReportAuthorization
{
    /// <summary>Whether reports for <paramref name="policyDomain"/> may go to <paramref name="address"/>, and why.</summary>
    public static async Task<(bool Allowed, string Why)> CheckAsync(IDmarcResolver dns, PublicSuffixList psl, string policyDomain,
        string address, CancellationToken ct)
    {
        var at = address.LastIndexOf('@');
        var domain = address[(at + 1)..].TrimEnd('.').ToLowerInvariant();
        policyDomain = policyDomain.TrimEnd('.').ToLowerInvariant();
        if (psl.OrganizationalDomain(domain) == psl.OrganizationalDomain(policyDomain))
            return (true, $"{domain} is in the same organisation as {policyDomain}");
        var name = $"{policyDomain}._report._dmarc.{domain}";
        var answer = await dns.LookupTxtAsync(name, ct).ConfigureAwait(false);
        if (answer.Kind == DnsAnswerKind.TempError) return (false, $"{name} TXT: temporary DNS error ({answer.Error}); not sent");
        return answer.Records.Any(DmarcRecord.LooksLikeDmarc)
            ? (true, $"{domain} agrees: {name} TXT has v=DMARC1 (RFC 7489 §7.1)")
            : (false, $"{domain} is outside {policyDomain} and {name} has no v=DMARC1 record (RFC 7489 §7.1): not sent");
    }
}
