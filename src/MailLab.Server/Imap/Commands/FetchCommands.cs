using MailLab.Protocols.Imap;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Imap.Commands;

/// <summary>
/// FETCH and STORE (RFC 3501 §6.4.5, §6.4.6) with their UID forms (§6.4.8). The responses are written by
/// <see cref="FetchResponseWriter"/>; this reads what the items need (header block or parsed message).
/// </summary>
internal sealed class FetchCommands(ImapSession session) : ImapCommandGroup(session)
{
    private readonly FetchResponseWriter writer = new(session.Output, session.Writer);

    // The last few parsed messages: clients fetch BODYSTRUCTURE, then parts, of the same message.
    private readonly List<(uint Uid, string Folder, MessageParts Parts)> partsCache = [];

    /// <summary>
    /// Sends a FETCH of the message's FLAGS (and UID when <paramref name="uid"/>), traced like any
    /// untagged response.
    /// </summary>
    public void FlagsResponse(int seq, StoredMessage m, bool uid, MailboxView? view) =>
        TraceUntagged(writer.WriteFlagsUpdate(seq, m, uid, view, describe: Session.UntaggedCount < TracedUntagged) ?? "");

    /// <summary>Lets go of the parsed messages kept for a next FETCH (before a long wait: IDLE).</summary>
    public void ForgetParts() => partsCache.Clear();

