namespace MailLab.Protocols.Pop3;

/// <summary>Every POP3 size limit in one place, with the RFC that sets it. Line limits count the CRLF.</summary>
public static class Pop3Limits
{
    /// <summary>RFC 2449 §4: a command line is at most 255 octets including the CRLF.</summary>
    public const int MaxCommandLine = 255;

    /// <summary>
    /// A client response inside AUTH (RFC 5034 §4). The 255-octet rule covers the AUTH command line
    /// with its initial response; continuation lines get the SASL room SMTP gives (RFC 4954 §4).
    /// </summary>
    public const int MaxAuthLine = 12288;

    /// <summary>RFC 1939 §7: a unique-id is 1 to 70 characters in the range 0x21 to 0x7E.</summary>
    public const int MaxUniqueId = 70;
}
