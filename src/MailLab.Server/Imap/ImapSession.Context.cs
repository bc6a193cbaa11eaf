using System.IO.Pipelines;
using MailLab.Protocols.Imap;
using MailLab.Server.Imap.Commands;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;
using MailLab.Server.Sites;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap;

// What the command handlers (Commands/, over ImapCommandGroup) see of the session, and the two state
// changes they make: login and logout.
internal sealed partial class ImapSession
{
    private ImapCommands Commands => commands ??= new ImapCommands(this);

    internal SelectedMailbox Selection => Commands.Selected;

    internal FetchCommands Fetches => Commands.Fetch;

    internal WriteCommands Writes => Commands.Writes;

    internal LabSite Site => site;

    /// <summary>The site's logged-in IMAP sessions per user (limit <c>imap-connections-per-user</c>).</summary>
    internal ImapUserLimiter Users => users;

    internal string HostName => site.HostName;

    internal MessageStore Store => store;

    internal HeaderCache Headers => headers;

    internal TraceContext Trace => trace;

    internal LabLimits Limits => limits;

    internal ImapWriter Writer => w;

    internal SessionOutput Output => output;

    internal ImapState State { get => state; set => state = value; }

    internal bool TlsActive => tls is not null;

    /// <summary>The logged-in user's address.</summary>
    internal string Me => user!.Address;

    /// <summary>Set when the session ends after this command's answer.</summary>
    internal bool Closing { get => closing; set => closing = value; }

    /// <summary>Untagged responses so far in this command (the first <see cref="TracedUntagged"/> are traced one by one).</summary>
    internal int UntaggedCount { get; set; }

    /// <summary>True once the command got its tagged response.</summary>
    internal bool Answered { get; set; }

    internal PipeReader Reader => reader;

    internal ImapFramer Framer => framer;

    internal CancellationToken CommandToken => commandWait!.Token;

    internal void ArmIdleTimer() => idle.CancelAfter(limits.ImapIdleTimeout);

    /// <summary>LOGIN or AUTHENTICATE succeeded: the authenticated state, with literals as large as a message (APPEND).</summary>
    internal void LogIn(UserDefinition found, IDisposable slot)
    {
        userSlot = slot;
        user = found;
        state = ImapState.Authenticated;
        framer.MaxLiteral = limits.MaxMessageSize;
    }

    /// <summary>LOGOUT was answered with BYE: the session ends after the tagged OK.</summary>
    internal void LoggedOut()
    {
        connection.CloseReason = "LOGOUT";
        closing = true;
        state = ImapState.Logout;
    }
}
