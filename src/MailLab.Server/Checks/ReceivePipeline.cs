using MailLab.Protocols.Smtp;
using MailLab.Server.Reports;

namespace MailLab.Server.Checks;

/// <summary>
/// A check: it hooks MAIL and/or the end of DATA and returns values (into <see cref="CheckResults"/>)
/// and at most a refusal. It traces its own steps, never writes to the socket and never throws to reject.
/// </summary>
public abstract class ReceiveCheck
{
    /// <summary>At MAIL time: a refusal ends the transaction (the session traces it as PolicyRejected), null goes on.</summary>
    public virtual Task<PolicyDecision?> MailFromAsync(MailFromContext c) => Task.FromResult<PolicyDecision?>(null);

    /// <summary>At the end of DATA, before any header is added: a reply refuses the message (the check traced why).</summary>
    public virtual Task<SmtpReply?> MessageAsync(ReceiveContext c) => Task.FromResult<SmtpReply?>(null);
}

/// <summary>A header modifier: it adds fields to <see cref="ReceiveContext.Added"/> (or rewrites the content) and traces them.</summary>
internal abstract class HeaderModifier
{
    /// <summary>Makes this stage's header change.</summary>
    public abstract Task ModifyAsync(ReceiveContext c);
}

/// <summary>
/// The DNS-backed services of a site's MTA, complete and immutable, built by <see cref="LabRuntime"/>
/// before any session exists. A site without a lab DNS has none, and so none of the stages that need them.
/// </summary>
/// <param name="Spf">The DNS the SPF check asks (the lab DNS).</param>
/// <param name="Dkim">The DNS the DKIM check asks for key records.</param>
/// <param name="Dmarc">The DMARC evaluator over the same DNS.</param>
/// <param name="Reports">Where aggregate-report data is collected (<c>&lt;data&gt;/dmarc</c>); null to collect none.</param>
/// <param name="Smime">The S/MIME verifier over the lab PKI; null when the lab has no user CA (no S/MIME stage).</param>
public sealed record ReceiveServices(MailAuth.Spf.ISpfResolver Spf, MailAuth.Dkim.IDkimResolver Dkim,
    MailAuth.Dmarc.DmarcEvaluator Dmarc, DmarcReportLog? Reports, Smime.SmimeVerifier? Smime = null)
{
    /// <summary>OpenPGP verification at delivery (keys, key server, OPENPGPKEY); null: the stage does not run.</summary>
    public OpenPgp.OpenPgpServices? OpenPgp { get; init; }
}

/// <summary>
/// What an SMTP profile does with a message, in order: the checks (which return values), then the
/// header modifiers, then the delivery target (like maddy's checks, modifiers and targets). The MSA's
/// list simply has no MTA checks; adding a check is one stage file and one line here.
/// </summary>
internal sealed record ReceivePipeline(IReadOnlyList<ReceiveCheck> Checks, IReadOnlyList<HeaderModifier> Modifiers, DeliveryTarget Target)
{
    /// <summary>
    /// The MTA's stages: SPF at MAIL time (without DNS it says "none (no resolver)"), DKIM and DMARC at the end
    /// of DATA; then Authentication-Results, OpenPGP verification at delivery (with keys) and Received-SPF above
    /// this hop's Received. Without DNS: SPF and Received only.
    /// </summary>
    public static ReceivePipeline Mta(ReceiveServices? dns) => dns is null
        ? new([new SpfStage(null)], [new ReceivedStage()], DeliveryTarget.Instance)
        : new([new SpfStage(dns.Spf), new DkimVerifyStage(dns.Dkim), new DmarcStage(dns), .. SmimeStage.For(dns.Smime, onlyLocal: false)],
            dns.OpenPgp is { } pgp
                ? [new AuthenticationResultsStage(), new OpenPgpStage(pgp), new ReceivedSpfStage(), new ReceivedStage()]
                : [new AuthenticationResultsStage(), new ReceivedSpfStage(), new ReceivedStage()], DeliveryTarget.Instance);

    /// <summary>
    /// The MSA's stages (RFC 6409): the header From must be the user's; then Received, a missing
    /// Message-ID and Date (§8.2, §8.3), the DKIM signatures when the site has keys (RFC 6376 §5).
    /// S/MIME (<paramref name="smime"/>) and OpenPGP (<paramref name="pgp"/>) are verified here too when a
    /// recipient is local: the MSA delivers those itself, no MTA sees them.
    /// </summary>
    public static ReceivePipeline Msa(Dkim.DkimKeySet? keys, Smime.SmimeVerifier? smime = null, OpenPgp.OpenPgpServices? pgp = null)
    {
        List<HeaderModifier> modifiers = [new ReceivedStage(), new SubmissionHeadersStage()];
        if (keys is not null) modifiers.Add(new DkimSignStage(keys));
        if (pgp is not null) modifiers.Add(new OpenPgpStage(pgp));
        return new([new SubmissionFromCheck(), .. SmimeStage.For(smime, onlyLocal: true)], modifiers, DeliveryTarget.Instance);
    }
}
