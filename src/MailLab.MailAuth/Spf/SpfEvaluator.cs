using System.Net;

namespace MailLab.MailAuth.Spf;

/// <summary>check_host() of RFC 7208 §4: evaluates SPF for a client IP, using only an <see cref="ISpfResolver"/>.</summary>
public sealed class SpfEvaluator(ISpfResolver resolver, string? receiver = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The (domain, sender) for a MAIL FROM check; an empty MAIL FROM uses "postmaster@helo" (RFC 7208 §2.4).</summary>
    public static (string Domain, string Sender) MailFromIdentity(string mailFrom, string helo)
    {
        if (string.IsNullOrEmpty(mailFrom)) return (helo, "postmaster@" + helo);
        var at = mailFrom.LastIndexOf('@');
        return (at < 0 ? mailFrom : mailFrom[(at + 1)..], mailFrom);
    }

    /// <summary>check_host() for the MAIL FROM identity (identity "mailfrom").</summary>
    public Task<SpfResult> CheckMailFromAsync(IPAddress ip, string mailFrom, string helo, CancellationToken ct = default)
    {
        var (domain, sender) = MailFromIdentity(mailFrom, helo);
        return CheckHostAsync(ip, domain, sender, helo, "mailfrom", ct);
    }

    /// <summary>check_host() for the HELO identity: sender "postmaster@helo" (RFC 7208 §2.3).</summary>
    public Task<SpfResult> CheckHeloAsync(IPAddress ip, string helo, CancellationToken ct = default) =>
        CheckHostAsync(ip, helo, "postmaster@" + helo, helo, "helo", ct);

    /// <summary>
    /// check_host(ip, domain, sender) of RFC 7208 §4. Bad records and DNS errors come back as results;
    /// only cancellation of <paramref name="ct"/> throws (OperationCanceledException from the resolver).
    /// </summary>
    public async Task<SpfResult> CheckHostAsync(
        IPAddress ip, string domain, string sender, string heloDomain,
        string identity = "mailfrom", CancellationToken ct = default)
    {
        // RFC 7208 §5: an IPv4-mapped IPv6 client is treated as IPv4.
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var run = new SpfRun(resolver, ip, sender, heloDomain, receiver, _time.GetUtcNow(), ct);
        var outcome = await run.CheckHostAsync(domain.TrimEnd('.'), top: true).ConfigureAwait(false);
        var problem = outcome.Code is SpfResultCode.PermError or SpfResultCode.TempError ? outcome.Problem : null;
        return new SpfResult(outcome.Code, outcome.Domain, outcome.Explanation, run.Steps, outcome.Term, problem)
        {
            ClientIp = ip,
            Sender = sender,
            Helo = heloDomain,
            Receiver = receiver,
            Identity = identity,
        };
    }
}
