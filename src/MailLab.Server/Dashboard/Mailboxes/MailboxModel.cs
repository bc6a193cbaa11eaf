namespace MailLab.Server.Dashboard.Mailboxes;

/// <summary>A lab mailbox in <c>/api/mailboxes</c>: its owner, site, and totals over its folders.</summary>
/// <param name="Address">The lab's spelling of the address.</param>
/// <param name="Site">The site whose MDA delivers into it.</param>
/// <param name="Messages">Messages in all its folders.</param>
/// <param name="Unseen">Of those, messages without \Seen.</param>
/// <param name="Octets">Their total size.</param>
public sealed record MailboxSummary(string Address, string Site, int Messages, int Unseen, long Octets);

/// <summary>The answer of <c>/api/mailboxes</c>.</summary>
public sealed record MailboxList(IReadOnlyList<MailboxSummary> Mailboxes);

/// <summary>A folder of a mailbox (IMAP name, <c>/</c> between levels).</summary>
/// <param name="Name">The IMAP folder name.</param>
/// <param name="Messages">Messages in it.</param>
/// <param name="Unseen">Messages without \Seen.</param>
/// <param name="Octets">Their total size.</param>
/// <param name="UidValidity">UIDVALIDITY (RFC 9051 §2.3.1.1).</param>
/// <param name="UidNext">The UID the next message gets at least.</param>
public sealed record FolderSummary(string Name, int Messages, int Unseen, long Octets, uint UidValidity, uint UidNext);

/// <summary>The answer of <c>/api/mailboxes/{address}</c>: the folders on disk (none before the first delivery).</summary>
public sealed record MailboxView(string Address, string Site, IReadOnlyList<FolderSummary> Folders);

/// <summary>A message in a folder listing.</summary>
/// <param name="Uid">The IMAP UID.</param>
/// <param name="Date">The <c>Date</c> header, null when it is missing or does not parse.</param>
/// <param name="InternalDate">When the store received it (IMAP INTERNALDATE).</param>
/// <param name="From">The <c>From</c> header (decoded).</param>
/// <param name="Subject">The <c>Subject</c> header (decoded).</param>
/// <param name="Size">Octets as stored (RFC822.SIZE).</param>
/// <param name="Flags">System flags (<c>\Seen</c> ...) then keywords.</param>
/// <param name="QueueId">The lab queue id of the delivery, when the in-memory trace still has it: its journey is <c>/journey/{id}</c>.</param>
public sealed record MessageSummary(uint Uid, DateTimeOffset? Date, DateTimeOffset InternalDate, string? From, string? Subject,
    long Size, IReadOnlyList<string> Flags, string? QueueId);

/// <summary>
/// The answer of <c>/api/mailboxes/{address}/messages</c>: newest first; <c>Next</c> is the <c>before</c> of the next
/// page (null on the last page).
/// </summary>
public sealed record MessagePage(string Address, string Folder, uint UidValidity, int Total, IReadOnlyList<MessageSummary> Messages, uint? Next);

/// <summary>
/// A header field in order of appearance; <c>Trace</c> marks the trace and authentication headers a receiving
/// server adds, with the RFC section (<c>Rfc</c>) that defines the field.
/// </summary>
public sealed record HeaderView(string Name, string Value, bool Trace, string? Rfc);

/// <summary>
/// One MIME entity: <c>Size</c> is the octets it takes in the source (its headers and body), <c>BodySize</c> the octets
/// of its body as encoded on the wire; <c>Parts</c> the children of a multipart, or the body of an attached message/rfc822.
/// </summary>
public sealed record MimeNode(string ContentType, string? Charset, string? FileName, string? Disposition, string? TransferEncoding,
    long Size, long BodySize, string? Subject, IReadOnlyList<MimeNode> Parts);

/// <summary>
/// The answer of <c>/api/mailboxes/{address}/messages/{folder}/{uid}</c>. <c>Raw</c> is the source (as UTF-8, invalid octets
/// replaced) up to <see cref="MailboxReader.MaxRawOctets"/>; <c>RawTruncated</c> says whether it was cut. <c>MimeTruncated</c>
/// says the tree was cut at <see cref="MimeTree.MaxNodes"/> entities or <see cref="MimeTree.MaxDepth"/> levels.
/// </summary>
public sealed record MessageView(string Address, string Folder, uint Uid, uint UidValidity, long Size, DateTimeOffset InternalDate,
    IReadOnlyList<string> Flags, string? QueueId, IReadOnlyList<HeaderView> Headers, MimeNode? Mime, bool MimeTruncated,
    string Raw, bool RawTruncated);
