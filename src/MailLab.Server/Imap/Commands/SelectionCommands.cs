using System.IO.Pipelines;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap.Commands;

/// <summary>
/// Selecting a mailbox and what changes with it (RFC 3501 §6.3.1, §6.3.2, §6.4.2, §6.4.3; UNSELECT RFC 3691;
/// UID EXPUNGE RFC 4315 §2.1) and IDLE (RFC 2177): the state itself is <see cref="SelectedMailbox"/>.
/// </summary>
internal sealed class SelectionCommands(ImapSession session) : ImapCommandGroup(session)
{
    public async Task SelectAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 1)
        {
            Bad(c.Tag, $"Syntax: {c.Name} mailbox");
            return;
        }
        // RFC 3501 §6.3.1: a SELECT deselects first, even when it then fails.
        Selection.Deselect();
        var folder = Mailbox(c, c.Arguments[0]);
        if (folder is null)
        {
            return;
        }
        if (!Store.FolderExists(Me, folder))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        var readOnly = c.Name == "EXAMINE";
        // SELECT takes the \Recent messages for this session; EXAMINE shows them and leaves them for the
        // next SELECT (RFC 3501 §6.3.2: EXAMINE changes nothing, \Recent included).
        var info = await Store.SnapshotAsync(Me, folder, claimRecent: !readOnly, CancellationToken.None);
        var view = new MailboxView(Store, Me, folder, readOnly, info);
        Selection.Select(view);
        view.ClaimRecent(info.RecentFrom, info.UidNext);
        var messages = info.Messages;
        Selection.AnnounceFlags(view);
        Untagged($"{messages.Count} EXISTS");
        Untagged($"{view.RecentCount()} RECENT");
        if (info.FirstUnseen >= 0)
        {
            Untagged($"OK [UNSEEN {info.FirstUnseen + 1}] First unseen");
        }
        Untagged($"OK [UIDVALIDITY {info.UidValidity}] UIDs valid");
        Untagged($"OK [UIDNEXT {info.UidNext}] Predicted next UID");
        // Recent shows which session took the new mail (RFC 3501 §2.3.2): a second session selecting gets 0.
        Access(folder, readOnly ? "examine" : "select",
            $"{(readOnly ? "examined" : "selected")} {folder} ({messages.Count} messages, {view.RecentCount()} recent)",
            ("Messages", messages.Count), ("Recent", view.RecentCount()));
        Ok(c.Tag, $"[{(readOnly ? "READ-ONLY" : "READ-WRITE")}] {c.Name} completed");
    }

    public async Task CloseAsync(ImapCommand c)
    {
        var view = Selected!;
        if (c.Name == "CLOSE" && !view.ReadOnly)
        {
            // RFC 3501 §6.4.2: CLOSE expunges \Deleted messages silently (no EXPUNGE responses).
            var removed = 0;
            foreach (var m in view.Messages.Where(m => (m.Flags & MessageFlags.Deleted) != 0).ToList())
            {
                if (await Session.Writes.DeleteMessageAsync(m)) removed++;
            }
            if (removed > 0)
            {
                Access(view.Folder, "expunge", $"expunged {removed} messages from {view.Folder} at CLOSE", ("Count", removed));
            }
        }
        Selection.Deselect();
        Ok(c.Tag, $"{c.Name} completed");
    }

    public async Task ExpungeAsync(ImapCommand c)
    {
        var view = Selected!;
        if (view.ReadOnly)
        {
            No(c.Tag, "[READ-ONLY] Mailbox is read-only");
            return;
        }
        List<int> candidates;
        if (c.Uid)
        {
            // RFC 4315 §2.1: only the named UIDs, and only if \Deleted.
            if (c.Arguments.Count != 1)
            {
                Bad(c.Tag, "Syntax: UID EXPUNGE uid-set");
                return;
            }
            var t = Targets(c, c.Arguments[0]);
            if (t is null)
            {
                return;
            }
            candidates = t;
        }
        else
        {
            if (c.Arguments.Count != 0)
            {
                Bad(c.Tag, "EXPUNGE takes no arguments");
                return;
            }
            candidates = [.. Enumerable.Range(0, view.Messages.Count)];
        }
        var doomed = candidates.Where(i => (view.Messages[i].Flags & MessageFlags.Deleted) != 0).ToList();
        var removed = await Session.Writes.RemoveAsync(view, doomed, announce: true);
        Access(view.Folder, "expunge", $"expunged {removed} messages from {view.Folder}", ("Count", removed));
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, $"{(c.Uid ? "UID " : "")}EXPUNGE completed");
    }

    public async Task IdleAsync(ImapCommand c)
    {
        // An IDLE session may wait for hours: the parsed messages kept for a next FETCH (up to four whole
        // messages with their MimeKit trees) are let go first; the output buffer goes when "+ idling" is sent.
        Session.Fetches.ForgetParts();
        if (c.Arguments.Count > 0)
        {
            Bad(c.Tag, "IDLE takes no arguments");
            return;
        }
        // RFC 2177 §3: the continuation first, then what changed. Updates sent before "+ idling" (a message
        // delivered between the client's last command and IDLE) made Thunderbird miss the new message.
        Continuation("idling");
        await Session.SendAsync();
        await SyncAsync(allowExpunge: true);
        Session.UntaggedCount = 0;
        await Session.FlushAsync();
        if (Session.Closing)
        {
            return; // the selected mailbox was deleted meanwhile: BYE was sent
        }
        var token = Session.CommandToken;
        Session.ArmIdleTimer();
        var read = Session.Reader.ReadAsync(token).AsTask();
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

    private async Task IdleLoopAsync(ImapCommand c, Task<ReadResult> read, CancellationToken token)
    {
        while (true)
        {
            var view = Selected;
            var changed = view?.WaitChangedAsync(token) ?? Task.Delay(Timeout.Infinite, token);
            var first = await Task.WhenAny(read, changed);
            if (first == changed)
            {
                await changed; // rethrows cancellation
                await SyncAsync(allowExpunge: true); // RFC 2177 §3: changes are sent at once while idling
                Session.UntaggedCount = 0;
                await Session.FlushAsync();
                if (Session.Closing)
                {
                    return;
                }
                Session.ArmIdleTimer();
                continue;
            }
            var result = await read;
            var buffer = result.Buffer;
            var status = Session.Framer.Read(ref buffer);
            Session.Reader.AdvanceTo(buffer.Start); // the framer keeps partial input; what follows a command stays unread
            if (status == ImapFrameStatus.Complete)
            {
                var line = Encoding.ASCII.GetString(Session.Framer.Frame.Span).TrimEnd('\r', '\n');
                Trace.Emit(TraceKind.CommandReceived, "C: " + line, ("Line", line), ("Command", "IDLE-DONE"), ("Tag", c.Tag));
                if (line.Equals("DONE", StringComparison.OrdinalIgnoreCase))
                {
                    Ok(c.Tag, "IDLE terminated");
                }
                else
                {
                    Bad(c.Tag, "Expected DONE");
                }
                // At once, not with the answer to a command pipelined behind DONE: the client may wait for it.
                await Session.SendAsync();
                return;
            }
            if (status != ImapFrameStatus.NeedMoreData)
            {
                Bad(c.Tag, "Expected DONE");
                return;
            }
            if (result.IsCompleted)
            {
                Session.Closing = true;
                return;
            }
            read = Session.Reader.ReadAsync(Session.CommandToken).AsTask();
        }
    }
}
