using System.Globalization;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Store;
using MimeKit;

namespace MailLab.Server.Imap;

// FETCH and STORE (RFC 3501 §6.4.5, §6.4.6), with their UID forms (§6.4.8).
public sealed partial class ImapSession
{
    // The last few parsed messages: clients fetch BODYSTRUCTURE, then parts, of the same message.
    private readonly List<(uint Uid, string Folder, MessageParts Parts)> partsCache = [];

    /// <summary>The messages a set names, or null with BAD sent (a sequence number past the end is an error).</summary>
    private List<int>? Targets(ImapCommand c, ImapValue setArg)
    {
        if (setArg.Kind != ImapValueKind.Atom || !SequenceSet.TryParse(setArg.Text, out var set))
        {
            Bad(c.Tag, "Invalid sequence set");
            return null;
        }
        var view = selected!;
        if (!c.Uid && !view.AllInRange(set))
        {
            Bad(c.Tag, "Message sequence number out of range"); // RFC 3501 §9 seq-number
            return null;
        }
        return view.Resolve(set, c.Uid);
    }

    private async Task FetchAsync(ImapCommand c)
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
        var view = selected!;
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
        // Thunderbird's folder sync, "UID fetch 1:* (FLAGS)", for every message of the folder: one span per response.
        var simple = !flagsChanged && items.All(i => i.Kind is FetchKind.Uid or FetchKind.Flags or FetchKind.Size);
        var failed = 0;
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
                var updated = await store.SetFlagsAsync(Me, view.Folder, m.Uid, m.Flags | MessageFlags.Seen, CancellationToken.None);
                if (updated is not null)
                {
                    view.Replace(index, m = updated);
                }
            }
            if (!(simple && untaggedThisCommand >= TracedUntagged && TryWriteSimpleFetch(index + 1, m, items)))
            {
                // A message the writers cannot describe (a parser bug) costs its own response, not the session:
                // the half-written response is taken back and the command ends with NO.
                var mark = output.WrittenCount;
                try
                {
                    WriteFetch(index + 1, m, items, header, parts, flagsChanged);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException
                    or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException or NullReferenceException)
                {
                    output.Truncate(mark);
                    failed++;
                    trace.Emit(Trace.TraceKind.InternalError, $"FETCH of uid {m.Uid} in {view.Folder} failed: {ex.GetType().Name}: {ex.Message}",
                        ("Error", ex.ToString()));
                }
            }
            await FlushIfLargeAsync();
        }
        if (items.Any(i => i.Kind == FetchKind.Section))
        {
            Access(view.Folder, "retrieve", $"fetched {targets.Count} messages from {view.Folder}", ("Count", targets.Count));
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
        if (headers.Get(m) is { } cached)
        {
            return cached;
        }
        await using var s = await store.OpenReadAsync(m, CancellationToken.None);
        if (s is null)
        {
            return null;
        }
        var header = await HeaderBlockReader.ReadAsync(s, CancellationToken.None);
        headers.Add(m, header);
        return header;
    }

    private async Task<MessageParts?> PartsAsync(StoredMessage m)
    {
        var hit = partsCache.FindIndex(p => p.Uid == m.Uid && p.Folder == m.Folder);
        if (hit >= 0)
        {
            return partsCache[hit].Parts;
        }
        await using var s = await store.OpenReadAsync(m, CancellationToken.None);
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

    private void WriteFetch(int seq, StoredMessage m, IReadOnlyList<FetchItem> items, byte[]? header, MessageParts? parts, bool flagsChanged)
    {
        // The trace text is built only for responses that are traced one by one (a 100,000-message
        // FETCH would otherwise build 100,000 strings nobody reads).
        var summary = untaggedThisCommand < TracedUntagged ? new StringBuilder() : null;
        w.Raw("* "u8).Number(seq).Raw(" FETCH ("u8);
        summary?.Append(CultureInfo.InvariantCulture, $"* {seq} FETCH (");
        var first = true;
        for (var k = 0; k < items.Count; k++) // indexed: an enumerator per response showed at 100,000 messages
        {
            var item = items[k];
            switch (item.Kind)
            {
                case FetchKind.Flags:
                    Name(w, summary, ref first, "FLAGS");
                    WriteFlags(m, summary);
                    break;
                case FetchKind.Uid:
                    Name(w, summary, ref first, "UID");
                    w.Number(m.Uid);
                    summary?.Append(m.Uid);
                    break;
                case FetchKind.InternalDate:
                    Name(w, summary, ref first, "INTERNALDATE");
                    // RFC 3501 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz"
                    var date = m.InternalDate.ToString("dd-MMM-yyyy HH:mm:ss", CultureInfo.InvariantCulture) + " +0000";
                    w.Raw("\"" + date + "\"");
                    summary?.Append('"').Append(date).Append('"');
                    break;
                case FetchKind.Size:
                    Name(w, summary, ref first, "RFC822.SIZE");
                    w.Number(m.Size);
                    summary?.Append(m.Size);
                    break;
                case FetchKind.Envelope:
                    Name(w, summary, ref first, "ENVELOPE");
                    ImapEnvelope.Write(w, parts is not null ? parts.Message.Headers : ImapEnvelope.Parse(header!));
                    summary?.Append("(...)");
                    break;
                case FetchKind.Body or FetchKind.BodyStructure:
                    Name(w, summary, ref first, item.Kind == FetchKind.Body ? "BODY" : "BODYSTRUCTURE");
                    parts!.WriteStructure(w, extensible: item.Kind == FetchKind.BodyStructure);
                    summary?.Append("(...)");
                    break;
                case FetchKind.Section:
                    Name(w, summary, ref first, item.ResponseName());
                    var bytes = SectionBytes(item, header, parts);
                    if (bytes is null)
                    {
                        // RFC 3501 §6.4.5: a part that does not exist is an empty string.
                        w.Raw("\"\""u8);
                        summary?.Append("\"\"");
                        break;
                    }
                    var span = bytes.Value;
                    if (item.Partial is { } p)
                    {
                        var start = (int)Math.Min(p.Start, span.Length);
                        span = span.Slice(start, (int)Math.Min(p.Count, span.Length - start));
                    }
                    w.Literal(span.Span);
                    summary?.Append('{').Append(span.Length).Append(" octets}");
                    break;
            }
        }
        if (flagsChanged)
        {
            Name(w, summary, ref first, "FLAGS");
            WriteFlags(m, summary);
        }
        w.Raw(")\r\n"u8);
        summary?.Append(')');
        TraceUntagged(summary?.ToString() ?? "");
    }

    /// <summary>
    /// Writes a response of UID, FLAGS and RFC822.SIZE only (no keywords) straight into the output span,
    /// the same octets <see cref="WriteFetch"/> writes; false (nothing written) when it does not apply.
    /// </summary>
    private bool TryWriteSimpleFetch(int seq, StoredMessage m, IReadOnlyList<FetchItem> items)
    {
        if (m.Keywords != 0 || items.Count > 3)
        {
            return false;
        }
        var span = output.GetSpan(256); // at most 3 items: well under 200 octets
        var n = 0;
        "* "u8.CopyTo(span);
        n += 2;
        seq.TryFormat(span[n..], out var len, default, CultureInfo.InvariantCulture);
        n += len;
        " FETCH ("u8.CopyTo(span[n..]);
        n += 8;
        for (var k = 0; k < items.Count; k++)
        {
            if (k > 0) span[n++] = (byte)' ';
            switch (items[k].Kind)
            {
                case FetchKind.Uid:
                    "UID "u8.CopyTo(span[n..]);
                    n += 4;
                    m.Uid.TryFormat(span[n..], out len, default, CultureInfo.InvariantCulture);
                    n += len;
                    break;
                case FetchKind.Size:
                    "RFC822.SIZE "u8.CopyTo(span[n..]);
                    n += 12;
                    m.Size.TryFormat(span[n..], out len, default, CultureInfo.InvariantCulture);
                    n += len;
                    break;
                default:
                    "FLAGS "u8.CopyTo(span[n..]);
                    n += 6;
                    var flags = FlagListBytes[((int)m.Flags & 31) | (selected!.IsRecent(m.Uid) ? 32 : 0)];
                    flags.CopyTo(span[n..]);
                    n += flags.Length;
                    break;
            }
        }
        ")\r\n"u8.CopyTo(span[n..]);
        output.Advance(n + 3);
        untaggedThisCommand++;
        return true;
    }

    // A static helper, not a local function: a closure per FETCH response showed in "UID FETCH 1:* (FLAGS)" at 100,000 messages.
    private static void Name(ImapWriter w, StringBuilder? summary, ref bool first, string name)
    {
        if (!first)
        {
            w.Raw(" "u8);
            summary?.Append(' ');
        }
        first = false;
        w.Raw(name).Raw(" "u8);
        summary?.Append(name).Append(' ');
    }

    private void WriteFlags(StoredMessage m, StringBuilder? summary)
    {
        var view = selected;
        if (m.Keywords == 0)
        {
            // The common case: one of 64 ready-made byte strings.
            var index = ((int)m.Flags & 31) | (view is not null && view.IsRecent(m.Uid) ? 32 : 0);
            w.Raw(FlagListBytes[index]);
            summary?.Append('(').Append(FlagTexts[index]).Append(')');
            return;
        }
        var text = FlagText(m);
        w.Raw("("u8).Raw(text).Raw(")"u8);
        summary?.Append('(').Append(text).Append(')');
    }

    private static ReadOnlyMemory<byte>? SectionBytes(FetchItem item, byte[]? header, MessageParts? parts)
    {
        if (parts is not null)
        {
            return parts.Section(item);
        }
        // Header-only sections were served from the header block without parsing the body.
        return item.Text switch
        {
            SectionText.Header => header,
            SectionText.HeaderFields or SectionText.HeaderFieldsNot =>
                HeaderBlock.Filter(header, item.Fields!, item.Text == SectionText.HeaderFieldsNot),
            _ => null,
        };
    }

    private async Task StoreAsync(ImapCommand c)
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
        if (!TryFlags(flagArgs, out var flags, out var keywordNames))
        {
            Bad(c.Tag, "Invalid flag list");
            return;
        }
        var view = selected!;
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
            var updated = await store.UpdateFlagsAsync(Me, view.Folder, m.Uid, (current, kw) => mode switch
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
                Untagged(c.Uid
                    ? $"{index + 1} FETCH (UID {m.Uid} FLAGS ({FlagText(m)}))"
                    : $"{index + 1} FETCH (FLAGS ({FlagText(m)}))");
            }
        }
        Access(view.Folder, "store", $"set flags on {changed} of {targets.Count} messages in {view.Folder} ({op} {string.Join(' ', flagArgs)})",
            ("Count", changed));
        await SyncAsync(allowExpunge: c.Uid);
        Ok(c.Tag, $"{(c.Uid ? "UID " : "")}STORE completed");
    }

    private static readonly string KeywordLimitText =
        $"[LIMIT] Keyword not kept: a mailbox holds at most {MaildirInfo.MaxKeywords} keywords, each an atom of up to {FolderKeywords.MaxLength} characters";

    /// <summary>
    /// The keyword mask for a STORE in the folder, creating keywords when asked; sends FLAGS
    /// again when that defined new ones (RFC 3501 §7.2.6). Null with NO sent when a keyword cannot be kept.
    /// </summary>
    private async Task<uint?> KeywordMaskAsync(ImapCommand c, MailboxView? view, IReadOnlyList<string> names, bool create,
        string? folder = null)
    {
        if (names.Count == 0 && view is null)
        {
            return 0;
        }
        // Also with no names: the updated messages may carry keywords another session defined, which
        // this client must have been told of before they appear in a FETCH.
        var (complete, mask, all) = await store.KeywordsAsync(Me, folder ?? view!.Folder, names, create, CancellationToken.None);
        if (!complete && create)
        {
            No(c.Tag, KeywordLimitText);
            return null;
        }
        if (view is not null && view.Folder == (folder ?? view.Folder) && all.Count != view.Keywords.Count)
        {
            view.Keywords = all;
            AnnounceFlags(view);
        }
        return mask;
    }
}
