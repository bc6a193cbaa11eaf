namespace MailLab.Server.Smtp;

/// <summary>The SMTP envelope of one transaction (RFC 5321 §2.3.1): what MAIL and RCPT said.</summary>
internal sealed class Envelope
{
    /// <summary>The reverse-path; empty for the null sender &lt;&gt; used by bounces.</summary>
    public string MailFrom { get; set; } = "";

    /// <summary>Whether the client asked for SMTPUTF8 (RFC 6531 §3.4).</summary>
    public bool Utf8 { get; set; }

    /// <summary>Whether the client asked for REQUIRETLS (RFC 8689 §4.1): every hop must be TLS with a verified certificate.</summary>
    public bool RequireTls { get; set; }

    /// <summary>Whether the client declared BODY=8BITMIME (RFC 6152).</summary>
    public bool EightBit { get; set; }

    /// <summary>
    /// What the profile's checks returned for this transaction: SPF at MAIL time (MTA), then DKIM and DMARC
    /// at the end of DATA; later stages read them.
    /// </summary>
    public Checks.CheckResults Results { get; init; } = new();

    /// <summary>Accepted forward-paths, in order, each with where it goes.</summary>
    public List<string> Recipients { get; } = [];
}
