namespace MailLab.Server.Store;

/// <summary>What IMAP SELECT/STATUS and POP3 STAT need to know about a folder.</summary>
/// <param name="UidValidity">UIDVALIDITY (RFC 9051 §2.3.1.1), created once with the folder and persisted.</param>
/// <param name="UidNext">The UID the next delivered message will get at least (gaps are allowed, reuse is not).</param>
/// <param name="Count">Messages in the folder.</param>
/// <param name="Unseen">Messages without \Seen.</param>
/// <param name="TotalSize">Sum of the message sizes in octets.</param>
/// <param name="Recent">Messages not yet announced to any IMAP session (\Recent, RFC 3501 §2.3.2).</param>
internal sealed record FolderInfo(uint UidValidity, uint UidNext, int Count, int Unseen, long TotalSize, int Recent);
