namespace MailLab.Server.Store;

/// <summary>
/// The IMAP system flags the store keeps (RFC 3501 §2.3.2). User keywords are kept beside them as a bit
/// mask over the folder's keyword list (<see cref="FolderKeywords"/>); \Recent is session state, not stored.
/// </summary>
[Flags]
public enum MessageFlags
{
    None = 0,
    Seen = 1,
    Answered = 2,
    Flagged = 4,
    Deleted = 8,
    Draft = 16,
}

/// <summary>
/// Maps flags to and from the Maildir info suffix (<c>:2,DFRST</c> then keyword letters <c>a</c>–<c>z</c>,
/// the convention Dovecot uses, so other Maildir tools keep them).
/// </summary>
internal static class MaildirInfo
{
    /// <summary>Keywords a folder can hold: one lower-case letter each.</summary>
    public const int MaxKeywords = 26;

    // Maildir letters must appear in ASCII order: D F P R S T. "Passed" (P) has no IMAP flag and is dropped.
    private static readonly (char Letter, MessageFlags Flag)[] Letters =
    [
        ('D', MessageFlags.Draft),
        ('F', MessageFlags.Flagged),
        ('R', MessageFlags.Answered),
        ('S', MessageFlags.Seen),
        ('T', MessageFlags.Deleted),
    ];

    /// <summary>The letters after <c>:2,</c>: system flags, then keyword letters (bit i = letter 'a' + i), in ASCII order.</summary>
    public static string ToLetters(MessageFlags flags, uint keywords = 0)
    {
        Span<char> chars = stackalloc char[Letters.Length + MaxKeywords];
        var n = 0;
        foreach (var (letter, flag) in Letters)
        {
            if ((flags & flag) != 0)
            {
                chars[n++] = letter;
            }
        }
        for (var i = 0; i < MaxKeywords; i++)
        {
            if ((keywords & (1u << i)) != 0)
            {
                chars[n++] = (char)('a' + i);
            }
        }
        return new string(chars[..n]);
    }

    /// <summary>System flags named by the letters after <c>:2,</c>; keyword letters and P are ignored.</summary>
    public static MessageFlags FromLetters(ReadOnlySpan<char> letters)
    {
        var flags = MessageFlags.None;
        foreach (var c in letters)
        {
            foreach (var (letter, flag) in Letters)
            {
                if (c == letter)
                {
                    flags |= flag;
                }
            }
        }
        return flags;
    }

    /// <summary>The keyword mask named by the lower-case letters after <c>:2,</c>.</summary>
    public static uint KeywordsFromLetters(ReadOnlySpan<char> letters)
    {
        uint mask = 0;
        foreach (var c in letters)
        {
            if (c is >= 'a' and <= 'z')
            {
                mask |= 1u << (c - 'a');
            }
        }
        return mask;
    }
}
