namespace MailLab.Server.Reports;

/// <summary>One DKIM signature as an aggregate report lists it (RFC 9990 DKIMAuthResultType).</summary>
internal sealed record ReportDkim(string Domain, string Selector, string Result);

/// <summary>
/// What an aggregate report needs to know about one evaluated message (RFC 9990 §3): collected by
/// the receiving MTA for every DMARC evaluation that found a policy, one JSON line each.
/// </summary>
public sealed record DmarcReportEntry
{
    public required DateTimeOffset Time { get; init; }
    public required string SourceIp { get; init; }
    public required string HeaderFrom { get; init; }
    public string? EnvelopeFrom { get; init; }
    public string? EnvelopeTo { get; init; }
    public required string PolicyDomain { get; init; }

    /// <summary>The record as published (p, sp, np, adkim, aspf, fo, t are re-read from it).</summary>
    public required string Record { get; init; }

    /// <summary>"treewalk" (RFC 9989) or "psl" (RFC 7489).</summary>
    public required string Discovery { get; init; }

    /// <summary>What was done: none, quarantine, reject (or pass for DMARC pass under an enforcing policy).</summary>
    public required string Disposition { get; init; }
    public required bool DkimAligned { get; init; }
    public required bool SpfAligned { get; init; }

    /// <summary>Why the disposition differs from the published policy (local_policy, policy_test_mode), if it does.</summary>
    public string? OverrideType { get; init; }
    public string? OverrideComment { get; init; }
    internal IReadOnlyList<ReportDkim> Dkim { get; init; } = [];
    public required string SpfDomain { get; init; }
    public required string SpfResult { get; init; }
}
