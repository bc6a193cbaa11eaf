using MailLab.Protocols.Imap;
using MailLab.Server.Store;
using MimeKit;
using MimeKit.Utils;

namespace MailLab.Server.Imap.Commands;

/// <summary>SEARCH (RFC 3501 §6.4.4) and UID SEARCH over the selected mailbox.</summary>
internal sealed class SearchCommand(ImapSession session) : ImapCommandGroup(session)
{
    public async Task SearchAsync(ImapCommand c)
    {
        var args = c.Arguments;
        if (args.Count >= 2 && args[0].Kind == ImapValueKind.Atom && args[0].Text.Equals("CHARSET", StringComparison.OrdinalIgnoreCase))
        {
            var charset = args[1].Text.ToUpperInvariant();
            if (charset is not ("UTF-8" or "US-ASCII"))
            {
                No(c.Tag, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
                return;
            }
            args = [.. args.Skip(2)];
        }
        var key = SearchKey.Parse(args, out var error);
        if (key is null)
        {
            Bad(c.Tag, error!);
            return;
        }
        var view = Selected!;
        var hits = new List<uint>();
        var maxUid = view.Messages.Count > 0 ? view.Messages[^1].Uid : 0;
        for (var i = 0; i < view.Messages.Count; i++)
        {
            var m = view.Messages[i];
            SearchSubject subject = new(i + 1, m, (uint)view.Messages.Count, maxUid, view);
            if (key.NeedsContent)
            {
                await using var s = await Store.OpenReadAsync(m, CancellationToken.None);
                if (s is null)
                {
                    continue;
                }
                if (key.NeedsBody)
                {
                    var bytes = new byte[s.Length];
                    await s.ReadExactlyAsync(bytes, CancellationToken.None);
                    subject.Parts = MessageParts.Parse(bytes);
                    subject.Headers = subject.Parts.Message.Headers;
                }
                else
                {
                    subject.Headers = ImapEnvelope.Parse(await HeaderBlockReader.ReadAsync(s, CancellationToken.None));
                }
            }
            if (Matches(key, subject))
            {
                hits.Add(c.Uid ? m.Uid : (uint)(i + 1));
            }
        }
        Untagged("SEARCH" + string.Concat(hits.Select(h => " " + h)));
        await SyncAsync(allowExpunge: c.Uid);
        Ok(c.Tag, $"{(c.Uid ? "UID " : "")}SEARCH completed");
    }

    private sealed class SearchSubject(int seq, StoredMessage message, uint count, uint maxUid, MailboxView view)
    {
        public MailboxView View { get; } = view;
        public int Seq { get; } = seq;
        public StoredMessage Message { get; } = message;
        public uint Count { get; } = count;
        public uint MaxUid { get; } = maxUid;
        public HeaderList? Headers { get; set; }
        public MessageParts? Parts { get; set; }
    }

    private static bool Matches(SearchKey key, SearchSubject s)
    {
        var m = s.Message;
        return key.Op switch
        {
            SearchOp.And => key.Children!.All(k => Matches(k, s)),
            SearchOp.Or => Matches(key.Children![0], s) || Matches(key.Children[1], s),
            SearchOp.Not => !Matches(key.Children![0], s),
            SearchOp.All => true,
            SearchOp.Flag => (m.Flags & FlagOf(key.Text!)) != 0,
            SearchOp.NoFlag => (m.Flags & FlagOf(key.Text!)) == 0,
            SearchOp.Keyword => HasKeyword(s, key.Text!),
            SearchOp.NoKeyword => !HasKeyword(s, key.Text!),
            // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT.
            SearchOp.Recent => s.View.IsRecent(m.Uid),
            SearchOp.New => s.View.IsRecent(m.Uid) && (m.Flags & MessageFlags.Seen) == 0,
            SearchOp.Old => !s.View.IsRecent(m.Uid),
            SearchOp.Larger => m.Size > key.Number,
            SearchOp.Smaller => m.Size < key.Number,
            SearchOp.Before => DateOnly.FromDateTime(m.InternalDate.UtcDateTime) < key.Date,
            SearchOp.On => DateOnly.FromDateTime(m.InternalDate.UtcDateTime) == key.Date,
            SearchOp.Since => DateOnly.FromDateTime(m.InternalDate.UtcDateTime) >= key.Date,
            SearchOp.SentBefore or SearchOp.SentOn or SearchOp.SentSince => SentDate(s) is { } d && key.Op switch
            {
                SearchOp.SentBefore => d < key.Date,
                SearchOp.SentOn => d == key.Date,
                _ => d >= key.Date,
            },
            SearchOp.Sequence => InSet(key.Set!, (uint)s.Seq, s.Count),
            SearchOp.Uid => InSet(key.Set!, m.Uid, s.MaxUid),
            SearchOp.Header => HeaderContains(s.Headers, key.Field!, key.Text!),
            SearchOp.Body => BodyContains(s.Parts, key.Text!),
            SearchOp.TextAnywhere => BodyContains(s.Parts, key.Text!) || s.Headers!.Any(h => Contains(h.Value, key.Text!)),
            _ => false,
        };
    }

    private static bool HasKeyword(SearchSubject s, string name)
    {
        var keywords = s.View.Keywords;
        for (var i = 0; i < keywords.Count; i++)
        {
            if (string.Equals(keywords[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return (s.Message.Keywords & (1u << i)) != 0;
            }
        }
        return false;
    }

    private static MessageFlags FlagOf(string name) => name switch
    {
        "ANSWERED" => MessageFlags.Answered,
        "DELETED" => MessageFlags.Deleted,
        "DRAFT" => MessageFlags.Draft,
        "FLAGGED" => MessageFlags.Flagged,
        _ => MessageFlags.Seen,
    };

    private static bool InSet(SequenceSet set, uint n, uint largest)
    {
        foreach (var (low, high) in set.Resolve(largest))
        {
            if (n >= low && n <= high) return true;
        }
        return false;
    }

    // RFC 3501 §6.4.4: substring match, case-insensitive; HEADER with an empty string matches any message that has the field.
    // For address fields the parsed addresses count too (RFC 3501 §6.4.4 FROM/TO/CC/BCC), so that
    // comments or quoting in the raw field do not hide the address or display name.
    private static bool HeaderContains(HeaderList? headers, string field, string text) =>
        headers is not null && headers.Any(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase)
            && (Contains(h.Value, text) || (IsAddressField(field) && AddressContains(h, text))));

    private static bool IsAddressField(string field) =>
        field.ToUpperInvariant() is "FROM" or "TO" or "CC" or "BCC" or "SENDER" or "REPLY-TO";

    private static bool AddressContains(Header header, string text) =>
        InternetAddressList.TryParse(header.RawValue, out var list) && AnyAddressContains(list, text);

    private static bool AnyAddressContains(IEnumerable<InternetAddress> list, string text) => list.Any(a => a switch
    {
        GroupAddress g => Contains(g.Name, text) || AnyAddressContains(g.Members, text),
        MailboxAddress m => Contains(m.Name, text) || Contains(m.Address, text),
        _ => false,
    });

    private static bool BodyContains(MessageParts? parts, string text)
    {
        if (parts is null)
        {
            return false;
        }
        foreach (var part in parts.Message.BodyParts.OfType<TextPart>())
        {
            if (Contains(part.Text, text)) return true;
        }
        return false;
    }

    private static bool Contains(string? haystack, string needle) =>
        needle.Length == 0 || (haystack?.Contains(needle, StringComparison.OrdinalIgnoreCase) ?? false);

    private static DateOnly? SentDate(SearchSubject s)
    {
        var raw = s.Headers?[HeaderId.Date];
        return raw is not null && DateUtils.TryParse(raw, out var d) ? DateOnly.FromDateTime(d.DateTime) : null;
    }
}
