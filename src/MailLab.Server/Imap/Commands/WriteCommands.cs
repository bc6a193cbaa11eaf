using System.Globalization;
using MailLab.Protocols.Imap;
using MailLab.Server.Store;

namespace MailLab.Server.Imap.Commands;

/// <summary>
/// Commands that add or remove messages: APPEND (with APPENDUID), COPY and MOVE (COPYUID, RFC 4315 and
/// RFC 6851); the copying and deleting that EXPUNGE, CLOSE and RENAME of INBOX share.
/// </summary>
internal sealed class WriteCommands(ImapSession session) : ImapCommandGroup(session)
{
    public async Task AppendAsync(ImapCommand c)
    {
        // APPEND mailbox [(flags)] [date-time] literal
        var args = c.Arguments;
        if (args.Count is < 2 or > 4 || args[^1].Kind != ImapValueKind.String)
        {
            Bad(c.Tag, "Syntax: APPEND mailbox [(flags)] [\"date-time\"] {size}");
            return;
        }
        var folder = Mailbox(c, args[0]);
        if (folder is null)
        {
            return;
        }
        var flags = MessageFlags.None;
        List<string> keywords = [];
        DateTimeOffset? date = null;
        for (var i = 1; i < args.Count - 1; i++)
        {
            if (args[i].Kind == ImapValueKind.List && i == 1)
            {
                if (!ImapFlags.TryParse(args[i].Items, out flags, out keywords))
                {
                    Bad(c.Tag, "Invalid flag list");
                    return;
                }
            }
            else if (args[i].Kind == ImapValueKind.String && TryDateTime(args[i].Text, out var d))
            {
                date = d;
            }
            else
            {
                Bad(c.Tag, "Invalid APPEND argument (date-time is \"dd-Mon-yyyy hh:mm:ss +zzzz\")");
                return;
            }
        }
        var content = args[^1].Bytes;
        if (content.Length == 0)
        {
            Bad(c.Tag, "Empty message");
            return;
        }
        if (!Store.FolderExists(Me, folder))
        {
            // RFC 3501 §6.3.11: TRYCREATE tells the client to CREATE and try again.
            No(c.Tag, "[TRYCREATE] No such mailbox");
            return;
        }
        // Checked here, defined with the message: an APPEND that fails later defines no keyword.
        if (keywords.Count > 0 && !await Store.CanDefineKeywordsAsync(Me, folder, keywords, CancellationToken.None))
        {
            No(c.Tag, ImapFlags.KeywordLimitText);
            return;
        }
        var stored = await WriteMessageAsync(folder, content, flags, keywords, date);
        Access(folder, "append", $"appended {content.Length} octets to {folder} as uid {stored.Uid}",
            ("Uid", stored.Uid), ("Size", stored.Size));
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, $"[APPENDUID {stored.UidValidity} {stored.Uid}] APPEND completed");
    }

    private async Task<StoredMessage> WriteMessageAsync(string folder, ReadOnlyMemory<byte> content, MessageFlags flags,
        IReadOnlyList<string> keywords, DateTimeOffset? date)
    {
        // Not created here: a folder deleted since the TRYCREATE check stays deleted.
        await using var pending = await Store.BeginAsync(Me, folder, create: false, CancellationToken.None);
        await pending.Content.WriteAsync(content, CancellationToken.None);
        return await pending.CommitAsync(flags, keywords, date, CancellationToken.None);
    }

    // RFC 3501 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded).
    private static bool TryDateTime(string text, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(text.Trim(), ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"],
            CultureInfo.InvariantCulture, DateTimeStyles.AllowInnerWhite, out date)
        || DateTimeOffset.TryParseExact(FixZone(text.Trim()), ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"],
            CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    // .NET's zzz wants +hh:mm; IMAP writes +hhmm.
    private static string FixZone(string text) =>
        text.Length > 5 && text[^5] is '+' or '-' ? text[..^2] + ":" + text[^2..] : text;

    public async Task CopyAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 2)
        {
            Bad(c.Tag, $"Syntax: {c.Name} sequence-set mailbox");
            return;
        }
        var targets = Targets(c, c.Arguments[0]);
        if (targets is null)
        {
            return;
        }
        var folder = Mailbox(c, c.Arguments[1]);
        if (folder is null)
        {
            return;
        }
        var view = Selected!;
        var move = c.Name == "MOVE";
        if (move && view.ReadOnly)
        {
            No(c.Tag, "[READ-ONLY] Mailbox is read-only");
            return;
        }
        if (!Store.FolderExists(Me, folder))
        {
            No(c.Tag, "[TRYCREATE] No such mailbox");
            return;
        }
        var sourceUids = new List<uint>();
        var targetUids = new List<uint>();
        uint validity = 0;
        try
        {
            foreach (var index in targets)
            {
                var m = view.Messages[index];
                var copy = await CopyMessageAsync(m, view.Keywords, folder);
                if (copy is null)
                {
                    continue; // expunged meanwhile
                }
                sourceUids.Add(m.Uid);
                targetUids.Add(copy.Uid);
                validity = copy.UidValidity;
            }
        }
        catch (IOException)
        {
            // RFC 3501 §6.4.7: an unsuccessful COPY leaves the destination as it was before (and a MOVE
            // has not removed anything yet); the error itself is answered by HandleAsync.
            foreach (var uid in targetUids)
            {
                await Store.DeleteAsync(Me, folder, uid, CancellationToken.None);
            }
            throw;
        }
        var code = sourceUids.Count == 0 ? "" : $"[COPYUID {validity} {SequenceSet.Format(sourceUids)} {SequenceSet.Format(targetUids)}] ";
        Access(view.Folder, move ? "move" : "copy", $"{(move ? "moved" : "copied")} {sourceUids.Count} messages from {view.Folder} to {folder}",
            ("Count", sourceUids.Count), ("Target", folder));
        if (!move)
        {
            await SyncAsync(allowExpunge: c.Uid);
            Ok(c.Tag, code + "COPY completed");
            return;
        }
        // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGE responses.
        if (code.Length > 0)
        {
            Untagged("OK " + code + "Moved");
        }
        await RemoveAsync(view, [.. targets.Where(i => sourceUids.Contains(view.Messages[i].Uid))], announce: true);
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, "MOVE completed");
    }

    /// <summary>
    /// Copies a message into <paramref name="folder"/> with its flags, keywords (by name: the target has its
    /// own letters) and internal date (RFC 3501 §6.4.7); null when it was expunged meanwhile.
    /// </summary>
    public async Task<StoredMessage?> CopyMessageAsync(StoredMessage m, IReadOnlyList<string> keywords, string folder)
    {
        await using var s = await Store.OpenReadAsync(m, CancellationToken.None);
        if (s is null)
        {
            return null;
        }
        await using var pending = await Store.BeginAsync(Me, folder, create: false, CancellationToken.None);
        await s.CopyToAsync(pending.Content, CancellationToken.None);
        return await pending.CommitAsync(m.Flags, FolderKeywords.NamesOf(keywords, m.Keywords), m.InternalDate, CancellationToken.None);
    }

    /// <summary>Deletes messages (indexes ascending) and sends EXPUNGE for each, highest first so numbers stay right.</summary>
    public async Task<int> RemoveAsync(MailboxView view, List<int> indexes, bool announce)
    {
        var removed = 0;
        for (var k = indexes.Count - 1; k >= 0; k--)
        {
            var index = indexes[k];
            await DeleteMessageAsync(view.Messages[index]);
            view.RemoveAt(index);
            removed++;
            if (announce)
            {
                Untagged($"{index + 1} EXPUNGE");
            }
        }
        return removed;
    }

    /// <summary>Deletes one message from the store and forgets its cached header.</summary>
    public async Task<bool> DeleteMessageAsync(StoredMessage m)
    {
        Headers.Remove(m);
        return await Store.DeleteAsync(Me, m.Folder, m.Uid, CancellationToken.None);
    }
}
