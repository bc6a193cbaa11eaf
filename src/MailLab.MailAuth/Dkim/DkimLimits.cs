namespace MailLab.MailAuth.Dkim;

/// <summary>The verifier's limits and algorithm rules, stated once with the RFC behind each.</summary>
public static class DkimLimits
{
    /// <summary>
    /// DKIM-Signature fields verified per message; the rest are reported as not verified.
    /// RFC 6376 §6.1 lets a verifier limit the number it tries ("a verifier MAY limit the number of signatures").
    /// </summary>
    public const int MaxSignatures = 5;

    /// <summary>Smallest RSA key accepted (RFC 8301 §3.2: keys under 1024 bits MUST NOT be considered valid).</summary>
    public const int MinRsaBits = 1024;

    /// <summary>Largest RSA key tried (RFC 8301 §3.2: verifiers MUST handle up to 4096; more is refused to bound CPU use).</summary>
    public const int MaxRsaBits = 8192;

    /// <summary>Signatures with an x= this far in the past still count as valid (clock skew between hosts).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
}
