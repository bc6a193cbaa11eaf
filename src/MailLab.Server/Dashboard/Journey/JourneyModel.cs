namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// One message's way through the lab, read from the trace (docs/journey.md): every hop's queue id, the
/// timeline across roles and sites, and the verdicts of the checks, each step with the RFC section it applies.
/// </summary>
/// <remarks>
/// <para><c>Id</c>: The queue id that was asked for.</para>
/// <para><c>Ids</c>: Every queue id the message had, hop by hop (the first is the submission's or first receipt's).</para>
/// <para><c>Outcome</c>: How it ended: <c>delivered</c>, <c>rejected</c>, <c>bounced</c>, <c>deferred</c>, <c>queued</c> or <c>received</c>.</para>
/// </remarks>
public sealed record MessageJourney(
    string Id,
    IReadOnlyList<string> Ids,
    string? MessageId,
    string? Subject,
    string Outcome,
    EnvelopeView Envelope,
    IReadOnlyList<JourneyStep> Timeline,
    IReadOnlyList<SpfCheckView> Spf,
    IReadOnlyList<DkimSigningView> DkimSigned,
    IReadOnlyList<DkimVerificationView> Dkim,
    IReadOnlyList<DmarcView> Dmarc,
    IReadOnlyList<VerdictView> Verdicts,
    IReadOnlyList<SmtpReplyView> Replies);

/// <summary>
/// One step of the timeline. <paramref name="Stage"/> is one of <c>MUA → MSA</c>, <c>MTA</c>, <c>checks</c>,
/// <c>queue</c>, <c>relay</c>, <c>reply</c>, <c>MDA → store</c>, <c>fetch</c>, <c>bounce</c>.
/// </summary>
/// <remarks>
/// <para><c>Received</c>: This hop's <c>Received:</c> field, unfolded, on the step where the hop accepted the message.</para>
/// <para><c>Verdict</c>: pass, fail, delivered, deferred ... when the step has one; null otherwise.</para>
/// </remarks>
public sealed record JourneyStep(
    long Sequence,
    DateTimeOffset Time,
    string Stage,
    string Site,
    string Role,
    string? Session,
    string? QueueId,
    string Summary,
    string? Received,
    string? Verdict,
    RfcRef Rfc);

/// <summary>The envelope sender beside the header From (RFC 5321 §4.1.1.2 against RFC 5322 §3.6.2) and how they align (DMARC).</summary>
/// <remarks>
/// <para><c>SameDomain</c>: Whether the two domains are equal, ignoring case; null when the message has no From.</para>
/// <para><c>SpfAligned</c>: DMARC's verdict at the last hop that evaluated it: an aligned SPF pass; null without DMARC.</para>
/// </remarks>
public sealed record EnvelopeView(
    string MailFrom,
    string EnvelopeDomain,
    string? HeaderFrom,
    string? HeaderFromDomain,
    IReadOnlyList<string> Recipients,
    bool? SameDomain,
    bool? SpfAligned,
    bool? DkimAligned,
    IReadOnlyList<string> Alignments,
    RfcRef MailFromRfc,
    RfcRef HeaderFromRfc,
    RfcRef AlignmentRfc);

/// <summary>One SPF evaluation (RFC 7208) of one identity at one MTA: the result and the tree of terms walked.</summary>
public sealed record SpfCheckView(
    string Site,
    string? Session,
    string Identity,
    string Result,
    string Domain,
    string? Sender,
    string? ClientIp,
    string? DecidingTerm,
    string? Explanation,
    string? Problem,
    string? Dnssec,
    int Lookups,
    int VoidLookups,
    RfcRef IdentityRfc,
    RfcRef Rfc,
    IReadOnlyList<SpfTermView> Terms);

/// <summary>One term of an SPF record as the evaluator walked it; an <c>include:</c> or <c>redirect=</c> holds the walk of the other domain.</summary>
public sealed record SpfTermView(
    string Domain,
    string Term,
    string? Query,
    string? Answer,
    bool? Matched,
    int Lookups,
    int VoidLookups,
    string? Note,
    RfcRef Rfc,
    IReadOnlyList<SpfTermView> Children);

/// <summary>A DKIM-Signature the MSA added (RFC 6376 §5).</summary>
public sealed record DkimSigningView(
    string Site,
    string? Domain,
    string? Selector,
    string? Algorithm,
    IReadOnlyList<string> SignedHeaders,
    string? BodyHash,
    RfcRef Rfc);

/// <summary>The verification of one DKIM-Signature at one MTA (RFC 6376 §6.1), with the step that failed.</summary>
/// <remarks>
/// <para><c>BodyHashMatches</c>: bh= computed against claimed; null when either is unknown.</para>
/// <para><c>FailingStep</c>: The first step that did not pass (key, body-hash, signature ...), null when none failed.</para>
/// </remarks>
public sealed record DkimVerificationView(
    string Site,
    int Index,
    string Result,
    string? Reason,
    string? Domain,
    string? Selector,
    string? Algorithm,
    string? Canonicalization,
    string? Identity,
    IReadOnlyList<string> SignedHeaders,
    IReadOnlyList<string> UnsignedHeaders,
    string? BodyHashClaimed,
    string? BodyHashComputed,
    bool? BodyHashMatches,
    string? KeyQuery,
    string? KeyAnswer,
    int? KeyBits,
    string? Dnssec,
    string? FailingStep,
    RfcRef Rfc,
    IReadOnlyList<DkimStepView> Steps);

/// <summary>One step of a DKIM verification.</summary>
public sealed record DkimStepView(string Step, bool? Ok, string? Detail, string? Query, string? Answer, RfcRef Rfc);

/// <summary>The DMARC evaluation at one MTA: policy record, organisational domain, each alignment, disposition.</summary>
public sealed record DmarcView(
    string Site,
    string Result,
    string? FromDomain,
    string? Mode,
    string? PolicyDomain,
    string? Record,
    string? OrgDomain,
    string? Policy,
    string? PolicyTag,
    bool? SpfAligned,
    bool? DkimAligned,
    IReadOnlyList<string> Alignments,
    string? Requested,
    string? Disposition,
    string? Override,
    string? Folder,
    string? FromProblem,
    string? Reason,
    IReadOnlyList<string> Steps,
    RfcRef DiscoveryRfc,
    RfcRef OrgDomainRfc,
    RfcRef AlignmentRfc,
    RfcRef PolicyRfc,
    RfcRef DispositionRfc);

/// <summary>Another verdict an event carried for this message: <c>DNSSEC</c>, <c>TLS</c>, <c>TLS policy</c>, <c>S/MIME</c>, <c>OpenPGP</c>.</summary>
public sealed record VerdictView(string Site, string Kind, string Result, string? Detail, RfcRef Rfc);

/// <summary>The SMTP reply that ended one hop's DATA (RFC 5321 §4.2), e.g. the 550 of a DMARC reject.</summary>
public sealed record SmtpReplyView(string Site, string Role, string? Session, int Code, string? Enhanced, string Text, RfcRef Rfc);

/// <summary>One line of the journey index: a message as its first hop saw it, and how it ended.</summary>
public sealed record MessageSummary(
    string Id,
    IReadOnlyList<string> Ids,
    DateTimeOffset Time,
    string Site,
    string? From,
    string MailFrom,
    IReadOnlyList<string> To,
    string? Subject,
    string Outcome);
