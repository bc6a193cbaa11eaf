using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

// Announcing what others changed in the selected mailbox (RFC 3501 §5.2, §7.3.1, §7.4.1) and IDLE (RFC 2177).
public sealed partial class ImapSession
{
    /// <summary>
    /// Tells the client what changed since it last heard: EXPUNGE for messages gone (only when
    /// <paramref name="allowExpunge"/>: never during FETCH, STORE or SEARCH, RFC 3501 §7.4.1, which keeps
    /// sequence numbers stable while the client uses them), FLAGS for new keywords (§7.2.6), EXISTS and
    /// RECENT for new messages (§7.3.1, §7.3.2), FETCH FLAGS for re-flagged ones.
    /// Costs nothing unless the store said the folder changed.
    /// </summary>
    private async Task SyncAsync(bool allowExpunge)
    {
        var view = selected;
        if (view is null || !view.TakeChanged())
        {
            return;
        }
        // A read-write session is the one that announces new messages as \Recent (RFC 3501 §2.3.2).
        FolderSnapshot snapshot;
        try
        {
            snapshot = await store.SnapshotAsync(Me, view.Folder, claimRecent: !view.ReadOnly, CancellationToken.None);
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
            Untagged($"{gone[k] + 1} EXPUNGE");
        }
        if (next.Count != old.Count - gone.Count)
        {
            Untagged($"{next.Count} EXISTS");
            Untagged($"{view.RecentCount()} RECENT");
        }
        foreach (var i in flagged)
        {
            Untagged($"{i + 1} FETCH (UID {next[i].Uid} FLAGS ({FlagText(next[i])}))");
        }
    }

    /// <summary>
    /// True (with BYE sent) when the selected folder was deleted by another session since this one last
    /// looked, or deleted and created again (a new UIDVALIDITY). Asked before every command in the selected
    /// state, so that nothing this session does can bring the folder back; costs nothing unless it changed.
    /// </summary>
    private async Task<bool> SelectedGoneAsync()
    {
        var view = selected;
        if (view is null || !view.IsDirty)
        {
            return false;
        }
        if (await store.UidValidityAsync(Me, view.Folder, CancellationToken.None) == view.UidValidity)
        {
            return false;
        }
        MailboxGone();
        return true;
    }

    // RFC 3501 §6.3.4 leaves open what other sessions see; RFC 2180 §3 lets the server end them with BYE,
    // as Dovecot does. The session cannot stay in a selected state whose mailbox no longer exists.
    private void MailboxGone()
    {
        Deselect();
        Bye("Selected mailbox was deleted by another session", "selected mailbox deleted");
    }

    /// <summary>FLAGS and PERMANENTFLAGS for the view's keywords (at SELECT, and again when keywords are added, RFC 3501 §7.2.6).</summary>
    private void AnnounceFlags(MailboxView view)
    {
        var keywords = string.Concat(view.Keywords.Select(k => " " + k));
        Untagged($"FLAGS ({SystemFlags}{keywords})");
        // RFC 3501 §7.1: \* says new keywords may be created; the store has a letter for each of 26.
        Untagged(view.ReadOnly ? "OK [PERMANENTFLAGS ()] Read-only mailbox"
            : $"OK [PERMANENTFLAGS ({SystemFlags}{keywords}{(view.CanAddKeywords ? @" \*" : "")})] Flags permitted");
    }

    private async Task IdleAsync(ImapCommand c)
    {
        if (c.Arguments.Count > 0)
        {
            Bad(c.Tag, "IDLE takes no arguments");
            return;
        }
        // RFC 2177 §3: the continuation first, then what changed. Updates sent before "+ idling" (a message
        // delivered between the client's last command and IDLE) made Thunderbird miss the new message.
        Continuation("idling");
        await SendAsync();
        await SyncAsync(allowExpunge: true);
        untaggedThisCommand = 0;
        await FlushAsync();
        if (closing)
        {
            return; // the selected mailbox was deleted meanwhile: BYE was sent
        }
        var token = commandWait!.Token;
        idle.CancelAfter(limits.ImapIdleTimeout);
        var read = reader.ReadAsync(token).AsTask();
        // Cancelled on the way out, so no waiter is left behind to swallow the next change signal.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            await IdleLoopAsync(c, read, waiting.Token);
        }
        finally
        {
            await waiting.CancelAsync();
        }
    }

    private async Task IdleLoopAsync(ImapCommand c, Task<System.IO.Pipelines.ReadResult> read, CancellationToken token)
    {
        while (true)
        {
            var view = selected;
            var changed = view?.WaitChangedAsync(token) ?? Task.Delay(Timeout.Infinite, token);
            var first = await Task.WhenAny(read, changed);
            if (first == changed)
            {
                await changed; // rethrows cancellation
                await SyncAsync(allowExpunge: true); // RFC 2177 §3: changes are sent at once while idling
                untaggedThisCommand = 0;
                await FlushAsync();
                if (closing)
                {
                    return;
                }
                idle.CancelAfter(limits.ImapIdleTimeout);
                continue;
            }
            var result = await read;
            var buffer = result.Buffer;
            var status = framer.Read(ref buffer);
            reader.AdvanceTo(buffer.Start); // the framer keeps partial input; what follows a command stays unread
            if (status == ImapFrameStatus.Complete)
            {
                var line = Encoding.ASCII.GetString(framer.Frame.Span).TrimEnd('\r', '\n');
                trace.Emit(Trace.TraceKind.CommandReceived, "C: " + line, ("Line", line), ("Command", "IDLE-DONE"), ("Tag", c.Tag));
                if (line.Equals("DONE", StringComparison.OrdinalIgnoreCase))
                {
                    Ok(c.Tag, "IDLE terminated");
                }
                else
                {
                    Bad(c.Tag, "Expected DONE");
                }
                // At once, not with the answer to a command pipelined behind DONE: the client may wait for it.
                await SendAsync();
                return;
            }
            if (status != ImapFrameStatus.NeedMoreData)
            {
                Bad(c.Tag, "Expected DONE");
                return;
            }
            if (result.IsCompleted)
            {
                closing = true;
                return;
            }
            read = reader.ReadAsync(commandWait!.Token).AsTask();
        }
    }

    // The 64 combinations of the five system flags and \Recent, made once: FLAGS is in every FETCH of a sync
    // and of Thunderbird's "UID fetch 1:* (FLAGS)".
    private static readonly string[] FlagTexts = [.. Enumerable.Range(0, 64).Select(f => MakeFlagText((MessageFlags)(f & 31), f >= 32))];

    // The same as "(flags)" in ASCII, for FETCH responses.
    private static readonly byte[][] FlagListBytes = [.. FlagTexts.Select(t => System.Text.Encoding.ASCII.GetBytes("(" + t + ")"))];

    private static string FlagText(MessageFlags flags, bool recent = false) => FlagTexts[((int)flags & 31) | (recent ? 32 : 0)];

    /// <summary>The message's flags as this session shows them: \Recent, system flags, then keywords.</summary>
    private string FlagText(StoredMessage m)
    {
        var view = selected;
        var text = FlagText(m.Flags, view is not null && view.IsRecent(m.Uid));
        if (m.Keywords == 0 || view is null)
        {
            return text;
        }
        var keywords = string.Join(' ', FolderKeywords.NamesOf(view.Keywords, m.Keywords));
        return text.Length == 0 ? keywords : text + " " + keywords;
    }

    private static string MakeFlagText(MessageFlags flags, bool recent)
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
    private static bool TryFlags(IEnumerable<ImapValue> values, out MessageFlags flags, out List<string> keywords)
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
