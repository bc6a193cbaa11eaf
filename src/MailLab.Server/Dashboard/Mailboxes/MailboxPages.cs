using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using static MailLab.Server.Dashboard.DashboardPages;

namespace MailLab.Server.Dashboard.Mailboxes;

/// <summary>
/// The Mailboxes pages, from the same reader as <c>/api/mailboxes</c>: the list of mailboxes, one mailbox's folders and
/// messages, and one message (header table, MIME tree, raw source) with the trace headers marked by a class, a symbol
/// and the word "trace", never by colour alone.
/// </summary>
internal static class MailboxPages
{
    private const string TraceMark = "<span class=\"trace-mark\"><span aria-hidden=\"true\">⚑</span> trace</span>";

    public static async Task<IResult> List(HttpContext http)
    {
        var list = await MailboxApi.Reader(http).ListAsync(http.RequestAborted);
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">Each user's message store, as the MDA wrote it and POP3 and IMAP read it. Reading here never marks a message \\Seen.</p>\n");
        b.Append("<table class=\"mailboxes\"><caption class=\"sr\">Mailboxes</caption><thead><tr><th scope=\"col\">Mailbox</th><th scope=\"col\">Site</th>")
            .Append("<th scope=\"col\">Messages</th><th scope=\"col\">Unseen</th><th scope=\"col\">Octets</th></tr></thead><tbody>");
        foreach (var m in list.Mailboxes)
        {
            b.Append("<tr><td><a href=\"").Append(MailboxHref(m.Address)).Append("\"><code>").Append(Enc(m.Address)).Append("</code></a></td><td>")
                .Append(Enc(m.Site)).Append("</td><td class=\"num\">").Append(m.Messages).Append("</td><td class=\"num\">").Append(m.Unseen)
                .Append("</td><td class=\"num\">").Append(m.Octets.ToString("N0", CultureInfo.InvariantCulture)).Append("</td></tr>");
        }
        b.Append("</tbody></table>\n<p class=\"api\">As JSON: <a href=\"/api/mailboxes\">/api/mailboxes</a></p>");
        return Html(http, "Mailboxes", b.ToString());
    }

    public static async Task<IResult> Show(HttpContext http, string address)
    {
        var reader = MailboxApi.Reader(http);
        var query = http.Request.Query;
        if (MailboxArgs.Unknown(query, ["folder", "before"]) is { } bad) return Error(http, StatusCodes.Status400BadRequest, bad);
        if (MailboxArgs.Owner(reader, address, out var owner) is { } refused) return Error(http, StatusOf(refused), $"No mailbox {address} (or it is not yours), or not an address.");
        if (!MailboxArgs.TryFolder(query.TryGetValue("folder", out var f) ? f.ToString() : "INBOX", out var folder, out var error)) return Error(http, StatusCodes.Status400BadRequest, error);
        uint? before = null;
        if (query.TryGetValue("before", out var bv))
        {
            if (!MailboxArgs.TryUid(bv.ToString(), out var uid)) return Error(http, StatusCodes.Status400BadRequest, "before: a UID");
            before = uid;
        }
        var view = await reader.ShowAsync(owner!, http.RequestAborted);
        var page = await reader.MessagesAsync(owner!, folder, MailboxReader.DefaultLimit, before, http.RequestAborted);
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">Site ").Append(Enc(view.Site)).Append(". <a href=\"/mailboxes\">All mailboxes</a></p>\n");
        if (view.Folders.Count == 0)
        {
            b.Append("<p>No mail yet: the folders appear with the first delivery.</p>");
            return Html(http, $"Mailbox {owner!.Address}", b.ToString());
        }
        b.Append("<div class=\"mailbox\"><nav aria-label=\"Folders\" class=\"folders\"><h2>Folders</h2><ul>");
        foreach (var fo in view.Folders)
        {
            b.Append("<li><a href=\"").Append(MailboxHref(owner!.Address)).Append("?folder=").Append(Uri.EscapeDataString(fo.Name)).Append('"')
                .Append(fo.Name == folder ? " aria-current=\"page\"" : "").Append('>').Append(Enc(fo.Name)).Append("</a> <span class=\"count\">")
                .Append(Count(fo.Messages, "message")).Append(fo.Unseen > 0 ? $", {fo.Unseen} unseen" : "").Append("</span> <small>UIDVALIDITY ").Append(fo.UidValidity).Append("</small></li>");
        }
        b.Append("</ul></nav><section class=\"messages\" aria-labelledby=\"folder-title\">");
        if (page is null)
        {
            b.Append("<h2 id=\"folder-title\">").Append(Enc(folder)).Append("</h2><p class=\"error\">No such folder.</p></section></div>");
            return Html(http, $"Mailbox {owner!.Address}", b.ToString(), StatusCodes.Status404NotFound);
        }
        b.Append("<h2 id=\"folder-title\">").Append(Enc(page.Folder)).Append(" <small>").Append(Count(page.Total, "message")).Append(", UIDVALIDITY ")
            .Append(page.UidValidity).Append("</small></h2>");
        if (page.Messages.Count == 0)
        {
            b.Append("<p>No messages here.</p>");
        }
        else
        {
            b.Append("<table class=\"message-list\"><caption class=\"sr\">Messages in ").Append(Enc(page.Folder)).Append(", newest first</caption><thead><tr>")
                .Append("<th scope=\"col\">UID</th><th scope=\"col\">Date</th><th scope=\"col\">From</th><th scope=\"col\">Subject</th><th scope=\"col\">Octets</th><th scope=\"col\">Flags</th></tr></thead><tbody>");
            foreach (var m in page.Messages)
            {
                b.Append("<tr><td class=\"num\">").Append(m.Uid).Append("</td><td>").Append(Enc(Date(m.Date ?? m.InternalDate))).Append("</td><td>")
                    .Append(Enc(m.From)).Append("</td><td><a href=\"").Append(MessageHref(page.Address, page.Folder, m.Uid)).Append("\">")
                    .Append(Enc(string.IsNullOrWhiteSpace(m.Subject) ? "(no subject)" : m.Subject)).Append("</a></td><td class=\"num\">")
                    .Append(m.Size.ToString("N0", CultureInfo.InvariantCulture)).Append("</td><td>").Append(Flags(m.Flags)).Append("</td></tr>");
            }
            b.Append("</tbody></table>");
        }
        if (page.Next is { } next)
        {
            b.Append("<p><a href=\"").Append(MailboxHref(page.Address)).Append("?folder=").Append(Uri.EscapeDataString(page.Folder)).Append("&amp;before=")
                .Append(next).Append("\">Older messages</a></p>");
        }
        b.Append("<p class=\"api\">As JSON: <a href=\"/api/mailboxes/").Append(Uri.EscapeDataString(page.Address)).Append("/messages?folder=")
            .Append(Uri.EscapeDataString(page.Folder)).Append("\">messages</a></p></section></div>");
        return Html(http, $"Mailbox {owner!.Address}", b.ToString());
    }

    public static async Task<IResult> Message(HttpContext http, string address, string folder, string uid)
    {
        var reader = MailboxApi.Reader(http);
        if (MailboxArgs.Message(http.Request.Query, reader, address, folder, uid, out var at) is { } refused)
        {
            return Error(http, StatusOf(refused), "No such message (or it is not yours), or the address, folder or UID is not valid.");
        }
        if (await reader.MessageAsync(at.Owner, at.Folder, at.Uid, http.RequestAborted) is not { } m)
        {
            return Error(http, StatusCodes.Status404NotFound, $"No message with UID {at.Uid} in {at.Owner.Address}'s folder {at.Folder}.");
        }
        string subject = m.Headers.FirstOrDefault(h => h.Name.Equals("Subject", StringComparison.OrdinalIgnoreCase))?.Value is { Length: > 0 } s ? s : "(no subject)";
        var b = new StringBuilder();
        b.Append("<p class=\"lead\">In <a href=\"").Append(MailboxHref(m.Address)).Append("?folder=").Append(Uri.EscapeDataString(m.Folder)).Append("\"><code>")
            .Append(Enc(m.Address)).Append("</code> · ").Append(Enc(m.Folder)).Append("</a>, UID ").Append(m.Uid).Append(" (UIDVALIDITY ").Append(m.UidValidity)
            .Append("), ").Append(m.Size.ToString("N0", CultureInfo.InvariantCulture)).Append(" octets, stored ").Append(Enc(Date(m.InternalDate)))
            .Append(". Flags: ").Append(Flags(m.Flags)).Append("</p>\n<p class=\"links\">");
        if (m.QueueId is { } id) b.Append("<a href=\"/journey/").Append(Uri.EscapeDataString(id)).Append("\">Journey of ").Append(Enc(id)).Append("</a> · ");
        string api = "/api" + MessageHref(m.Address, m.Folder, m.Uid);
        b.Append("<a href=\"").Append(api).Append("/raw\">Raw source (message/rfc822)</a> · <a href=\"").Append(api).Append("\">as JSON</a></p>\n");
        b.Append("<p class=\"legend\">").Append(TraceMark).Append(" marks the trace headers a receiving server adds: Return-Path and Received (RFC 5321 §4.4), ")
            .Append("Received-SPF (RFC 7208 §9.1), DKIM-Signature (RFC 6376 §3.5), Authentication-Results (RFC 8601 §2.2). Read them bottom-up: the lowest Received is the first hop.</p>\n");

        b.Append("<h2 id=\"headers\">Headers</h2>\n<table class=\"headers\"><caption class=\"sr\">Header fields in order</caption><thead><tr><th scope=\"col\">#</th>")
            .Append("<th scope=\"col\">Field</th><th scope=\"col\">Value</th><th scope=\"col\">Trace</th></tr></thead><tbody>");
        int n = 0;
        foreach (var h in m.Headers)
        {
            b.Append("<tr").Append(h.Trace ? " class=\"trace-header\"" : "").Append("><td class=\"num\">").Append(++n).Append("</td><th scope=\"row\"><code>")
                .Append(Enc(h.Name)).Append("</code></th><td><code>").Append(Enc(h.Value)).Append("</code></td><td>")
                .Append(h.Trace ? TraceMark + " <small>" + Enc(h.Rfc) + "</small>" : "").Append("</td></tr>");
        }
        b.Append("</tbody></table>\n<h2 id=\"mime\">MIME structure</h2>\n");
        if (m.Mime is { } root)
        {
            b.Append("<ul class=\"mime\">");
            Node(b, root);
            b.Append("</ul>");
        }
        if (m.MimeTruncated) b.Append("<p><em>The tree is cut at ").Append(MimeTree.MaxNodes).Append(" parts or ").Append(MimeTree.MaxDepth).Append(" levels.</em></p>");
        b.Append("\n<h2 id=\"raw\">Raw source</h2>\n");
        if (m.RawTruncated)
        {
            b.Append("<p><em>Only the first ").Append(MailboxReader.MaxRawOctets.ToString("N0", CultureInfo.InvariantCulture))
                .Append(" octets are shown: the whole message is at <a href=\"").Append(api).Append("/raw\">Raw source</a>.</em></p>");
        }
        b.Append("<pre class=\"raw\" tabindex=\"0\" aria-label=\"Raw source, trace header lines marked\">");
        foreach (var line in MimeTree.Lines(m.Raw))
        {
            if (line.Trace) b.Append("<mark class=\"trace-line\"><span class=\"gutter\" aria-hidden=\"true\">⚑ </span>").Append(Enc(line.Text)).Append("</mark>\n");
            else b.Append("<span class=\"gutter\" aria-hidden=\"true\">  </span>").Append(Enc(line.Text)).Append('\n');
        }
        b.Append("</pre>\n");
        return Html(http, subject, b.ToString());
    }

    private static void Node(StringBuilder b, MimeNode node)
    {
        b.Append("<li><code>").Append(Enc(node.ContentType)).Append("</code>");
        if (node.Charset is { } charset) b.Append(" · charset <code>").Append(Enc(charset)).Append("</code>");
        if (node.FileName is { } file) b.Append(" · file <strong>").Append(Enc(file)).Append("</strong>");
        if (node.Disposition is { } disposition) b.Append(" · ").Append(Enc(disposition));
        if (node.TransferEncoding is { } encoding) b.Append(" · ").Append(Enc(encoding));
        if (node.Subject is { } subject) b.Append(" · subject “").Append(Enc(subject)).Append('”');
        b.Append(" · ").Append(node.Size.ToString("N0", CultureInfo.InvariantCulture)).Append(" octets");
        if (node.Parts.Count > 0)
        {
            b.Append("<ul>");
            foreach (var part in node.Parts) Node(b, part);
            b.Append("</ul>");
        }
        b.Append("</li>");
    }

    private static string Flags(IReadOnlyList<string> flags) =>
        flags.Count == 0 ? "<span class=\"flags\">none</span>" : "<span class=\"flags\">" + string.Join(" ", flags.Select(f => $"<code>{Enc(f)}</code>")) + "</span>";

    private static string Count(int n, string noun) => n.ToString("N0", CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");

    private static string Date(DateTimeOffset d) => d.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string MailboxHref(string address) => "/mailboxes/" + Uri.EscapeDataString(address);

    /// <summary>The message page's path; a folder's <c>/</c> is written <c>%2F</c> so the folder stays one path segment.</summary>
    internal static string MessageHref(string address, string folder, uint uid) =>
        $"/mailboxes/{Uri.EscapeDataString(address)}/messages/{Uri.EscapeDataString(folder)}/{uid}";

    private static int StatusOf(IResult refused) => refused is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status400BadRequest;

    private static IResult Error(HttpContext http, int status, string message) =>
        Html(http, "Mailboxes", $"<p class=\"error\">{Enc(message)}</p><p><a href=\"/mailboxes\">All mailboxes</a></p>", status);
}
