using MailLab.Protocols.Imap;

namespace MailLab.Server.Imap.Commands;

/// <summary>
/// The command handlers of one session, by group, and the table that sends each command (already parsed
/// and allowed in the session's state by <see cref="ImapStateTable"/>) to its handler.
/// </summary>
internal sealed class ImapCommands(ImapSession session)
{
    private readonly AnyStateCommands any = new(session);
    private readonly AuthCommands auth = new(session);
    private readonly MailboxCommands mailboxes = new(session);
    private readonly ListCommand list = new(session);
    private readonly SelectionCommands selection = new(session);
    private readonly SearchCommand search = new(session);

    /// <summary>The selected-mailbox state.</summary>
    public SelectedMailbox Selected { get; } = new(session);

    /// <summary>FETCH and STORE, and the parsed messages they keep.</summary>
    public FetchCommands Fetch { get; } = new(session);

    /// <summary>APPEND, COPY, MOVE, and the copying and deleting other commands share.</summary>
    public WriteCommands Writes { get; } = new(session);

    public Task DispatchAsync(ImapCommand c) => c.Name switch
    {
        "CAPABILITY" => Done(c, any.Capability),
        "NOOP" or "CHECK" => any.NoopAsync(c),
        "LOGOUT" => Done(c, any.Logout),
        "ID" => Done(c, () => any.Id(c)),
        "STARTTLS" => session.StartTlsAsync(c),
        "LOGIN" => auth.LoginAsync(c),
        "AUTHENTICATE" => auth.AuthenticateAsync(c),
        "ENABLE" => Done(c, () => any.Enable(c)),
        "NAMESPACE" => Done(c, any.Namespace),
        "SELECT" or "EXAMINE" => selection.SelectAsync(c),
        "CREATE" => mailboxes.CreateAsync(c),
        "DELETE" => mailboxes.DeleteAsync(c),
        "RENAME" => mailboxes.RenameAsync(c),
        "SUBSCRIBE" or "UNSUBSCRIBE" => mailboxes.SubscribeAsync(c),
        "LIST" or "LSUB" => list.ListAsync(c),
        "STATUS" => mailboxes.StatusAsync(c),
        "APPEND" => Writes.AppendAsync(c),
        "IDLE" => selection.IdleAsync(c),
        "CLOSE" or "UNSELECT" => selection.CloseAsync(c),
        "EXPUNGE" => selection.ExpungeAsync(c),
        "SEARCH" => search.SearchAsync(c),
        "FETCH" => Fetch.FetchAsync(c),
        "STORE" => Fetch.StoreAsync(c),
        "COPY" or "MOVE" => Writes.CopyAsync(c),
        _ => Done(c, () => session.Bad(c.Tag, "Unknown command")),
    };

    // For commands whose answer is written synchronously and ends with OK (unless it said otherwise).
    private Task Done(ImapCommand c, Action act)
    {
        act();
        if (!session.Answered)
        {
            session.Ok(c.Tag, $"{c.Name} completed");
        }
        session.Answered = false;
        return Task.CompletedTask;
    }
}
