using System.Net;
using MailLab.MailAuth.Spf;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// Both SPF checks of one MAIL command at the MTA (RFC 7208 §2.3 HELO, §2.4 MAIL FROM), and what
/// the MTA should do about them: <see cref="Refusal"/> is set only when the lab rejects SPF fail.
/// <see cref="Ran"/> is false when the site had no DNS to ask (in-memory sessions).
/// </summary>
public sealed record SpfCheckResult(SpfResult Helo, SpfResult MailFrom, PolicyDecision? Refusal, bool Ran)
{
    /// <summary>The DNSSEC statuses of the HELO check's lookups (null when the resolver does not validate).</summary>
    internal Dns.DnssecObservation? HeloDnssec { get; init; }

    /// <summary>The DNSSEC statuses of the MAIL FROM check's lookups.</summary>
    internal Dns.DnssecObservation? MailFromDnssec { get; init; }
}

/// <summary>
/// The MTA's SPF check as a value-returning function: it asks the DNS through an
/// <see cref="ISpfResolver"/>, never touches the socket and never throws to reject.
/// </summary>
public static class SpfCheck
{
    /// <summary>The longest one check (HELO and MAIL FROM together) may wait for DNS before it is a temperror.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Evaluates SPF for the HELO and MAIL FROM identities of a client at <paramref name="client"/>.
    /// Only cancellation of <paramref name="ct"/> throws; a slow DNS gives temperror after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<SpfCheckResult> EvaluateAsync(ISpfResolver? resolver, string receiver, IPAddress client,
        string helo, string mailFrom, bool rejectFail, CancellationToken ct, TimeSpan? timeout = null)
    {
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        var (domain, sender) = SpfEvaluator.MailFromIdentity(mailFrom, helo);
        if (resolver is null)
        {
            return new SpfCheckResult(Skipped(client, helo, "postmaster@" + helo, helo, "helo"),
                Skipped(client, domain, sender, helo, "mailfrom"), null, Ran: false);
        }
        var evaluator = new SpfEvaluator(resolver, receiver);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var budget = timeout ?? Timeout;
        limit.CancelAfter(budget);

        // RFC 7208 §2.3: the HELO check applies only when HELO gave a domain name, not an address literal.
        var heloDnssec = Dns.LabResolver.Observe();
        var heloResult = IsDomainName(helo)
            ? await Run(() => evaluator.CheckHeloAsync(client, helo, limit.Token), client, helo, "postmaster@" + helo, helo, "helo", budget, ct)
            : new SpfResult(SpfResultCode.None, helo, null, [], null, null)
                { ClientIp = client, Sender = "postmaster@" + helo, Helo = helo, Receiver = receiver, Identity = "helo" };
        var mailDnssec = Dns.LabResolver.Observe();
        var mailResult = await Run(() => evaluator.CheckMailFromAsync(client, mailFrom, helo, limit.Token), client, domain, sender, helo, "mailfrom", budget, ct);
        return new SpfCheckResult(heloResult with { Receiver = receiver }, mailResult with { Receiver = receiver },
            rejectFail ? RefusalFor(mailResult) : null, Ran: true) { HeloDnssec = heloDnssec, MailFromDnssec = mailDnssec };
    }

    /// <summary>
    /// The verdict when the evaluation itself failed with an unexpected exception (a bug): temperror for
    /// both identities (RFC 7208 §2.6.6: the check could not be completed), never a refusal.
    /// </summary>
    internal static SpfCheckResult InternalError(string receiver, IPAddress client, string helo, string mailFrom, string reason)
    {
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        var (domain, sender) = SpfEvaluator.MailFromIdentity(mailFrom, helo);
        SpfResult Failed(string d, string s, string identity) =>
            new(SpfResultCode.TempError, d, null, [], null, reason)
                { ClientIp = client, Sender = s, Helo = helo, Identity = identity, Receiver = receiver };
        return new SpfCheckResult(Failed(helo, "postmaster@" + helo, "helo"), Failed(domain, sender, "mailfrom"), null, Ran: true);
    }

    /// <summary>The refusal for a MAIL FROM whose result is fail, else null (RFC 7208 §8.4, RFC 7372 §3.2).</summary>
    internal static PolicyDecision? RefusalFor(SpfResult mailFrom)
    {
        if (mailFrom.Result != SpfResultCode.Fail) return null;
        // RFC 7208 §8.4 and §6.2: reject with 550 and the explanation (the exp= text) when there is one.
        var text = mailFrom.Explanation
            ?? $"SPF fail: {mailFrom.Domain} does not designate {mailFrom.ClientIp} as permitted sender";
        return PolicyDecision.Refuse(550, "5.7.23", text, "spf fail");
    }

    private static async Task<SpfResult> Run(Func<Task<SpfResult>> check, IPAddress client, string domain, string sender,
        string helo, string identity, TimeSpan budget, CancellationToken ct)
    {
        try
        {
            return await check().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // RFC 7208 §4.6.4: bound the elapsed time (at least 20 s); exceeding it SHOULD give temperror.
            return new SpfResult(SpfResultCode.TempError, domain, null, [], null,
                $"SPF evaluation took longer than {budget.TotalSeconds:0.#} s")
                { ClientIp = client, Sender = sender, Helo = helo, Identity = identity };
        }
    }

    private static SpfResult Skipped(IPAddress client, string domain, string sender, string helo, string identity) =>
        new(SpfResultCode.None, domain, null, [], null, "no resolver")
            { ClientIp = client, Sender = sender, Helo = helo, Identity = identity };

    private static bool IsDomainName(string helo) =>
        helo.Length > 0 && !helo.StartsWith('[') && !IPAddress.TryParse(helo, out _) && helo.Contains('.');
}

