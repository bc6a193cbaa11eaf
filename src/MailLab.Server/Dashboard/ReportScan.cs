using System.Collections.Concurrent;
using System.IO.Compression;
using System.Xml;
using MailLab.Server.Reports;
using MailLab.Server.Store;

namespace MailLab.Server.Dashboard;

/// <summary>
/// A report mail found in a lab mailbox's INBOX: its aggregate reports (RFC 9990, usually one), its failure report
/// (RFC 6591 ARF) or its TLS reports (RFC 8460, as <c>maillab tlsrpt show</c> prints them). <c>Id</c> (<c>mailbox:uid</c>)
/// names it in <c>/api/reports/failures/{id}</c>.
/// </summary>
internal sealed record ReceivedReport(string Mailbox, uint Uid, DateTimeOffset Arrived, IReadOnlyList<AggregateReport> Aggregates, FailureReport? Failure,
    IReadOnlyList<string>? TlsReports = null)
{
    public string Id => $"{Mailbox}:{Uid}";
}

/// <summary>What one scan found, and how many INBOX messages it left unread (beyond <see cref="ReportScan.MaxMessages"/>).</summary>
internal sealed record ScanResult(IReadOnlyList<ReceivedReport> Reports, int Scanned, int NotScanned);

/// <summary>
/// Finds the DMARC reports in lab mailboxes with the readers <c>maillab dmarc report show --mailbox</c> uses. Bounded:
/// the newest <see cref="MaxMessages"/> INBOX messages of the mailboxes asked for, none over <see cref="MaxMessageBytes"/>,
/// and the readers' own caps on inflated size. A message's result is kept (a stored message never changes), so a
/// page view parses only what arrived since the last one.
/// </summary>
internal static class ReportScan
{
    /// <summary>The most INBOX messages read per scan (the newest ones, over all the mailboxes asked for).</summary>
    public const int MaxMessages = 500;

    /// <summary>A larger message is not read (a report mail is a few KiB; a report is gzipped).</summary>
    public const long MaxMessageBytes = 4 * 1024 * 1024;

    private const int MaxCached = 20_000;
    private static readonly ConcurrentDictionary<string, ReceivedReport?> Parsed = new(StringComparer.Ordinal);

    /// <summary>The report mails in the INBOX of <paramref name="mailboxes"/> (each in its store), newest first.</summary>
    public static async Task<ScanResult> ScanAsync(IEnumerable<(MessageStore Store, string Mailbox)> mailboxes, CancellationToken ct)
    {
        var all = new List<(MessageStore Store, StoredMessage Message)>();
        foreach (var (store, mailbox) in mailboxes)
        {
            // Peeked, never listed: a folder is not created, no \Recent is claimed, and a followed store is only read.
            if (await PeekInboxAsync(store, mailbox, ct).ConfigureAwait(false) is { } inbox) all.AddRange(inbox.Messages.Select(m => (store, m)));
        }
        var newest = all.OrderByDescending(x => x.Message.InternalDate).ThenByDescending(x => x.Message.Uid).Take(MaxMessages).ToList();
        var found = new List<ReceivedReport>();
        foreach (var (store, m) in newest)
        {
            var key = $"{store.Root}|{m.Address}|{m.UidValidity}|{m.Uid}";
            if (!Parsed.TryGetValue(key, out var report))
            {
                report = await ReadAsync(store, m, ct).ConfigureAwait(false);
                if (Parsed.Count >= MaxCached) Parsed.Clear();
                Parsed[key] = report;
            }
            if (report is not null) found.Add(report);
        }
        return new ScanResult(found, newest.Count, all.Count - newest.Count);
    }

    /// <summary>The report mail with <paramref name="uid"/> in <paramref name="mailbox"/>'s INBOX, or null (not there, not a report).</summary>
    public static async Task<ReceivedReport?> FindAsync(MessageStore store, string mailbox, uint uid, CancellationToken ct) =>
        await PeekInboxAsync(store, mailbox, ct).ConfigureAwait(false) is { } inbox && inbox.Messages.FirstOrDefault(m => m.Uid == uid) is { } message
            ? await ReadAsync(store, message, ct).ConfigureAwait(false)
            : null;

    private static async Task<FolderSnapshot?> PeekInboxAsync(MessageStore store, string mailbox, CancellationToken ct)
    {
        try
        {
            return await store.PeekAsync(mailbox, "INBOX", ct).ConfigureAwait(false);
        }
        catch (InvalidMailboxNameException)
        {
            return null;
        }
    }

    private static async Task<ReceivedReport?> ReadAsync(MessageStore store, StoredMessage m, CancellationToken ct)
    {
        if (m.Size > MaxMessageBytes) return null;
        if (await store.PeekMessageAsync(m.Address, m.Folder, m.Uid, ct).ConfigureAwait(false) is not (_, var content)) return null; // deleted meanwhile
        byte[] bytes;
        await using (content)
        {
            using var ms = new MemoryStream();
            await content.CopyToAsync(ms, ct).ConfigureAwait(false);
            bytes = ms.ToArray();
        }
        return Parse(m.Address, m.Uid, m.InternalDate, bytes);
    }

    /// <summary>The report in one mail, or null when it is not a DMARC report (most mail is not: no error).</summary>
    internal static ReceivedReport? Parse(string mailbox, uint uid, DateTimeOffset arrived, byte[] bytes)
    {
        try
        {
            return new ReceivedReport(mailbox, uid, arrived, AggregateReportReader.Read(bytes), null);
        }
        catch (Exception ex) when (IsNotAReport(ex))
        {
        }
        try
        {
            return new ReceivedReport(mailbox, uid, arrived, [], FailureReportReader.Read(bytes));
        }
        catch (Exception ex) when (IsNotAReport(ex))
        {
        }
        try
        {
            return new ReceivedReport(mailbox, uid, arrived, [], null, TlsReporter.ReportsIn(bytes).Select(TlsReportJson.Describe).ToList());
        }
        catch (Exception ex) when (IsNotAReport(ex))
        {
            return null;
        }
    }

    // Anyone can mail postmaster: whatever a mail holds is "not a report", never an error of the page.
    private static bool IsNotAReport(Exception ex) => ex is FormatException or InvalidDataException or XmlException or NotSupportedException
        or ArgumentException or InvalidOperationException or OverflowException;
}
