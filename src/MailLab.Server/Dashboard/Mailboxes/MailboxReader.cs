using System.Text;
using MailLab.Server.Store;
using MailLab.Server.Trace;
using MimeKit;
using MimeKit.Utils;

namespace MailLab.Server.Dashboard.Mailboxes;

/// <summary>A mailbox the lab delivers into: its address as the lab spells it, and its site.</summary>
internal sealed record MailboxOwner(string Address, string Site);

/// <summary>
/// Reads the lab's message store for one viewer, read-only (<see cref="MessageStore"/>'s peek methods: no folder is
/// created, no flag set, \Recent not claimed), so an IMAP or POP3 session on the same mailbox notices nothing.
/// A student sees their own mailbox only; everyone else's is "not found".
/// </summary>
internal sealed class MailboxReader(DashboardContext context, DashboardViewer viewer)
{
    /// <summary>Most octets of the raw source a message view carries (the whole file is at <c>.../raw</c>).</summary>
    public const int MaxRawOctets = 1024 * 1024;

    /// <summary>Messages per page unless <c>limit</c> says otherwise.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Largest <c>limit</c>.</summary>
    public const int MaxLimit = 500;

    /// <summary>Most folders listed per mailbox.</summary>
    public const int MaxFolders = 1000;

    // A listing reads each message's header section from at most this many octets (RFC 5322 sets no limit; the lab's message size does).
    private const int HeaderPeekOctets = 64 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    // A site this process runs has its mail in the lab's store; another's is in a followed data directory, if any.
    private MessageStore StoreOf(MailboxOwner owner) =>
        context.Lab.RunningSites.Contains(owner.Site) ? context.Lab.Store : context.Lab.StoreHolding(owner.Address) ?? context.Lab.Store;