/// <summary>
/// The MTA's SPF stage: <see cref="SpfCheck"/> at MAIL time for HELO and MAIL FROM, every step traced,
/// the result kept for DMARC, Received-SPF and Authentication-Results. With a null resolver (no lab DNS)
/// both identities are "none (no resolver)".
/// </summary>
public sealed class SpfStage(ISpfResolver? resolver) : ReceiveCheck
{
    /// <inheritdoc />
    public override async Task<PolicyDecision?> MailFromAsync(MailFromContext c)
    {
        // The client IP as seen on the socket: the only identity the client cannot choose (RFC 7208 §4.1).
        SpfCheckResult result;
        try
        {
            result = await SpfCheck.EvaluateAsync(resolver, c.Host, c.Client, c.Helo, c.MailFrom,
                c.Site.Lab.Switches.RejectSpfFail, c.Token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && c.Token.IsCancellationRequested))
        {
            // Defence in depth: a check that throws is a bug; it costs a temperror verdict, not the session.
            var reason = CheckFailure.Trace("spf", ex, c.Trace);
            result = SpfCheck.InternalError(c.Host, c.Client, c.Helo, c.MailFrom, reason);
        }
        Render(result.Helo, result.HeloDnssec?.Summary, c.Trace);
        Render(result.MailFrom, result.MailFromDnssec?.Summary, c.Trace);
        c.Results.Set(result);
        return result.Refusal;
    }

    private static void Render(SpfResult r, string? dnssec, TraceContext trace)
    {
        foreach (var step in r.Steps)
        {
            trace.Emit(TraceKind.SpfStep, $"SPF {r.Identity}: {step}",
                ("Identity", r.Identity), ("Domain", step.Domain), ("Term", step.Term), ("Query", step.Query),
                ("Answer", step.Answer), ("Matched", step.Matched), ("Lookups", step.Lookups),
                ("VoidLookups", step.VoidLookups), ("Note", step.Note));
        }
        var why = r.Problem ?? r.DecidingTerm;
        trace.Emit(TraceKind.SpfResult,
            $"SPF {r.Identity} {r.Sender} from {r.ClientIp}: {r.Keyword}{(why is null ? "" : $" ({why})")}",
            ("Identity", r.Identity), ("Result", r.Keyword), ("Domain", r.Domain), ("DecidingTerm", r.DecidingTerm),
            ("Explanation", r.Explanation), ("Problem", r.Problem), ("ClientIp", r.ClientIp?.ToString()), ("Sender", r.Sender),
            ("Dnssec", dnssec));
    }
}
