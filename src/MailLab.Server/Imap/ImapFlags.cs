using MailLab.Protocols.Imap;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// Message flags as IMAP shows and takes them (RFC 3501 §2.3.2): the flag-list texts of FETCH, FLAGS and
/// PERMANENTFLAGS, and the flags a STORE or APPEND names.
/// </summary>
internal static class ImapFlags
{
    /// <summary>The system flags a client may set, in the order FLAGS lists them.</summary>
    public const string SystemFlags = @"\Answered \Flagged \Deleted \Seen \Draft";

    /// <summary>The NO text when a keyword cannot be kept (the store has a letter for each of 26, RFC 3501 §7.1).</summary>
    public static readonly string KeywordLimitText =
        $"[LIMIT] Keyword not kept: a mailbox holds at most {MaildirInfo.MaxKeywords} keywords, each an atom of up to {FolderKeywords.MaxLength} characters";

    // The 64 combinations of the five system flags and \Recent, made once: FLAGS is in every FETCH of a sync
    // and of Thunderbird's "UID fetch 1:* (FLAGS)".
    private static readonly string[] Texts = [.. Enumerable.Range(0, 64).Select(f => MakeText((MessageFlags)(f & 31), f >= 32))];

    // The same as "(flags)" in ASCII, for FETCH responses.
    private static readonly byte[][] ListBytes = [.. Texts.Select(t => System.Text.Encoding.ASCII.GetBytes("(" + t + ")"))];

    /// <summary>Which of the 64 ready-made texts describes the system flags and \Recent.</summary>
    public static int Index(MessageFlags flags, bool recent) => ((int)flags & 31) | (recent ? 32 : 0);

    /// <summary>The ready-made "flag flag" text (no parentheses) for <see cref="Index"/>.</summary>
    public static string TextAt(int index) => Texts[index];

    /// <summary>The ready-made "(flag flag)" octets for <see cref="Index"/>.</summary>
    public static byte[] ListBytesAt(int index) => ListBytes[index];

    /// <summary>The system flags (and \Recent) without keywords.</summary>
    public static string Text(MessageFlags flags, bool recent = false) => Texts[Index(flags, recent)];

    /// <summary>The message's flags as a session with <paramref name="view"/> selected shows them: \Recent, system flags, then keywords.</summary>
    public static string Text(StoredMessage m, MailboxView? view)
    {
        var text = Text(m.Flags, view is not null && view.IsRecent(m.Uid));
        if (m.Keywords == 0 || view is null)
        {
            return text;
        }
        var keywords = string.Join(' ', FolderKeywords.NamesOf(view.Keywords, m.Keywords));
        return text.Length == 0 ? keywords : text + " " + keywords;
    }

    private static string MakeText(MessageFlags flags, bool recent)
    {
        var parts = new List<string>(6);
        if (recent) parts.Add(@"\Recent");
        if ((flags & MessageFlags.Answered) != 0) parts.Add(@"\Answered");
        if ((flags & MessageFlags.Flagged) != 0) parts.Add(@"\Flagged");
        if ((flags & MessageFlags.Deleted) != 0) parts.Add(@"\Deleted");
        if ((flags & MessageFlags.Seen) != 0) parts.Add(@"\Seen");
        if ((flags & MessageFlags.Draft) != 0) parts.Add(@"\Draft");
        return string.Join(' ', parts);
    }

    /// <summary>
    /// The system flags and keywords named in a STORE or APPEND list; false on \Recent (set only by the
    /// server, RFC 3501 §2.3.2), an unknown system flag, or something that is not a flag.
    /// </summary>
    public static bool TryParse(IEnumerable<ImapValue> values, out MessageFlags flags, out List<string> keywords)
    {
        flags = MessageFlags.None;
        keywords = [];
        foreach (var v in values)
        {
            if (v.Kind != ImapValueKind.Atom)
            {
                return false;
            }
            switch (v.Text.ToUpperInvariant())
            {
                case @"\SEEN": flags |= MessageFlags.Seen; break;
                case @"\ANSWERED": flags |= MessageFlags.Answered; break;
                case @"\FLAGGED": flags |= MessageFlags.Flagged; break;
                case @"\DELETED": flags |= MessageFlags.Deleted; break;
                case @"\DRAFT": flags |= MessageFlags.Draft; break;
                default:
                    if (v.Text.StartsWith('\\'))
                    {
                        return false;
                    }
                    if (!keywords.Contains(v.Text, StringComparer.OrdinalIgnoreCase))
                    {
                        keywords.Add(v.Text);
                    }
                    break;
            }
        }
        return true;
    }
}
