using System.Globalization;
using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Server.Listeners;
using MailLab.Server.Store;

namespace MailLab.Server.Imap;

/// <summary>
/// Writes FETCH responses (RFC 3501 §7.4.2): the one place that knows how each FETCH item is put on the
/// wire (FETCH, STORE, and flag changes announced in the selected mailbox). A response of UID, FLAGS and RFC822.SIZE only (Thunderbird's folder sync, "UID fetch 1:* (FLAGS)",
/// for every message) that is not traced one by one takes a fast path: the same octets, written straight
/// into the output span.
/// </summary>
internal sealed class FetchResponseWriter(SessionOutput output, ImapWriter w)
{
    private static readonly FetchItem[] FlagsOnly = [new(FetchKind.Flags)];
    private static readonly FetchItem[] UidAndFlags = [new(FetchKind.Uid), new(FetchKind.Flags)];

    /// <summary>
    /// A FETCH of FLAGS alone (with the UID first when <paramref name="uid"/>): STORE's answer (RFC 3501
    /// §6.4.6) and the announcement of flags another session changed (§7.4.2).
    /// </summary>
    public string? WriteFlagsUpdate(int seq, StoredMessage m, bool uid, MailboxView? view, bool describe) =>
        Write(seq, m, uid ? UidAndFlags : FlagsOnly, null, null, view, flagsChanged: false, describe);

    /// <summary>
    /// Writes one response. <paramref name="describe"/> asks for the trace text (only for responses that
    /// are traced one by one: a 100,000-message FETCH would otherwise build 100,000 strings nobody reads),
    /// returned; null otherwise. <paramref name="header"/> or <paramref name="parts"/> is what the items need.
    /// </summary>
    public string? Write(int seq, StoredMessage m, IReadOnlyList<FetchItem> items, byte[]? header, MessageParts? parts,
        MailboxView? view, bool flagsChanged, bool describe)
    {
        if (!describe && !flagsChanged && TryWriteSimple(seq, m, items, view))
        {
            return null;
        }
        var summary = describe ? new StringBuilder() : null;
        w.Raw("* "u8).Number(seq).Raw(" FETCH ("u8);
        summary?.Append(CultureInfo.InvariantCulture, $"* {seq} FETCH (");
        var first = true;
        for (var k = 0; k < items.Count; k++) // indexed: an enumerator per response showed at 100,000 messages
        {
            var item = items[k];
            switch (item.Kind)
            {
                case FetchKind.Flags:
                    Name(summary, ref first, "FLAGS");
                    WriteFlags(m, view, summary);
                    break;
                case FetchKind.Uid:
                    Name(summary, ref first, "UID");
                    w.Number(m.Uid);
                    summary?.Append(m.Uid);
                    break;
                case FetchKind.InternalDate:
                    Name(summary, ref first, "INTERNALDATE");
                    // RFC 3501 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz"
                    var date = m.InternalDate.ToString("dd-MMM-yyyy HH:mm:ss", CultureInfo.InvariantCulture) + " +0000";
                    w.Raw("\"" + date + "\"");
                    summary?.Append('"').Append(date).Append('"');
                    break;
                case FetchKind.Size:
                    Name(summary, ref first, "RFC822.SIZE");
                    w.Number(m.Size);
                    summary?.Append(m.Size);
                    break;
                case FetchKind.Envelope:
                    Name(summary, ref first, "ENVELOPE");
                    ImapEnvelope.Write(w, parts is not null ? parts.Message.Headers : ImapEnvelope.Parse(header!));
                    summary?.Append("(...)");
                    break;
                case FetchKind.Body or FetchKind.BodyStructure:
                    Name(summary, ref first, item.Kind == FetchKind.Body ? "BODY" : "BODYSTRUCTURE");
                    parts!.WriteStructure(w, extensible: item.Kind == FetchKind.BodyStructure);
                    summary?.Append("(...)");
                    break;
                case FetchKind.Section:
                    Name(summary, ref first, item.ResponseName());
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
            Name(summary, ref first, "FLAGS");
            WriteFlags(m, view, summary);
        }
        w.Raw(")\r\n"u8);
        summary?.Append(')');
        return summary?.ToString();
    }

    /// <summary>
    /// The fast path: a response of UID, FLAGS and RFC822.SIZE only (no keywords), the same octets the
    /// items above write; false (nothing written) when it does not apply.
    /// </summary>
    private bool TryWriteSimple(int seq, StoredMessage m, IReadOnlyList<FetchItem> items, MailboxView? view)
    {
        if (m.Keywords != 0 || items.Count > 3)
        {
            return false;
        }
        for (var k = 0; k < items.Count; k++)
        {
            if (items[k].Kind is not (FetchKind.Uid or FetchKind.Flags or FetchKind.Size))
            {
                return false;
            }
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
                    var flags = ImapFlags.ListBytesAt(ImapFlags.Index(m.Flags, view is not null && view.IsRecent(m.Uid)));
                    flags.CopyTo(span[n..]);
                    n += flags.Length;
                    break;
            }
        }
        ")\r\n"u8.CopyTo(span[n..]);
        output.Advance(n + 3);
        return true;
    }

    // Not a local function: a closure per FETCH response showed in "UID FETCH 1:* (FLAGS)" at 100,000 messages.
    private void Name(StringBuilder? summary, ref bool first, string name)
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

    private void WriteFlags(StoredMessage m, MailboxView? view, StringBuilder? summary)
    {
        if (m.Keywords == 0)
        {
            // The common case: one of 64 ready-made byte strings.
            var index = ImapFlags.Index(m.Flags, view is not null && view.IsRecent(m.Uid));
            w.Raw(ImapFlags.ListBytesAt(index));
            summary?.Append('(').Append(ImapFlags.TextAt(index)).Append(')');
            return;
        }
        var text = ImapFlags.Text(m, view);
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
}