    /// <summary>
    /// The mailboxes the viewer may see: the users of the sites this process runs, and postmaster@ each of their
    /// domains (always accepted, RFC 5321 §4.5.1; DMARC and TLS reports arrive there). Sites run elsewhere (<c>--only</c>) have their store there,
    /// and are listed too when this dashboard follows other processes' data directories (read-only: the classroom).
    /// </summary>
    public IReadOnlyList<MailboxOwner> Visible()
    {
        var all = new List<MailboxOwner>();
        foreach (var site in context.Lab.Definition.Sites.Where(s => context.Lab.RunningSites.Contains(s.Name) || context.Lab.FollowedStores.Count > 0))
        {
            all.AddRange(site.Users.Select(u => new MailboxOwner(u.Address, site.Name)));
            foreach (var domain in site.Domains)
            {
                var postmaster = "postmaster@" + domain.ToLowerInvariant();
                if (!all.Any(o => o.Address.Equals(postmaster, StringComparison.OrdinalIgnoreCase))) all.Add(new MailboxOwner(postmaster, site.Name));
            }
        }
        return all.Where(o => viewer.SeesAll || o.Address.Equals(viewer.Student, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>The visible mailbox with this address (any case), or null: unknown and not-yours look the same.</summary>
    public MailboxOwner? Find(string address) => Visible().FirstOrDefault(o => o.Address.Equals(address, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every visible mailbox with its totals.</summary>
    public async Task<MailboxList> ListAsync(CancellationToken ct)
    {
        var list = new List<MailboxSummary>();
        foreach (var owner in Visible())
        {
            var folders = await FoldersAsync(owner, ct).ConfigureAwait(false);
            list.Add(new MailboxSummary(owner.Address, owner.Site, folders.Sum(f => f.Messages), folders.Sum(f => f.Unseen), folders.Sum(f => f.Octets)));
        }
        return new MailboxList(list);
    }

    /// <summary>The mailbox's folders on disk, INBOX first (none before its first delivery).</summary>
    public async Task<MailboxView> ShowAsync(MailboxOwner owner, CancellationToken ct) =>
        new(owner.Address, owner.Site, await FoldersAsync(owner, ct).ConfigureAwait(false));

    private async Task<IReadOnlyList<FolderSummary>> FoldersAsync(MailboxOwner owner, CancellationToken ct)
    {
        var list = new List<FolderSummary>();
        foreach (var name in StoreOf(owner).ListFolders(owner.Address).Take(MaxFolders))
        {
            if (await StoreOf(owner).PeekAsync(owner.Address, name, ct).ConfigureAwait(false) is { } s)
            {
                list.Add(new FolderSummary(name, s.Messages.Count, s.Unseen, s.TotalSize, s.UidValidity, s.UidNext));
            }
        }
        return list;
    }

    /// <summary>
    /// A page of the folder's messages (<paramref name="folder"/> normalised), newest (highest UID) first: the <paramref name="limit"/>
    /// below UID <paramref name="before"/> (all when null). Null when the folder does not exist.
    /// </summary>
    public async Task<MessagePage?> MessagesAsync(MailboxOwner owner, string folder, int limit, uint? before, CancellationToken ct)
    {
        if (await StoreOf(owner).PeekAsync(owner.Address, folder, ct).ConfigureAwait(false) is not { } s) return null;
        int end = before is { } b ? FolderSnapshot.LowerBound(s.Messages, b) : s.Messages.Count;
        int start = Math.Max(0, end - limit);
        var queueIds = QueueIds();
        var page = new List<MessageSummary>(end - start);
        for (int i = end - 1; i >= start; i--)
        {
            var m = s.Messages[i];
            if (await StoreOf(owner).PeekMessageAsync(owner.Address, folder, m.Uid, ct).ConfigureAwait(false) is not (var current, var content)) continue; // expunged meanwhile
            HeaderList? headers;
            await using (content.ConfigureAwait(false))
            {
                headers = await PeekHeadersAsync(content, ct).ConfigureAwait(false);
            }
            DateTimeOffset? date = headers?[HeaderId.Date] is { } d && DateUtils.TryParse(d, out var parsed) ? parsed : null;
            page.Add(new MessageSummary(current.Uid, date, current.InternalDate, headers?[HeaderId.From], headers?[HeaderId.Subject], current.Size,
                Flags(current, s.Keywords), queueIds.GetValueOrDefault(Unique(current.FileName))));
        }
        return new MessagePage(owner.Address, folder, s.UidValidity, s.Messages.Count, page,
            start > 0 ? s.Messages[start].Uid : null);
    }

    /// <summary>One message: headers, MIME tree, raw source up to <see cref="MaxRawOctets"/>. Null when it does not exist.</summary>
    public async Task<MessageView?> MessageAsync(MailboxOwner owner, string folder, uint uid, CancellationToken ct)
    {
        if (await StoreOf(owner).PeekAsync(owner.Address, folder, ct).ConfigureAwait(false) is not { } s) return null;
        if (await StoreOf(owner).PeekMessageAsync(owner.Address, folder, uid, ct).ConfigureAwait(false) is not (var m, var content)) return null;
        await using (content.ConfigureAwait(false))
        {
            var bytes = new byte[(int)Math.Min(content.Length, MaxRawOctets)];
            await content.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
            bool truncated = content.Length > bytes.Length;
            content.Position = 0;
            var (message, root, mimeTruncated) = await MimeTree.ParseAsync(content, ct).ConfigureAwait(false);
            using (message)
            {
                return new MessageView(owner.Address, m.Folder, m.Uid, m.UidValidity, m.Size, m.InternalDate, Flags(m, s.Keywords),
                    QueueIds().GetValueOrDefault(Unique(m.FileName)), MimeTree.Headers(message.Headers), root, mimeTruncated,
                    Utf8.GetString(bytes), truncated);
            }
        }
    }

    /// <summary>The message's file opened for reading (the caller disposes it); null when it does not exist.</summary>
    public async Task<Stream?> OpenAsync(MailboxOwner owner, string folder, uint uid, CancellationToken ct) =>
        await StoreOf(owner).PeekMessageAsync(owner.Address, folder, uid, ct).ConfigureAwait(false) is (_, var content) ? content : null;

    /// <summary>The flags as IMAP names them: system flags (RFC 9051 §2.3.2), then the folder's keywords.</summary>
    internal static IReadOnlyList<string> Flags(StoredMessage m, IReadOnlyList<string> keywords)
    {
        var names = new List<string>();
        foreach (var (flag, name) in new[] { (MessageFlags.Seen, "\\Seen"), (MessageFlags.Answered, "\\Answered"), (MessageFlags.Flagged, "\\Flagged"),
            (MessageFlags.Deleted, "\\Deleted"), (MessageFlags.Draft, "\\Draft") })
        {
            if (m.Flags.HasFlag(flag)) names.Add(name);
        }
        for (int i = 0; i < keywords.Count && i < 32; i++)
        {
            if ((m.Keywords & (1u << i)) != 0) names.Add(keywords[i]);
        }
        return names;
    }

    private static async Task<HeaderList?> PeekHeadersAsync(Stream content, CancellationToken ct)
    {
        var buffer = new byte[(int)Math.Min(content.Length, HeaderPeekOctets)];
        await content.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        try
        {
            return await HeaderList.LoadAsync(new MemoryStream(buffer, writable: false), ct).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return null; // not a header section MimeKit can read: the listing shows the message without From and Subject
        }
    }

    // The Maildir unique name stays when flags rename the file; the MDA's LocalDelivery event names the file it wrote.
    private static string Unique(string fileName) => fileName.IndexOf(",U=", StringComparison.Ordinal) is var i and > 0 ? fileName[..i] : fileName;

    /// <summary>Queue ids of the deliveries the viewer may see in the in-memory trace, by the Maildir unique name they wrote.</summary>
    private Dictionary<string, string> QueueIds()
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in context.EventsFor(viewer))
        {
            if (e.Kind == TraceKind.LocalDelivery && e.Message is { } id && e.Field("Path") is { } path) ids[Unique(Path.GetFileName(path))] = id;
        }
        return ids;
    }
}
