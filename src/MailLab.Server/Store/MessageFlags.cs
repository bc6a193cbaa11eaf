namespace MailLab.Server.Store;

/// <summary>The IMAP system flags the store keeps (RFC 9051 §2.3.2); custom keywords are not kept yet.</summary>
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

/// <summary>Maps <see cref="MessageFlags"/> to and from the Maildir info suffix (<c>:2,DFRST</c>).</summary>
public static class MaildirInfo
{
    // Maildir letters must appear in ASCII order: D F P R S T. "Passed" (P) has no IMAP flag and is dropped.
    private static readonly (char Letter, MessageFlags Flag)[] Letters =
    [
        ('D', MessageFlags.Draft),
        ('F', MessageFlags.Flagged),
        ('R', MessageFlags.Answered),
        ('S', MessageFlags.Seen),
        ('T', MessageFlags.Deleted),
    ];

    /// <summary>The letters after <c>:2,</c> for these flags, in ASCII order.</summary>
    public static string ToLetters(MessageFlags flags)
    {
        var chars = new List<char>(Letters.Length);
        foreach (var (letter, flag) in Letters)
        {
            if ((flags & flag) != 0)
            {
                chars.Add(letter);
            }
        }
        return new string(chars.ToArray());
    }

    /// <summary>Flags named by the letters after <c>:2,</c>; unknown letters (keywords, P) are ignored.</summary>
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
}
