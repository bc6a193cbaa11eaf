using System.Globalization;
using MailLab.Protocols.Imap;

namespace MailLab.Server.Imap.Commands;

/// <summary>
/// Mailbox commands of the authenticated state (RFC 3501 §6.3): CREATE, DELETE, RENAME (of INBOX too,
/// §6.3.5), SUBSCRIBE and UNSUBSCRIBE, STATUS. LIST and LSUB are <see cref="ListCommand"/>.
/// </summary>
internal sealed class MailboxCommands(ImapSession session) : ImapCommandGroup(session)
{
    public async Task CreateAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 1)
        {
            Bad(c.Tag, "Syntax: CREATE mailbox");
            return;
        }
        // RFC 3501 §6.3.3: a trailing delimiter only says the client means to create children.
        var raw = c.Arguments[0].IsAString ? c.Arguments[0].Text.TrimEnd('/') : "";
        var folder = Mailbox(c, c.Arguments[0].IsAString ? ImapValue.Atom(raw.Length == 0 ? "/" : raw) : c.Arguments[0]);
        if (folder is null)
        {
            return;
        }
        if (Store.FolderExists(Me, folder))
        {
            No(c.Tag, "[ALREADYEXISTS] Mailbox already exists");
            return;
        }
        await Store.CreateFolderAsync(Me, folder, CancellationToken.None);
        Access(folder, "create", $"created {folder}");
        Ok(c.Tag, "CREATE completed");
    }

    public async Task DeleteAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 1)
        {
            Bad(c.Tag, "Syntax: DELETE mailbox");
            return;
        }
        var folder = Mailbox(c, c.Arguments[0]);
        if (folder is null)
        {
            return;
        }
        if (folder == "INBOX")
        {
            No(c.Tag, "[CANNOT] INBOX cannot be deleted"); // RFC 3501 §6.3.4
            return;
        }
        if (Selected?.Folder == folder)
        {
            Selection.Deselect();
        }
        if (!await Store.DeleteFolderAsync(Me, folder, CancellationToken.None))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        Access(folder, "delete", $"deleted {folder}");
        Ok(c.Tag, "DELETE completed");
    }

    public async Task RenameAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 2)
        {
            Bad(c.Tag, "Syntax: RENAME from to");
            return;
        }
        var from = Mailbox(c, c.Arguments[0]);
        var to = from is null ? null : Mailbox(c, c.Arguments[1]);
        if (from is null || to is null)
        {
            return;
        }
        if (from == "INBOX")
        {
            await RenameInboxAsync(c, to);
            return;
        }
        if (!Store.FolderExists(Me, from))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        if (Store.FolderExists(Me, to) || to == "INBOX")
        {
            No(c.Tag, "[ALREADYEXISTS] Target mailbox exists");
            return;
        }
        if (Selected?.Folder == from)
        {
            Selection.Deselect();
        }
        if (!await Store.RenameFolderAsync(Me, from, to, CancellationToken.None))
        {
            No(c.Tag, "[CANNOT] Rename failed");
            return;
        }
        Access(from, "rename", $"renamed {from} to {to}", ("NewName", to));
        Ok(c.Tag, "RENAME completed");
    }

    // RFC 3501 §6.3.5: renaming INBOX moves all its messages to a new mailbox and leaves INBOX, empty, in place.
    private async Task RenameInboxAsync(ImapCommand c, string to)
    {
        if (Store.FolderExists(Me, to) || to == "INBOX")
        {
            No(c.Tag, "[ALREADYEXISTS] Target mailbox exists");
            return;
        }
        var inbox = await Store.SnapshotAsync(Me, "INBOX", claimRecent: false, CancellationToken.None);
        await Store.CreateFolderAsync(Me, to, CancellationToken.None);
        var moved = 0;
        foreach (var m in inbox.Messages)
        {
            if (await Session.Writes.CopyMessageAsync(m, inbox.Keywords, to) is not null && await Session.Writes.DeleteMessageAsync(m))
            {
                moved++;
            }
        }
        Access("INBOX", "rename", $"renamed INBOX to {to}: moved {moved} messages, INBOX stays (empty)", ("NewName", to), ("Count", moved));
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, "RENAME completed");
    }

    public async Task SubscribeAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 1)
        {
            Bad(c.Tag, $"Syntax: {c.Name} mailbox");
            return;
        }
        var folder = Mailbox(c, c.Arguments[0]);
        if (folder is null)
        {
            return;
        }
        var subscribe = c.Name == "SUBSCRIBE";
        await ImapSubscriptions.SetAsync(Store, Me, folder, subscribe, CancellationToken.None);
        Access(folder, c.Name.ToLowerInvariant(), $"{c.Name.ToLowerInvariant()}d {folder}");
        Ok(c.Tag, $"{c.Name} completed");
    }

    public async Task StatusAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 2 || c.Arguments[1].Kind != ImapValueKind.List)
        {
            Bad(c.Tag, "Syntax: STATUS mailbox (items)");
            return;
        }
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
        var info = await Store.GetFolderInfoAsync(Me, folder, CancellationToken.None);
        var items = new List<string>();
        foreach (var item in c.Arguments[1].Items)
        {
            var name = item.Text.ToUpperInvariant();
            long? value = name switch
            {
                "MESSAGES" => info.Count,
                "RECENT" => info.Recent,
                "UIDNEXT" => info.UidNext,
                "UIDVALIDITY" => info.UidValidity,
                "UNSEEN" => info.Unseen,
                _ => null,
            };
            if (value is null)
            {
                Bad(c.Tag, $"Unknown STATUS item {item}");
                return;
            }
            items.Add(name + " " + value.Value.ToString(CultureInfo.InvariantCulture));
        }
        W.Raw("* STATUS ").AString(ModifiedUtf7.Encode(folder)).Raw(" (" + string.Join(' ', items) + ")").Crlf();
        TraceUntagged($"* STATUS {folder} ({string.Join(' ', items)})");
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, "STATUS completed");
    }
}
