namespace MailLab.Server.Smtp;

/// <summary>The SMTP envelope of one transaction (RFC 5321 §2.3.1): what MAIL and RCPT said.</summary>
public sealed class Envelope
{
    /// <summary>The reverse-path; empty for the null sender &lt;&gt; used by bounces.</summary>
    public string MailFrom { get; set; } = "";

    /// <summary>Whether the client asked for SMTPUTF8 (RFC 6531 §3.4).</summary>
    public bool Utf8 { get; set; }

    /// <summary>Whether the client declared BODY=8BITMIME (RFC 6152).</summary>
    public bool EightBit { get; set; }

    /// <summary>SPF for HELO and MAIL FROM, evaluated at MAIL time by the MTA (null at the MSA); DMARC reads it later.</summary>
    public Checks.SpfCheckResult? Spf { get; set; }

    /// <summary>
    /// DKIM: every signature verified by the MTA at the end of DATA (null at the MSA and before DATA ends).
    /// DMARC and the Authentication-Results builder read it.
    /// </summary>
    public Checks.DkimCheckResult? Dkim { get; set; }

    /// <summary>Accepted forward-paths, in order, each with where it goes.</summary>
    public List<string> Recipients { get; } = [];
}
