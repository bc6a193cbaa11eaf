using MailLab.Protocols.Text;

namespace MailLab.Protocols.Smtp;

/// <summary>
/// Every SMTP size limit in one place, with the RFC that sets it. Line limits count the CRLF.
/// </summary>
public sealed record SmtpLimits
{
    /// <summary>RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.</summary>
    public const int DefaultMaxCommandLine = 512;

    /// <summary>RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF.</summary>
    public const int DefaultMaxTextLine = 1000;

    /// <summary>RFC 4954 §4: SASL responses are not bound by the 512 limit; servers should take 12288.</summary>
    public const int DefaultMaxAuthLine = 12288;

    /// <summary>The limits this lab uses unless configured otherwise.</summary>
    public static SmtpLimits Default { get; } = new();

    /// <summary>RFC 5321 §4.5.3.1.4: command line, including CRLF.</summary>
    public int MaxCommandLine { get; init; } = DefaultMaxCommandLine;

    /// <summary>RFC 5321 §4.5.3.1.6: text line in DATA, including CRLF.</summary>
    public int MaxTextLine { get; init; } = DefaultMaxTextLine;

    /// <summary>RFC 4954 §4: a line of a SASL exchange (client response), including CRLF.</summary>
    public int MaxAuthLine { get; init; } = DefaultMaxAuthLine;

    /// <summary>RFC 5321 §4.5.3.1.1: local-part, in octets.</summary>
    public int MaxLocalPart { get; init; } = 64;

    /// <summary>RFC 5321 §4.5.3.1.2: domain, in octets.</summary>
    public int MaxDomain { get; init; } = 255;

    /// <summary>RFC 5321 §4.5.3.1.3: reverse- or forward-path including punctuation, in octets.</summary>
    public int MaxPath { get; init; } = 256;

    /// <summary>RFC 5321 §4.5.3.1.8: servers must take at least 100 recipients; we take exactly that by default.</summary>
    public int MaxRecipients { get; init; } = 100;

    /// <summary>Largest message accepted (RFC 1870 SIZE is advertised with it); 10 MiB by default.</summary>
    public long MaxMessageSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>A framer for command lines of at most <see cref="MaxCommandLine"/> octets.</summary>
    public CrlfLineFramer NewCommandFramer() => new(MaxCommandLine);
}
