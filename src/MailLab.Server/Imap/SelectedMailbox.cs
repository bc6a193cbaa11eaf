using MailLab.Protocols.Imap;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// The session's selected-mailbox state (RFC 3501 §3.3): the <see cref="MailboxView"/> of the selected
/// folder (its messages as the client last heard of them, read-only or not, keywords, \Recent) or none,
/// and the announcing of what others changed in it (RFC 3501 §5.2, §7.3.1, §7.4.1). Selecting,
/// deselecting and the sync are here; the commands that use the selection are in <c>Commands/</c>.
/// </summary>
internal sealed class SelectedMailbox(ImapSession session) : IDisposable
{
    /// <summary>The selected mailbox, or null when none is.</summary>
    public MailboxView? View { get; private set; }

    private MessageStore Store => session.Store;

    private string Me => session.Me;

    /// <summary>Makes <paramref name="view"/> the selected mailbox (the session enters the selected state).</summary>
    public void Select(MailboxView view)
    {
        View = view;
        session.State = ImapState.Selected;
    }

    /// <summary>Lets go of the selected mailbox; the selected state becomes the authenticated state.</summary>
    public void Deselect()
    {
        View?.Dispose();
        View = null;
        if (session.State == ImapState.Selected)
        {
            session.State = ImapState.Authenticated;
        }
    }

    /// <summary>
    /// Tells the client what changed since it last heard: EXPUNGE for messages gone (only when
    /// <paramref name="allowExpunge"/>: never during FETCH, STORE or SEARCH, RFC 3501 §7.4.1, which keeps
    /// sequence numbers stable while the client uses them), FLAGS for new keywords (§7.2.6), EXISTS and
    /// RECENT for new messages (§7.3.1, §7.3.2), FETCH FLAGS for re-flagged ones.
    /// Costs nothing unless the store said the folder changed.
    /// </summary>
    public async Task SyncAsync(bool allowExpunge)
    {
        var view = View;
        if (view is null || !view.TakeChanged())
        {
            return;
        }
        // A read-write session is the one that announces new messages as \Recent (RFC 3501 §2.3.2).
        FolderSnapshot snapshot;
        try
        {
            snapshot = await Store.SnapshotAsync(Me, view.Folder, claimRecent: !view.ReadOnly, CancellationToken.None);
        }
        catch (MailboxNotFoundException)
        {
            MailboxGone();
            return;
        }
        if (snapshot.UidValidity != view.UidValidity)
        {
            MailboxGone(); // deleted and created again: another mailbox under the same name
            return;
        }
        var current = snapshot.Messages;
        var old = view.Messages;
        var next = new List<StoredMessage>(current.Count);
        var gone = new List<int>();
        var flagged = new List<int>();
        var keptGhosts = false;
        var ci = 0;
        for (var vi = 0; vi < old.Count; vi++)
        {
            var m = old[vi];
            while (ci < current.Count && current[ci].Uid < m.Uid)
            {
                ci++; // cannot happen (UIDs only grow), but never loop on it
            }
            if (ci < current.Count && current[ci].Uid == m.Uid)
            {
                var now = current[ci++];
                if (now.Flags != m.Flags || now.Keywords != m.Keywords)
                {
                    flagged.Add(next.Count);
                }
                next.Add(now);
            }
            else if (allowExpunge)
            {
                gone.Add(vi);
            }
            else
            {
                next.Add(m); // still numbered until an EXPUNGE may be sent
                keptGhosts = true;
            }
        }
        var lastUid = old.Count > 0 ? old[^1].Uid : 0;
        for (; ci < current.Count; ci++)
        {
            if (current[ci].Uid > lastUid)
            {
                next.Add(current[ci]);
            }
        }
        // Without ghosts the result is exactly the store's listing: share it instead of keeping a copy.
        view.SetMessages(keptGhosts ? next : current);
        view.ClaimRecent(snapshot.RecentFrom, snapshot.UidNext);
        if (keptGhosts)
        {
            view.MarkChanged();
        }
        if (snapshot.Keywords.Count != view.Keywords.Count)
        {
            view.Keywords = snapshot.Keywords;
            AnnounceFlags(view);
        }
        // Highest first, so each number is still right when the client applies it.
        for (var k = gone.Count - 1; k >= 0; k--)
        {
            session.Untagged($"{gone[k] + 1} EXPUNGE");
        }
        if (next.Count != old.Count - gone.Count)
        {
            session.Untagged($"{next.Count} EXISTS");
            session.Untagged($"{view.RecentCount()} RECENT");
        }
        foreach (var i in flagged)
        {
            session.Fetches.FlagsResponse(i + 1, next[i], uid: true, View);
        }
    }

    /// <summary>
    /// True (with BYE sent) when the selected folder was deleted by another session since this one last
    /// looked, or deleted and created again (a new UIDVALIDITY). Asked before every command in the selected
    /// state, so that nothing this session does can bring the folder back; costs nothing unless it changed.
    /// </summary>
    public async Task<bool> GoneAsync()
    {
        var view = View;
        if (view is null || !view.IsDirty)
        {
            return false;
        }
        if (await Store.UidValidityAsync(Me, view.Folder, CancellationToken.None) == view.UidValidity)
        {
            return false;
        }
        MailboxGone();
        return true;
    }

    // RFC 3501 §6.3.4 leaves open what other sessions see; RFC 2180 §3 lets the server end them with BYE,
    // as Dovecot does. The session cannot stay in a selected state whose mailbox no longer exists.
    public void MailboxGone()
    {
        Deselect();
        session.Bye("Selected mailbox was deleted by another session", "selected mailbox deleted");
    }

    /// <summary>FLAGS and PERMANENTFLAGS for the view's keywords (at SELECT, and again when keywords are added, RFC 3501 §7.2.6).</summary>
    public void AnnounceFlags(MailboxView view)
    {
        var keywords = string.Concat(view.Keywords.Select(k => " " + k));
        session.Untagged($"FLAGS ({ImapFlags.SystemFlags}{keywords})");
        // RFC 3501 §7.1: \* says new keywords may be created; the store has a letter for each of 26.
        session.Untagged(view.ReadOnly ? "OK [PERMANENTFLAGS ()] Read-only mailbox"
            : $"OK [PERMANENTFLAGS ({ImapFlags.SystemFlags}{keywords}{(view.CanAddKeywords ? @" \*" : "")})] Flags permitted");
    }

    /// <inheritdoc />
    public void Dispose() => View?.Dispose();
}
