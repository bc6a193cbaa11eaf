using System.Globalization;

namespace MailLab.Server.Store;

/// <summary>
/// The per-folder file <c>maillab-uids</c>: UIDVALIDITY, the UID high-water mark and the \Recent mark, in
/// plain text so a student can <c>cat</c> it. Every UID below <see cref="Reserved"/> may already be in use
/// and is never handed out again (RFC 9051 §2.3.1.1: UIDs are never reused within one UIDVALIDITY).
/// Messages with a UID at or above <see cref="Recent"/> have not been announced to any IMAP session yet,
/// so the next session to see them gets them with \Recent (RFC 3501 §2.3.2).
/// </summary>
internal readonly record struct UidState(uint UidValidity, uint Reserved, uint Recent)
{
    /// <summary>File name inside the folder directory (beside tmp/, new/, cur/; Maildir readers ignore it).</summary>
    public const string FileName = "maillab-uids";

    private static readonly object ValidityLock = new();
    private static uint lastValidity;

    /// <summary>Reads the state file; null when it is missing or unreadable (the caller then starts a new UIDVALIDITY).</summary>
    public static UidState? Read(string folderPath)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(folderPath, FileName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        uint? validity = null, reserved = null, recent = null;
        foreach (var line in lines)
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                if (parts[0] == "uidvalidity" && v > 0)
                {
                    validity = v;
                }
                else if (parts[0] == "reserved")
                {
                    reserved = v;
                }
                else if (parts[0] == "recent")
                {
                    recent = v;
                }
            }
        }
        // A file from before the \Recent mark: treat everything as seen rather than announce old mail as new.
        return validity is { } uv && reserved is { } r ? new UidState(uv, r, recent ?? r) : null;
    }

    /// <summary>Writes the state file atomically and durably (it must be on disk before a UID below it is used).</summary>
    public void Write(string folderPath) =>
        DurableFile.WriteAllTextAtomic(Path.Combine(folderPath, FileName), string.Create(CultureInfo.InvariantCulture,
            $"# MailLab UID state. UIDs below 'reserved' may be in use and are never handed out again.\n" +
            $"# Messages from UID 'recent' on are \\Recent for the next IMAP session that sees them.\n" +
            $"uidvalidity {UidValidity}\nreserved {Reserved}\nrecent {Recent}\n"));

    /// <summary>
    /// A fresh UIDVALIDITY: the Unix time in seconds, and larger than any this process gave before, so a
    /// folder recreated under the same name gets a different value (RFC 9051 §2.3.1.1).
    /// </summary>
    public static uint NewUidValidity()
    {
        lock (ValidityLock)
        {
            var now = (uint)Math.Clamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1, uint.MaxValue);
            lastValidity = Math.Max(now, lastValidity + 1);
            return lastValidity;
        }
    }
}