    public async Task FetchAsync(ImapCommand c)
    {
        if (c.Arguments.Count != 2)
        {
            Bad(c.Tag, "Syntax: FETCH sequence-set items");
            return;
        }
        var targets = Targets(c, c.Arguments[0]);
        if (targets is null)
        {
            return;
        }
        var items = FetchItem.ParseList(c.Arguments[1], out var error);
        if (items is null)
        {
            Bad(c.Tag, error!);
            return;
        }
        if (c.Uid && !items.Any(i => i.Kind == FetchKind.Uid))
        {
            items = [new FetchItem(FetchKind.Uid), .. items]; // RFC 3501 §6.4.8: UID FETCH always answers UID
        }
        var view = Selected!;
        var marksSeen = !view.ReadOnly && items.Any(i => i.Kind == FetchKind.Section && !i.Peek);
        var needsHeader = items.Any(i => i.Kind == FetchKind.Envelope
            || (i.Kind == FetchKind.Section && i.PartNumbers.Count == 0 && i.Text is SectionText.Header or SectionText.HeaderFields or SectionText.HeaderFieldsNot));
        var needsParts = items.Any(i => i.Kind is FetchKind.Body or FetchKind.BodyStructure
            || (i.Kind == FetchKind.Section && (i.PartNumbers.Count > 0 || i.Text is SectionText.None or SectionText.Text)));
        var missing = 0;
        var flagsChanged = marksSeen && !items.Any(i => i.Kind == FetchKind.Flags);
        if (marksSeen)
        {
            // The FLAGS this FETCH sends come from the store and may name keywords defined meanwhile.
            await KeywordMaskAsync(c, view, [], create: false);
        }
        var failed = 0;
        var uids = targets.Select(i => view.Messages[i].Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        foreach (var index in targets)
        {
            var m = view.Messages[index];
            byte[]? header = null;
            MessageParts? parts = null;
            if (needsParts)
            {
                parts = await PartsAsync(m);
                if (parts is null)
                {
                    missing++;
                    continue;
                }
            }
            else if (needsHeader)
            {
                header = await HeaderAsync(m);
                if (header is null)
                {
                    missing++;
                    continue;
                }
            }
            if (marksSeen && (m.Flags & MessageFlags.Seen) == 0)
            {
                // RFC 3501 §6.4.5: BODY[...] without .PEEK sets \Seen; the new FLAGS go in the same response.
                var updated = await Store.SetFlagsAsync(Me, view.Folder, m.Uid, m.Flags | MessageFlags.Seen, CancellationToken.None);
                if (updated is not null)
                {
                    view.Replace(index, m = updated);
                }
            }
            // A message the writer cannot describe (a parser bug) costs its own response, not the session:
            // the half-written response is taken back and the command ends with NO.
            var mark = Session.Output.WrittenCount;
            try
            {
                var line = writer.Write(index + 1, m, items, header, parts, view, flagsChanged, describe: Session.UntaggedCount < TracedUntagged);
                TraceUntagged(line ?? "");
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException
                or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException or NullReferenceException)
            {
                Session.Output.Truncate(mark);
                failed++;
                Trace.Emit(TraceKind.InternalError, $"FETCH of uid {m.Uid} in {view.Folder} failed: {ex.GetType().Name}: {ex.Message}",
                    ("Error", ex.ToString()));
            }
            await Session.FlushIfLargeAsync();
        }
        if (items.Any(i => i.Kind == FetchKind.Section))
        {
            Access(view.Folder, "retrieve", $"fetched {targets.Count} messages from {view.Folder}", ("Count", targets.Count), ("Uids", uids));
        }
        await SyncAsync(allowExpunge: c.Uid);
        if (failed > 0)
        {
            No(c.Tag, "[SERVERBUG] Some messages could not be described; see the trace");
            return;
        }
        if (missing > 0)
        {
            // RFC 2180 §4.1.2: some messages were expunged by another session meanwhile.
            No(c.Tag, "[EXPUNGEISSUED] Some messages were expunged meanwhile");
            return;
        }
        Ok(c.Tag, $"{(c.Uid ? "UID " : "")}FETCH completed");
    }

    /// <summary>The message's header block, from the shared cache or read from its file; null when expunged.</summary>
    private async Task<byte[]?> HeaderAsync(StoredMessage m)
    {
        if (Headers.Get(m) is { } cached)
        {
            return cached;
        }
        await using var s = await Store.OpenReadAsync(m, CancellationToken.None);
        if (s is null)
        {
            return null;
        }
        var header = await HeaderBlockReader.ReadAsync(s, CancellationToken.None);
        Headers.Add(m, header);
        return header;
    }

    private async Task<MessageParts?> PartsAsync(StoredMessage m)
    {
        var hit = partsCache.FindIndex(p => p.Uid == m.Uid && p.Folder == m.Folder);
        if (hit >= 0)
        {
            return partsCache[hit].Parts;
        }
        await using var s = await Store.OpenReadAsync(m, CancellationToken.None);
        if (s is null)
        {
            return null;
        }
        var bytes = new byte[s.Length];
        await s.ReadExactlyAsync(bytes, CancellationToken.None);
        var parts = MessageParts.Parse(bytes);
        if (partsCache.Count >= 4)
        {
            partsCache.RemoveAt(0);
        }
        partsCache.Add((m.Uid, m.Folder, parts));
        return parts;
    }

    public async Task StoreAsync(ImapCommand c)
    {
        // STORE set (+|-)FLAGS[.SILENT] (flags) — the list may also be bare flags (RFC 3501 §9 store-att-flags).
        if (c.Arguments.Count < 3 || c.Arguments[1].Kind != ImapValueKind.Atom)
        {
            Bad(c.Tag, "Syntax: STORE sequence-set [+|-]FLAGS[.SILENT] (flags)");
            return;
        }
        var targets = Targets(c, c.Arguments[0]);
        if (targets is null)
        {
            return;
        }
        var op = c.Arguments[1].Text.ToUpperInvariant();
        var silent = op.EndsWith(".SILENT", StringComparison.Ordinal);
        var mode = (silent ? op[..^".SILENT".Length] : op) switch
        {
            "FLAGS" => '=',
            "+FLAGS" => '+',
            "-FLAGS" => '-',
            _ => ' ',
        };
        if (mode == ' ')
        {
            Bad(c.Tag, $"Unknown STORE item {c.Arguments[1]}");
            return;
        }
        var flagArgs = c.Arguments.Count == 3 && c.Arguments[2].Kind == ImapValueKind.List ? c.Arguments[2].Items : c.Arguments.Skip(2).ToList();
        if (!ImapFlags.TryParse(flagArgs, out var flags, out var keywordNames))
        {
            Bad(c.Tag, "Invalid flag list");
            return;
        }
        var view = Selected!;
        if (view.ReadOnly)
        {
            No(c.Tag, "[READ-ONLY] Mailbox is read-only");
            return;
        }
        var keywords = await KeywordMaskAsync(c, view, keywordNames, create: mode != '-');
        if (keywords is null)
        {
            return;
        }
        var changed = 0;
        foreach (var index in targets)
        {
            var m = view.Messages[index];
            // Against the stored flags, not this session's copy: another session may have changed them.
            var updated = await Store.UpdateFlagsAsync(Me, view.Folder, m.Uid, (current, kw) => mode switch
            {
                '+' => (current | flags, kw | keywords.Value),
                '-' => (current & ~flags, kw & ~keywords.Value),
                _ => (flags, keywords.Value),
            }, CancellationToken.None);
            if (updated is not null)
            {
                if (updated.Flags != m.Flags || updated.Keywords != m.Keywords) changed++;
                view.Replace(index, m = updated);
            }
            if (!silent)
            {
                FlagsResponse(index + 1, m, c.Uid, view);
            }
        }
        Access(view.Folder, "store", $"set flags on {changed} of {targets.Count} messages in {view.Folder} ({op} {string.Join(' ', flagArgs)})",
            ("Count", changed));
        await SyncAsync(allowExpunge: c.Uid);
        Ok(c.Tag, $"{(c.Uid ? "UID " : "")}STORE completed");
    }

    /// <summary>
    /// The keyword mask for a STORE in the folder, creating keywords when asked; sends FLAGS
    /// again when that defined new ones (RFC 3501 §7.2.6). Null with NO sent when a keyword cannot be kept.
    /// </summary>
    public async Task<uint?> KeywordMaskAsync(ImapCommand c, MailboxView? view, IReadOnlyList<string> names, bool create,
        string? folder = null)
    {
        if (names.Count == 0 && view is null)
        {
            return 0;
        }
        // Also with no names: the updated messages may carry keywords another session defined, which
        // this client must have been told of before they appear in a FETCH.
        var (complete, mask, all) = await Store.KeywordsAsync(Me, folder ?? view!.Folder, names, create, CancellationToken.None);
        if (!complete && create)
        {
            No(c.Tag, ImapFlags.KeywordLimitText);
            return null;
        }
        if (view is not null && view.Folder == (folder ?? view.Folder) && all.Count != view.Keywords.Count)
        {
            view.Keywords = all;
            Selection.AnnounceFlags(view);
        }
        return mask;
    }
}
