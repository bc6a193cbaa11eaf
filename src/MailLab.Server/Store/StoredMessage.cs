using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// One message as it sits in a folder. Everything here is recovered from the file name and the file's
/// mtime after a restart, so no database is needed. Kept small: a 100,000-message folder holds one per message.
/// </summary>
/// <param name="Address">The normalised owner address (domain lower-cased).</param>
/// <param name="Folder">The normalised folder name (IMAP form, <c>/</c> as hierarchy delimiter).</param>
/// <param name="UidValidity">The folder's UIDVALIDITY when this message was listed.</param>
/// <param name="Uid">The IMAP UID (RFC 9051 §2.3.1.1): strictly ascending, never reused in the folder.</param>
/// <param name="Size">Size in octets of the stored bytes (IMAP RFC822.SIZE, POP3 LIST).</param>
/// <param name="Flags">The system flags from the Maildir info suffix.</param>
/// <param name="InternalDate">IMAP INTERNALDATE, kept as the file's mtime.</param>
/// <param name="FileName">The Maildir file name (see <see cref="FileName"/>).</param>
/// <param name="Directory">The folder's <c>new/</c> or <c>cur/</c> directory (one string shared by the folder's messages).</param>
public sealed record StoredMessage(
    string Address,
    string Folder,
    uint UidValidity,
    uint Uid,
    long Size,
    MessageFlags Flags,
    DateTimeOffset InternalDate,
    string FileName,
    string Directory)
{
    // A message loaded from the on-disk listing keeps its name as the listing's bytes until someone asks for it.
    private string? fileName = FileName;
    private ListedName listedName;

    /// <summary>A message as the on-disk listing gave it: its file name is made into a string on first use.</summary>
    internal StoredMessage(string address, string folder, uint uidValidity, uint uid, long size, MessageFlags flags,
        DateTimeOffset internalDate, ListedName name, string directory)
        : this(address, folder, uidValidity, uid, size, flags, internalDate, (string)null!, directory) => listedName = name;

    /// <summary>The Maildir file name, e.g. <c>1735689600.M1P2Q3.host,U=7,S=10240:2,Sa</c>.</summary>
    public string FileName
    {
        // Two threads may both make it: equal strings, either one kept.
        get => fileName ??= listedName.ToString();
        init
        {
            fileName = value;
            listedName = default;
        }
    }

    /// <summary>User keywords: bit i is keyword i of the folder's <see cref="FolderKeywords"/> (Maildir letter 'a' + i).</summary>
    public uint Keywords { get; init; }

    /// <summary>The name as the listing's bytes while no string has been made of it; default after that.</summary>
    internal ListedName Listed => fileName is null ? listedName : default;

    /// <summary>True when the file name starts with <paramref name="prefix"/>; an ASCII name still in bytes stays so.</summary>
    internal bool NameStartsWith(ReadOnlySpan<char> prefix) =>
        fileName is null && listedName.Length >= prefix.Length && Ascii.Equals(listedName.Utf8[..prefix.Length], prefix)
        || FileName.AsSpan().StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>True when the file name is <paramref name="name"/>; an ASCII name still in bytes stays so.</summary>
    internal bool NameEquals(ReadOnlySpan<char> name) =>
        fileName is null && Ascii.Equals(listedName.Utf8, name) || FileName.AsSpan().SequenceEqual(name);

    /// <summary>The full path of the file when this value was made (it changes when flags change).</summary>
    public string Path => System.IO.Path.Combine(Directory, FileName);

    /// <summary>
    /// A stable id for POP3 UIDL (RFC 1939 §7: 1 to 70 characters from 0x21 to 0x7E): <c>uidvalidity-uid</c>.
    /// </summary>
    public string UniqueId => $"{UidValidity}-{Uid}";

    /// <summary>True while the message is in <c>new/</c>: no client has touched its flags yet.</summary>
    public bool IsNew => System.IO.Path.GetFileName(Directory) == "new";

    /// <summary>Equal when every property is: a name not yet made into a string compares by its value too.</summary>
    public bool Equals(StoredMessage? other) =>
        ReferenceEquals(this, other)
        || other is not null && Uid == other.Uid && UidValidity == other.UidValidity && Size == other.Size && Flags == other.Flags
        && Keywords == other.Keywords && InternalDate.Equals(other.InternalDate) && Address == other.Address
        && Folder == other.Folder && Directory == other.Directory && FileName == other.FileName;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Address, Folder, UidValidity, Uid, FileName, Directory);
}
