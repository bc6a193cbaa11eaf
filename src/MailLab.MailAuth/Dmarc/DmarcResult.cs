using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dmarc;

/// <summary>Which DMARC specification the evaluator follows; chosen per lab.</summary>
public enum DmarcMode
{
    /// <summary>RFC 9989 (DMARCbis): DNS tree walk for policy and organisational domain, np=, psd=, t=; no pct=.</summary>
    Rfc9989,
    /// <summary>RFC 7489 (the lecture's version): Public Suffix List for the organisational domain, pct= sampling.</summary>
    Rfc7489,
}

/// <summary>The DMARC result keywords of RFC 7489 §11.2 / RFC 8601 §2.7.</summary>
public enum DmarcResultCode
{
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}

/// <summary>The DKIM verdict of one signature as DMARC needs it (RFC 8601 §2.7.1 values).</summary>
public enum DkimOutcome
{
    None,
    Pass,
    Fail,
    Neutral,
    Policy,
    TempError,
    PermError,
}

/// <summary>One DKIM signature's result: its d= domain, the verdict and s= selector.</summary>
public sealed record DmarcDkimInput(string Domain, DkimOutcome Result, string? Selector);

/// <summary>
/// The SPF-authenticated identifier (RFC 7489 §4.1): the MAIL FROM domain, or the HELO domain when
/// MAIL FROM was the null path; with its SPF result.
/// </summary>
public sealed record DmarcSpfInput(string Domain, SpfResultCode Result, string Identity)
{
    /// <summary>Picks the identity RFC 7489 §4.1 names: MAIL FROM, or HELO for the null sender.</summary>
    public static DmarcSpfInput From(string mailFrom, SpfResult mailFromResult, SpfResult heloResult) =>
        string.IsNullOrEmpty(mailFrom)
            ? new DmarcSpfInput(heloResult.Domain, heloResult.Result, "helo")
            : new DmarcSpfInput(mailFromResult.Domain, mailFromResult.Result, "mailfrom");
}

/// <summary>One step of the evaluation, for the trace and the student: what was asked, what came back, what it means.</summary>
public sealed record DmarcStep(string Step, string Text, string? Query = null, string? Answer = null)
{
    public override string ToString() => Query is null ? $"{Step}: {Text}" : $"{Step}: {Text} [{Query} -> {Answer}]";
}

/// <summary>One identifier alignment comparison (RFC 7489 §3.1): which identifier, mode, the two organisational domains, the outcome.</summary>
public sealed record AlignmentCheck(
    string Mechanism,
    string Identifier,
    string? Selector,
    string MechanismResult,
    AlignmentMode Mode,
    string FromDomain,
    string? FromOrgDomain,
    string? IdentifierOrgDomain,
    bool Aligned,
    string Why)
{
    public override string ToString() => $"{Mechanism} {Identifier}{(Selector is null ? "" : $" s={Selector}")} ({MechanismResult}): {Why}";
}

/// <summary>The DMARC evaluation with its explanation as data.</summary>
public sealed record DmarcResult
{
    public required DmarcResultCode Result { get; init; }

    /// <summary>The RFC5322.From author domain (or why there is none).</summary>
    public required AuthorDomain Author { get; init; }

    /// <summary>Which rules were applied ("RFC 9989" or "RFC 7489").</summary>
    public required DmarcMode Mode { get; init; }

    /// <summary>Where the policy record was found, and the record.</summary>
    public string? PolicyDomain { get; init; }
    public DmarcRecord? Record { get; init; }

    /// <summary>The author domain's organisational domain.</summary>
    public string? OrgDomain { get; init; }

    /// <summary>The published policy that applies: p, sp or np (<see cref="PolicyTag"/>); null without a record.</summary>
    public DmarcPolicy? Policy { get; init; }
    public string? PolicyTag { get; init; }

    /// <summary>What the domain owner asks for this message: the policy when DMARC failed (after pct/t), else none.</summary>
    public DmarcPolicy Disposition { get; init; }

    public bool SpfAligned { get; init; }
    public bool DkimAligned { get; init; }
    public IReadOnlyList<AlignmentCheck> Alignments { get; init; } = [];
    public IReadOnlyList<DmarcStep> Steps { get; init; } = [];

    /// <summary>One sentence: why the result and disposition are what they are.</summary>
    public required string Reason { get; init; }

    /// <summary>The result keyword as written in Authentication-Results ("pass", "fail", ...).</summary>
    public string Keyword => Result.ToString().ToLowerInvariant();

    /// <summary>The author domain, or "" when the From field was refused.</summary>
    public string FromDomain => Author.Domain ?? "";
}

/// <summary>Lower-case keywords of the DMARC enums, as written in headers, reports and traces.</summary>
public static class DmarcKeywords
{
    public static string Keyword(this DmarcPolicy p) => p.ToString().ToLowerInvariant();
    public static string Keyword(this DkimOutcome d) => d.ToString().ToLowerInvariant();
    public static string Keyword(this DmarcMode m) => m == DmarcMode.Rfc9989 ? "RFC 9989" : "RFC 7489";
}
