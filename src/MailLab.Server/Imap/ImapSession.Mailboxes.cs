using System.Globalization;
using MailLab.Protocols.Imap;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap;

// Mailbox commands of the authenticated state (RFC 3501 §6.3), LIST-EXTENDED (RFC 5258) and SPECIAL-USE (RFC 6154).
public sealed partial class ImapSession
{
    private const string SystemFlags = @"\Answered \Flagged \Deleted \Seen \Draft";

    private string Me => user!.Address;

    /// <summary>The store's folder name for a mailbox argument (modified UTF-7 decoded, checked), or null with a reply sent.</summary>
    private string? Mailbox(ImapCommand c, ImapValue v)
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

    private static string? SpecialUse(string folder) => folder switch
    {
        "Sent" => @"\Sent",
        "Drafts" => @"\Drafts",
        "Trash" => @"\Trash",
        "Junk" => @"\Junk",
        _ => null,
    };

    private void Access(string? folder, string action, string text, params (string Name, object? Value)[] extra) =>
        trace.Emit(TraceKind.MailboxAccess, $"{Me} {text}",
            [("User", Me), ("Folder", folder), ("Action", action), .. extra]);

    private async Task SelectAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 1)
        {
            Bad(c.Tag, $"Syntax: {c.Name} mailbox");
            return;
        }
        // RFC 3501 §6.3.1: a SELECT deselects first, even when it then fails.
        Deselect();
        var folder = Mailbox(c, c.Arguments[0]);
        if (folder is null)
        {
            return;
        }
        if (!store.FolderExists(Me, folder))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        var readOnly = c.Name == "EXAMINE";
        // SELECT takes the \Recent messages for this session; EXAMINE shows them and leaves them for the
        // next SELECT (RFC 3501 §6.3.2: EXAMINE changes nothing, \Recent included).
        var info = await store.SnapshotAsync(Me, folder, claimRecent: !readOnly, CancellationToken.None);
        var view = selected = new MailboxView(store, Me, folder, readOnly, info);
        view.ClaimRecent(info.RecentFrom, info.UidNext);
        var messages = info.Messages;
        state = ImapState.Selected;
        AnnounceFlags(view);
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

    private void Deselect()
    {
        selected?.Dispose();
        selected = null;
        if (state == ImapState.Selected)
        {
            state = ImapState.Authenticated;
        }
    }

    private async Task CloseAsync(ImapCommand c)
    {
        var view = selected!;
        if (c.Name == "CLOSE" && !view.ReadOnly)
        {
            // RFC 3501 §6.4.2: CLOSE expunges \Deleted messages silently (no EXPUNGE responses).
            var removed = 0;
            foreach (var m in view.Messages.Where(m => (m.Flags & MessageFlags.Deleted) != 0).ToList())
            {
                if (await DeleteMessageAsync(m)) removed++;
            }
            if (removed > 0)
            {
                Access(view.Folder, "expunge", $"expunged {removed} messages from {view.Folder} at CLOSE", ("Count", removed));
            }
        }
        Deselect();
        Ok(c.Tag, $"{c.Name} completed");
    }

    private async Task CreateAsync(ImapCommand c)
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
        if (store.FolderExists(Me, folder))
        {
            No(c.Tag, "[ALREADYEXISTS] Mailbox already exists");
            return;
        }
        await store.CreateFolderAsync(Me, folder, CancellationToken.None);
        Access(folder, "create", $"created {folder}");
        Ok(c.Tag, "CREATE completed");
    }

    private async Task DeleteAsync(ImapCommand c)
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
        if (selected?.Folder == folder)
        {
            Deselect();
        }
        if (!await store.DeleteFolderAsync(Me, folder, CancellationToken.None))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        Access(folder, "delete", $"deleted {folder}");
        Ok(c.Tag, "DELETE completed");
    }

    private async Task RenameAsync(ImapCommand c)
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
        if (!store.FolderExists(Me, from))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        if (store.FolderExists(Me, to) || to == "INBOX")
        {
            No(c.Tag, "[ALREADYEXISTS] Target mailbox exists");
            return;
        }
        if (selected?.Folder == from)
        {
            Deselect();
        }
        if (!await store.RenameFolderAsync(Me, from, to, CancellationToken.None))
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
        if (store.FolderExists(Me, to) || to == "INBOX")
        {
            No(c.Tag, "[ALREADYEXISTS] Target mailbox exists");
            return;
        }
        var inbox = await store.SnapshotAsync(Me, "INBOX", claimRecent: false, CancellationToken.None);
        await store.CreateFolderAsync(Me, to, CancellationToken.None);
        var moved = 0;
        foreach (var m in inbox.Messages)
        {
            if (await CopyMessageAsync(m, inbox.Keywords, to) is not null && await DeleteMessageAsync(m))
            {
                moved++;
            }
        }
        Access("INBOX", "rename", $"renamed INBOX to {to}: moved {moved} messages, INBOX stays (empty)", ("NewName", to), ("Count", moved));
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, "RENAME completed");
    }

    private async Task SubscribeAsync(ImapCommand c)
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
        await ImapSubscriptions.SetAsync(store, Me, folder, subscribe, CancellationToken.None);
        Access(folder, c.Name.ToLowerInvariant(), $"{c.Name.ToLowerInvariant()}d {folder}");
        Ok(c.Tag, $"{c.Name} completed");
    }

    private async Task StatusAsync(ImapCommand c)
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
        if (!store.FolderExists(Me, folder))
        {
            No(c.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }
        var info = await store.GetFolderInfoAsync(Me, folder, CancellationToken.None);
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
        w.Raw("* STATUS ").AString(ModifiedUtf7.Encode(folder)).Raw(" (" + string.Join(' ', items) + ")").Crlf();
        TraceUntagged($"* STATUS {folder} ({string.Join(' ', items)})");
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, "STATUS completed");
    }

    private async Task ListAsync(ImapCommand c)
    {
        var lsub = c.Name == "LSUB";
        var args = c.Arguments;
        var i = 0;
        bool selectSubscribed = lsub, recursive = false, selectSpecial = false;
        bool returnSubscribed = false, returnSpecial = false;
        if (!lsub && i < args.Count && args[i].Kind == ImapValueKind.List)
        {
            // RFC 5258 §3.1 selection options.
            foreach (var o in args[i++].Items)
            {
                switch (o.Text.ToUpperInvariant())
                {
                    case "SUBSCRIBED": selectSubscribed = true; break;
                    case "RECURSIVEMATCH": recursive = true; break;
                    case "SPECIAL-USE": selectSpecial = true; break; // RFC 6154 §3
                    case "REMOTE": break;
                    default:
                        Bad(c.Tag, $"Unknown LIST selection option {o}");
                        return;
                }
            }
            if (recursive && !selectSubscribed)
            {
                Bad(c.Tag, "RECURSIVEMATCH needs another selection option"); // RFC 5258 §3.1
                return;
            }
        }
        if (args.Count - i < 2 || !args[i].IsAString)
        {
            Bad(c.Tag, $"Syntax: {c.Name} reference pattern");
            return;
        }
        var reference = args[i++].Text;
        var patternArg = args[i++];
        var patterns = patternArg.Kind == ImapValueKind.List && !lsub
            ? patternArg.Items.Select(p => p.Text).ToList()
            : [patternArg.Text];
        if (i < args.Count)
        {
            // RFC 5258 §3.2 return options.
            if (lsub || args.Count - i != 2 || !args[i].Text.Equals("RETURN", StringComparison.OrdinalIgnoreCase) || args[i + 1].Kind != ImapValueKind.List)
            {
                Bad(c.Tag, "Syntax: LIST [(options)] reference pattern [RETURN (options)]");
                return;
            }
            foreach (var o in args[i + 1].Items)
            {
                switch (o.Text.ToUpperInvariant())
                {
                    case "SUBSCRIBED": returnSubscribed = true; break;
                    case "CHILDREN": break; // always returned
                    case "SPECIAL-USE": returnSpecial = true; break;
                    default:
                        Bad(c.Tag, $"Unknown LIST return option {o}");
                        return;
                }
            }
        }
        _ = returnSpecial; // special-use attributes are always returned (RFC 6154 §2 allows it)
        if (patterns.Count == 1 && patterns[0].Length == 0 && !lsub)
        {
            // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and root.
            Untagged("LIST (\\Noselect) \"/\" \"\"");
            Ok(c.Tag, "LIST completed");
            return;
        }
        var existing = store.ListFolders(Me);
        var subscribed = selectSubscribed || returnSubscribed || lsub
            ? new HashSet<string>(await ImapSubscriptions.ReadAsync(store, Me, CancellationToken.None), StringComparer.Ordinal)
            : [];
        var exists = new HashSet<string>(existing, StringComparer.Ordinal);
        // Parents that exist only as a prefix (A/B without A) are listed as \Noselect.
        var names = new SortedSet<string>(existing, StringComparer.Ordinal);
        foreach (var f in existing)
        {
            for (var slash = f.IndexOf('/'); slash > 0; slash = f.IndexOf('/', slash + 1))
            {
                names.Add(f[..slash]);
            }
        }
        var matchers = patterns.Select(p => ListPattern.Create(reference, p)).ToList();
        if (selectSubscribed)
        {
            // Parents of subscribed names are candidates too: LSUB "%" shows them as \Noselect
            // (RFC 3501 §6.3.9), LIST RECURSIVEMATCH with CHILDINFO (RFC 5258 §3.5).
            names = new SortedSet<string>(subscribed, StringComparer.Ordinal);
            foreach (var f in subscribed)
            {
                for (var slash = f.IndexOf('/'); slash > 0; slash = f.IndexOf('/', slash + 1))
                {
                    names.Add(f[..slash]);
                }
            }
        }
        foreach (var name in names.OrderBy(n => n == "INBOX" ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal))
        {
            var wire = ModifiedUtf7.Encode(name);
            if (!matchers.Any(m => m.IsMatch(wire)))
            {
                continue;
            }
            // A parent that is listed only because of a subscribed child the patterns do not reach.
            var parentOnly = selectSubscribed && !subscribed.Contains(name);
            if (parentOnly && (!(lsub || recursive) || !subscribed.Any(d =>
                    d.StartsWith(name + "/", StringComparison.Ordinal) && !matchers.Any(m => m.IsMatch(ModifiedUtf7.Encode(d))))))
            {
                continue;
            }
            var special = SpecialUse(name);
            if (selectSpecial && special is null)
            {
                continue;
            }
            var attrs = new List<string>();
            if (parentOnly && lsub)
            {
                attrs.Add(@"\Noselect");
            }
            else if (!exists.Contains(name))
            {
                attrs.Add(selectSubscribed && !lsub ? @"\NonExistent" : @"\Noselect");
            }
            if (!lsub)
            {
                attrs.Add(existing.Any(f => f.StartsWith(name + "/", StringComparison.Ordinal)) ? @"\HasChildren" : @"\HasNoChildren");
            }
            if ((returnSubscribed || selectSubscribed) && !lsub && subscribed.Contains(name))
            {
                attrs.Add(@"\Subscribed");
            }
            if (special is not null && !lsub)
            {
                attrs.Add(special);
            }
            var extended = parentOnly && !lsub ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))" : "";
            w.Raw($"* {c.Name} ({string.Join(' ', attrs)}) \"/\" ").AString(wire).Raw(extended).Crlf();
            TraceUntagged($"* {c.Name} ({string.Join(' ', attrs)}) \"/\" {wire}{extended}");
        }
        Ok(c.Tag, $"{c.Name} completed");
    }
}
