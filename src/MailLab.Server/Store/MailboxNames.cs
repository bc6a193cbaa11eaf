using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// Validates and normalises the two names that become directories: the owner address and the folder.
/// Anything that could leave the user's own directory is refused, never "cleaned up".
/// </summary>
internal static class MailboxNames
{
    /// <summary>IMAP hierarchy delimiter (RFC 9051 §6.3.9); on disk it becomes <see cref="DiskDelimiter"/>.</summary>
    public const char Delimiter = '/';

    /// <summary>The on-disk separator of folder levels, as in Maildir++ (<c>Work.Projects</c>).</summary>
    public const char DiskDelimiter = '.';

    private const string Inbox = "INBOX";

    /// <summary>Normalises <c>local@domain</c>: domain lower-cased, local part kept (RFC 5321 §2.4: it is case-sensitive).</summary>
    public static bool TryNormalizeAddress(string? address, out string normalized, out string reason)
    {
        normalized = "";
        if (string.IsNullOrEmpty(address))
        {
            reason = "empty address";
            return false;
        }
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            reason = "expected local@domain";
            return false;
        }
        var local = address[..at];
        var domain = address[(at + 1)..].ToLowerInvariant();
        if (!IsDotAtomLocalPart(local, out reason) || !IsHostname(domain, out reason))
        {
            return false;
        }
        normalized = local + "@" + domain;
        return true;
    }

    /// <summary>Normalises an address or throws <see cref="InvalidMailboxNameException"/>.</summary>
    public static string NormalizeAddress(string address) =>
        TryNormalizeAddress(address, out var n, out var reason) ? n : throw new InvalidMailboxNameException("address", address ?? "", reason);

    /// <summary>
    /// Normalises a folder name: <c>INBOX</c> in any case becomes <c>INBOX</c> (RFC 9051 §5.1).
    /// Refused: empty levels, <c>.</c> and <c>..</c> levels, a leading or trailing <c>/</c>, control characters,
    /// <c>\</c>, and the LIST wildcards <c>*</c> and <c>%</c>.
    /// </summary>
    public static bool TryNormalizeFolder(string? folder, out string normalized, out string reason)
    {
        normalized = "";
        if (string.IsNullOrEmpty(folder))
        {
            reason = "empty folder name";
            return false;
        }
        foreach (var c in folder)
        {
            if (char.IsControl(c))
            {
                reason = "control character in folder name";
                return false;
            }
            if (c is '\\' or '*' or '%')
            {
                reason = $"character '{c}' not allowed in folder name";
                return false;
            }
        }
        foreach (var level in folder.Split(Delimiter))
        {
            if (level.Length == 0)
            {
                reason = "empty hierarchy level (leading, trailing or double '/')";
                return false;
            }
            if (level is "." or "..")
            {
                reason = "'.' and '..' are not folder names";
                return false;
            }
        }
        normalized = folder.Equals(Inbox, StringComparison.OrdinalIgnoreCase) ? Inbox : folder;
        if (Encoding.UTF8.GetByteCount(ToDiskName(normalized)) > 255)
        {
            reason = "folder name too long";
            return false;
        }
        reason = "";
        return true;
    }

    /// <summary>Normalises a folder name or throws <see cref="InvalidMailboxNameException"/>.</summary>
    public static string NormalizeFolder(string folder) =>
        TryNormalizeFolder(folder, out var n, out var reason) ? n : throw new InvalidMailboxNameException("folder", folder ?? "", reason);

    /// <summary>
    /// The directory name of a valid folder: <c>/</c> becomes <c>.</c>, and a literal <c>.</c> becomes <c>%2E</c>
    /// (<c>%</c> itself is refused in names, so the mapping can be reversed).
    /// </summary>
    public static string ToDiskName(string folder) =>
        folder.Replace(".", "%2E", StringComparison.Ordinal).Replace(Delimiter, DiskDelimiter);

    /// <summary>The folder name of a directory made by <see cref="ToDiskName"/>, or null if it is not one.</summary>
    public static string? FromDiskName(string diskName)
    {
        var folder = diskName.Replace(DiskDelimiter, Delimiter).Replace("%2E", ".", StringComparison.Ordinal);
        return TryNormalizeFolder(folder, out var n, out _) && ToDiskName(n) == diskName ? n : null;
    }

    // RFC 5321 §4.1.2 Dot-string of RFC 5322 atext, minus '/' (a path separator here); quoted local parts refused.
    private static bool IsDotAtomLocalPart(string local, out string reason)
    {
        if (Encoding.UTF8.GetByteCount(local) > 64) // RFC 5321 §4.5.3.1.1
        {
            reason = "local part longer than 64 octets";
            return false;
        }
        if (local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal))
        {
            reason = "local part has a leading, trailing or double dot";
            return false;
        }
        foreach (var c in local)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '.' || "!#$%&'*+-=?^_`{|}~".Contains(c)))
            {
                reason = $"character '{(char.IsControl(c) ? '?' : c)}' not allowed in local part";
                return false;
            }
        }
        reason = "";
        return true;
    }

    // RFC 1035 §2.3.1 / RFC 5321 §4.1.2 Domain: LDH labels of 1..63 octets, 253 in total; no literals.
    private static bool IsHostname(string domain, out string reason)
    {
        if (domain.Length > 253)
        {
            reason = "domain longer than 253 octets";
            return false;
        }
        foreach (var label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-')
                || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                reason = "domain is not a valid host name";
                return false;
            }
        }
        reason = "";
        return true;
    }
}
