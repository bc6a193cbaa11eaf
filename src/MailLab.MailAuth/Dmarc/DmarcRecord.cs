namespace MailLab.MailAuth.Dmarc;

/// <summary>What a domain owner asks receivers to do with mail that fails DMARC (RFC 7489 §6.3 p=, RFC 9989 §4.7).</summary>
public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

/// <summary>Identifier alignment mode: relaxed (same organisational domain) or strict (same domain), RFC 7489 §3.1.</summary>
public enum AlignmentMode
{
    Relaxed,
    Strict,
}

/// <summary>One report destination of rua= or ruf=: a mailto address and an optional size limit (RFC 7489 §6.2).</summary>
public sealed record DmarcReportUri(string Address, long MaxSizeBytes);

/// <summary>
/// A parsed DMARC policy record (RFC 7489 §6.3, RFC 9989 §4.7). Tags the parser does not know are
/// ignored (RFC 7489 §6.3: "MUST be ignored"); a known tag with a bad value makes the record invalid.
/// </summary>
public sealed record DmarcRecord
{
    /// <summary>p=: the policy for the domain itself. Null when absent (then treated as none, RFC 7489 §6.6.3).</summary>
    public DmarcPolicy? P { get; init; }

    /// <summary>sp=: the policy for subdomains; null means "as p".</summary>
    public DmarcPolicy? Sp { get; init; }

    /// <summary>np=: the policy for non-existent subdomains (RFC 9989 only); null means "as sp".</summary>
    public DmarcPolicy? Np { get; init; }

    public AlignmentMode Adkim { get; init; } = AlignmentMode.Relaxed;
    public AlignmentMode Aspf { get; init; } = AlignmentMode.Relaxed;

    /// <summary>fo=: failure reporting options, a sorted subset of 0, 1, d, s (default "0").</summary>
    public IReadOnlyList<string> Fo { get; init; } = ["0"];

    /// <summary>pct=: percentage of failing mail to apply the policy to (RFC 7489 only; RFC 9989 removed it).</summary>
    public int Pct { get; init; } = 100;

    /// <summary>Whether the record carries pct= at all (RFC 9989 mode says it ignores it).</summary>
    public bool HasPct { get; init; }

    /// <summary>ri=: requested aggregate report interval in seconds (RFC 7489 §6.3, default one day).</summary>
    public long Ri { get; init; } = 86400;

    /// <summary>psd=: y (public suffix domain), n (organisational domain), u (unknown, the default); RFC 9989 §4.7.</summary>
    public char Psd { get; init; } = 'u';

    /// <summary>t=y: the owner is testing; the policy is applied one step milder (RFC 9989 §4.7).</summary>
    public bool Testing { get; init; }

    public IReadOnlyList<DmarcReportUri> Rua { get; init; } = [];
    public IReadOnlyList<DmarcReportUri> Ruf { get; init; } = [];

    /// <summary>The record text as published.</summary>
    public string Text { get; init; } = "";

    /// <summary>p= or none when absent.</summary>
    public DmarcPolicy EffectiveP => P ?? DmarcPolicy.None;

    /// <summary>sp=, else p.</summary>
    public DmarcPolicy EffectiveSp => Sp ?? EffectiveP;

    /// <summary>np=, else sp, else p (RFC 9989 §4.7).</summary>
    public DmarcPolicy EffectiveNp => Np ?? EffectiveSp;

    /// <summary>Whether a text is meant as a DMARC record at all: it starts with "v=DMARC1" (RFC 7489 §6.6.3).</summary>
    public static bool LooksLikeDmarc(string text)
    {
        var t = text.TrimStart();
        if (!t.StartsWith('v') && !t.StartsWith('V')) return false;
        t = t[1..].TrimStart();
        if (!t.StartsWith('=')) return false;
        t = t[1..].TrimStart();
        return t.StartsWith("DMARC1", StringComparison.Ordinal) && (t.Length == 6 || t[6] is ';' or ' ' or '\t');
    }

    /// <summary>Parses a record; returns null and a reason naming the tag and the rule when it is invalid.</summary>
    public static DmarcRecord? Parse(string text, out string? error) => DmarcRecordParser.Parse(text, out error);

    public override string ToString() => Text;
}
