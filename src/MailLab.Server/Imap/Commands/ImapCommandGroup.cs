using MailLab.Protocols.Imap;
using MailLab.Server.Lab;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap.Commands;

/// <summary>
/// What a group of IMAP command handlers sees of its session, and all it sees: the replies (untagged,
/// tagged, continuation, BYE), the logged-in user, the message store, the trace and the selected mailbox
/// (<see cref="SelectedMailbox"/>). A handler answers through these and never touches the connection.
/// </summary>
internal abstract class ImapCommandGroup(ImapSession session)
{
    /// <summary>Untagged responses per command traced one by one; the rest are counted.</summary>
    protected const int TracedUntagged = ImapSession.TracedUntagged;

    protected ImapSession Session => session;

    protected MessageStore Store => session.Store;

    protected HeaderCache Headers => session.Headers;

    protected TraceContext Trace => session.Trace;

    protected LabLimits Limits => session.Limits;

    protected ImapWriter W => session.Writer;

    /// <summary>The logged-in user's address (only after login).</summary>
    protected string Me => session.Me;

    /// <summary>The selected-mailbox state of the session.</summary>
    protected SelectedMailbox Selection => session.Selection;

    /// <summary>The selected mailbox's view, or null in the authenticated state.</summary>
    protected MailboxView? Selected => session.Selection.View;

    protected void Untagged(string text) => session.Untagged(text);

    protected void TraceUntagged(string text) => session.TraceUntagged(text);

    protected void Continuation(string text) => session.Continuation(text);

    protected void Ok(string tag, string text) => session.Ok(tag, text);

    protected void No(string tag, string text) => session.No(tag, text);

    protected void Bad(string? tag, string text) => session.Bad(tag, text);

    protected void Bye(string text, string reason) => session.Bye(text, reason);

    /// <summary>Announces what others changed in the selected mailbox (see <see cref="SelectedMailbox.SyncAsync"/>).</summary>
    protected Task SyncAsync(bool allowExpunge) => session.Selection.SyncAsync(allowExpunge);

    /// <summary>A MailboxAccess event for the logged-in user.</summary>
    protected void Access(string? folder, string action, string text, params (string Name, object? Value)[] extra) =>
        Trace.Emit(TraceKind.MailboxAccess, $"{Me} {text}",
            [("User", Me), ("Folder", folder), ("Action", action), .. extra]);

    /// <summary>The store's folder name for a mailbox argument (modified UTF-7 decoded, checked), or null with a reply sent.</summary>
    protected string? Mailbox(ImapCommand c, ImapValue v)
    {
        if (!v.IsAString)
        {
            Bad(c.Tag, "Mailbox name expected");
            return null;
        }
        if (!ModifiedUtf7.TryDecode(v.Text, out var name))
        {
            // A name that is not modified UTF-7 names no mailbox that could exist: NO, like Dovecot.
            No(c.Tag, "[CANNOT] Mailbox name is not valid modified UTF-7 (RFC 3501 5.1.3)");
            return null;
        }
        if (!MailboxNames.TryNormalizeFolder(name, out var folder, out var reason))
        {
            // A name that could leave the user's directory ("../bob/INBOX") never reaches the disk.
            No(c.Tag, $"[CANNOT] Invalid mailbox name: {reason}");
            return null;
        }
        return folder;
    }

    /// <summary>The messages a set names, or null with BAD sent (a sequence number past the end is an error).</summary>
    protected List<int>? Targets(ImapCommand c, ImapValue setArg)
    {
        if (setArg.Kind != ImapValueKind.Atom || !SequenceSet.TryParse(setArg.Text, out var set))
        {
            Bad(c.Tag, "Invalid sequence set");
            return null;
        }
        var view = Selected!;
        if (!c.Uid && !view.AllInRange(set))
        {
            Bad(c.Tag, "Message sequence number out of range"); // RFC 3501 §9 seq-number
            return null;
        }
        return view.Resolve(set, c.Uid);
    }
}
