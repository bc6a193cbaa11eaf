using System.Net;
using System.Text.Json;
using MailKit;
using StoreFlags = MailLab.Server.Store.MessageFlags;
using MailLab.Server.Store;
using MailLab.Server.Trace;
using MailLab.Tests.Imap;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;
using static MailLab.Tests.Dashboard.MailboxKit;

namespace MailLab.Tests.Dashboard;

/// <summary>The Mailboxes API (and its pages' HTML) over real HTTP against a running lab with IMAP at uc (open, loopback access).</summary>
public sealed class MailboxApiTests : DashboardLabTest
{
    protected override TestLab StartLab() => ImapLab.Start();

    [Fact]
    public async Task Lists_the_mailboxes_with_their_counts_and_a_mailbox_with_its_folders()
    {
        await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "bob@bank.test", "for the list"), "bob@bank.test");
        var (status, json) = await Json(http, "/api/mailboxes");
        Assert.Equal(HttpStatusCode.OK, status);
        var all = json.GetProperty("mailboxes").EnumerateArray().ToList();
        // In the lab file's order, site by site; postmaster@ each domain too (always accepted, RFC 5321 §4.5.1), once.
        Assert.Equal(["alice@uc.test", "postmaster@uc.test", "bob@bank.test", "ceo@bank.test", "postmaster@bank.test", "mallory@evil.test", "postmaster@evil.test"],
            all.Select(m => m.GetProperty("address").GetString()));
        var bob = all.Single(m => m.GetProperty("address").GetString() == "bob@bank.test");
        Assert.Equal("bank", bob.GetProperty("site").GetString());
        Assert.Equal(1, bob.GetProperty("messages").GetInt32());
        Assert.Equal(1, bob.GetProperty("unseen").GetInt32());
        Assert.True(bob.GetProperty("octets").GetInt64() > 100);
        Assert.Equal(0, all.Single(m => m.GetProperty("address").GetString() == "mallory@evil.test").GetProperty("messages").GetInt32());

        (status, json) = await Json(http, "/api/mailboxes/Bob@Bank.Test");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("bob@bank.test", json.GetProperty("address").GetString());
        var folders = json.GetProperty("folders").EnumerateArray().ToList();
        Assert.Equal(MessageStore.DefaultFolders.Order(StringComparer.Ordinal), folders.Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("INBOX", folders[0].GetProperty("name").GetString());
        Assert.Equal(1, folders[0].GetProperty("messages").GetInt32());
        Assert.Equal(await lab.Store.UidValidityAsync("bob@bank.test", "INBOX", default), folders[0].GetProperty("uidValidity").GetUInt32());
        // A user with no mail yet has no folders, and looking did not create them.
        (status, json) = await Json(http, "/api/mailboxes/mallory@evil.test");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, json.GetProperty("folders").GetArrayLength());
        Assert.Empty(lab.Store.ListFolders("mallory@evil.test"));
        var page = await http.GetStringAsync("/mailboxes");
        Assert.Contains("href=\"/mailboxes/bob%40bank.test\"", page);
    }

    [Fact]
    public async Task A_relayed_message_shows_its_trace_headers_flagged_and_links_its_journey()
    {
        var delivery = await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "bob@bank.test", "trace me"), "bob@bank.test");
        uint uid = Uid(delivery);
        var (status, json) = await Json(http, $"/api/mailboxes/bob@bank.test/messages/INBOX/{uid}");
        Assert.Equal(HttpStatusCode.OK, status);
        var headers = json.GetProperty("headers").EnumerateArray().Select(h => (Name: h.GetProperty("name").GetString()!, Trace: h.GetProperty("trace").GetBoolean(),
            Rfc: h.TryGetProperty("rfc", out var r) ? r.GetString() : null)).ToList();
        // The MDA's Return-Path comes first (RFC 5321 §4.4), then the newest Received.
        Assert.Equal(("Return-Path", true, "RFC 5321 §4.4"), headers[0]);
        Assert.True(headers.Count(h => h.Name == "Received" && h.Trace && h.Rfc == "RFC 5321 §4.4") >= 2, "a Received line at each of the two hops");
        Assert.Contains(headers, h => h.Name == "DKIM-Signature" && h.Trace && h.Rfc == "RFC 6376 §3.5");
        Assert.Contains(headers, h => h.Name == "Authentication-Results" && h.Trace && h.Rfc == "RFC 8601 §2.2");
        Assert.All(headers.Where(h => h.Name == "Received-SPF"), h => Assert.True(h.Trace));
        Assert.Contains(headers, h => h.Name == "Subject" && !h.Trace);
        Assert.DoesNotContain(headers, h => h.Name is "Subject" or "From" or "To" or "Delivered-To" && h.Trace);
        Assert.Equal(delivery.Message, json.GetProperty("queueId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/messages/{delivery.Message}/journey")).StatusCode);
        string raw = json.GetProperty("raw").GetString()!;
        Assert.StartsWith("Return-Path: <alice@uc.test>\r\n", raw);
        Assert.False(json.GetProperty("rawTruncated").GetBoolean());
        Assert.Equal(raw.Length, json.GetProperty("size").GetInt64()); // ASCII: one character per octet

        // The page: a trace row and a marked raw line (a class and the word, not colour alone), and the journey link.
        var html = await http.GetStringAsync($"/mailboxes/bob%40bank.test/messages/INBOX/{uid}");
        Assert.Contains("<tr class=\"trace-header\"><td class=\"num\">1</td><th scope=\"row\"><code>Return-Path</code>", html);
        Assert.Contains("<mark class=\"trace-line\"><span class=\"gutter\" aria-hidden=\"true\">⚑ </span>Received: ", html);
        Assert.Contains("<span aria-hidden=\"true\">⚑</span> trace</span>", html);
        Assert.Contains($"href=\"/journey/{delivery.Message}\"", html);
        Assert.DoesNotContain("<mark class=\"trace-line\"><span class=\"gutter\" aria-hidden=\"true\">⚑ </span>Subject:", html);
    }

    [Fact]
    public async Task The_MIME_tree_of_a_multipart_with_an_attachment_is_nested_with_types_charsets_and_file_names()
    {
        var pdf = new byte[3000];
        new Random(7).NextBytes(pdf);
        var delivery = await Deliver(lab, "uc", "alice@uc.test", "lab-alice", WithAttachment("alice@uc.test", "alice@uc.test", "the report", pdf), "alice@uc.test");
        var (status, json) = await Json(http, $"/api/mailboxes/alice@uc.test/messages/INBOX/{Uid(delivery)}");
        Assert.Equal(HttpStatusCode.OK, status);
        var root = json.GetProperty("mime");
        Assert.Equal("multipart/mixed", root.GetProperty("contentType").GetString());
        var parts = root.GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(["multipart/alternative", "application/pdf"], parts.Select(p => p.GetProperty("contentType").GetString()));
        var alternative = parts[0].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.GetProperty("contentType").GetString()));
        Assert.Equal("utf-8", alternative[0].GetProperty("charset").GetString());
        var attachment = parts[1];
        Assert.Equal("report.pdf", attachment.GetProperty("fileName").GetString());
        Assert.Equal("attachment", attachment.GetProperty("disposition").GetString());
        Assert.Equal("base64", attachment.GetProperty("transferEncoding").GetString());
        // 3,000 octets are 4,000 in base64 (plus line ends); the part's size counts its headers too.
        Assert.InRange(attachment.GetProperty("bodySize").GetInt64(), 4000, 4200);
        Assert.True(attachment.GetProperty("size").GetInt64() > attachment.GetProperty("bodySize").GetInt64());
        // The top-level entity's headers are the message's, so it spans (nearly) the whole message.
        Assert.InRange(root.GetProperty("size").GetInt64(), attachment.GetProperty("size").GetInt64() + 1, json.GetProperty("size").GetInt64());
        Assert.False(json.GetProperty("mimeTruncated").GetBoolean());
        var html = await http.GetStringAsync($"/mailboxes/alice%40uc.test/messages/INBOX/{Uid(delivery)}");
        Assert.Contains("<ul class=\"mime\"><li><code>multipart/mixed</code>", html);
        Assert.Contains("<code>application/pdf</code> · file <strong>report.pdf</strong> · attachment · base64", html);
    }

    [Fact]
    public async Task Reading_a_message_sets_no_flag_and_claims_no_Recent_while_an_IMAP_session_has_the_folder_open()
    {
        var first = await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "alice@uc.test", "unread"), "alice@uc.test");
        uint uid = Uid(first);
        string path = $"/api/mailboxes/alice@uc.test/messages/INBOX/{uid}";
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/mailboxes/alice@uc.test/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/mailboxes/alice%40uc.test/messages/INBOX/{uid}")).StatusCode);
        var raw = await http.GetAsync(path + "/raw");
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType!.MediaType);
        var stored = Assert.Single(await lab.Store.ListAsync("alice@uc.test", "INBOX", default));
        Assert.Equal(await File.ReadAllBytesAsync(stored.Path), await raw.Content.ReadAsByteArrayAsync());
        // Still untouched in new/: no flag, and \Recent still unclaimed, so the first IMAP session announces it.
        Assert.True(stored.IsNew);
        Assert.Equal(StoreFlags.None, stored.Flags);
        using var imap = await ImapLab.ConnectAsync(lab);
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(1, imap.Inbox.Recent);
        Assert.False((await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags)).Single().Flags!.Value.HasFlag(MailKit.MessageFlags.Seen));
        // With the session open, the dashboard reads again; the session's view of the flags does not move.
        var (_, json) = await Json(http, path);
        Assert.Equal(0, json.GetProperty("flags").GetArrayLength());
        await imap.NoOpAsync();
        Assert.Equal(MailKit.MessageFlags.None, (await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags)).Single().Flags!.Value & ~MailKit.MessageFlags.Recent);
        // A flag set over IMAP shows on the dashboard.
        await imap.Inbox.AddFlagsAsync(new UniqueId(uid), MailKit.MessageFlags.Flagged, silent: true);
        (_, json) = await Json(http, path);
        Assert.Equal(["\\Flagged"], json.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        await imap.DisconnectAsync(true);
    }

    [Fact]
    public async Task Messages_are_listed_newest_first_and_paged_with_limit_and_before()
    {
        var uids = new List<uint>();
        foreach (var subject in new[] { "one", "two", "three" })
        {
            uids.Add(Uid(await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "alice@uc.test", subject), "alice@uc.test")));
        }
        var (status, json) = await Json(http, "/api/mailboxes/alice@uc.test/messages?folder=inbox&limit=2");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("INBOX", json.GetProperty("folder").GetString());
        Assert.Equal(3, json.GetProperty("total").GetInt32());
        var page = json.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal([uids[2], uids[1]], page.Select(m => m.GetProperty("uid").GetUInt32()));
        Assert.Equal(["three", "two"], page.Select(m => m.GetProperty("subject").GetString()));
        Assert.Contains("alice@uc.test", page[0].GetProperty("from").GetString());
        Assert.True(page[0].GetProperty("size").GetInt64() > 100);
        Assert.True(page[0].TryGetProperty("date", out _));
        Assert.Equal(uids[1], json.GetProperty("next").GetUInt32());
        (_, json) = await Json(http, $"/api/mailboxes/alice@uc.test/messages?limit=2&before={json.GetProperty("next").GetUInt32()}");
        Assert.Equal(["one"], json.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("subject").GetString()));
        Assert.False(json.TryGetProperty("next", out _)); // null is left out: the last page
        var html = await http.GetStringAsync("/mailboxes/alice%40uc.test");
        Assert.True(html.IndexOf(">three<", StringComparison.Ordinal) < html.IndexOf(">one<", StringComparison.Ordinal));
        Assert.Contains("aria-current=\"page\">INBOX</a>", html);
    }

    [Fact]
    public async Task A_folder_with_a_hierarchy_travels_as_one_path_segment()
    {
        // As IMAP CREATE and APPEND would file it (RFC 9051 §6.3.4: "/" is the hierarchy delimiter).
        await lab.Store.CreateFolderAsync("alice@uc.test", "Work/Projects", default);
        var pending = await lab.Store.BeginAsync("alice@uc.test", "Work/Projects", default);
        await pending.Content.WriteAsync("From: carol@uc.test\r\nSubject: filed away\r\n\r\nkept\r\n"u8.ToArray());
        var stored = await pending.CommitAsync(ct: default);
        var (status, json) = await Json(http, "/api/mailboxes/alice@uc.test");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Work/Projects", json.GetProperty("folders").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        (status, json) = await Json(http, "/api/mailboxes/alice@uc.test/messages?folder=Work%2FProjects");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(stored.Uid, json.GetProperty("messages")[0].GetProperty("uid").GetUInt32());
        (status, json) = await Json(http, $"/api/mailboxes/alice@uc.test/messages/Work%2FProjects/{stored.Uid}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Work/Projects", json.GetProperty("folder").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/mailboxes/alice%40uc.test/messages/Work%2FProjects/{stored.Uid}")).StatusCode);
    }

    private static readonly (string Path, int Status)[] BadApiInputs =
    [
        ("/api/mailboxes/nobody@uc.test", 404),
        ("/api/mailboxes/alice@nowhere.test", 404),
        ("/api/mailboxes/not-an-address", 400),
        ("/api/mailboxes/alice@uc.test?x=1", 400),
        ("/api/mailboxes?student=bob@bank.test", 400),
        ("/api/mailboxes/alice@uc.test/messages?folder=Nope", 404),
        ("/api/mailboxes/alice@uc.test/messages?folder=..%2Fbob", 400),
        ("/api/mailboxes/alice@uc.test/messages?folder=..%2F..%2Fbank.test%2Fbob%2FINBOX", 400),
        ("/api/mailboxes/alice@uc.test/messages?folder=%2Fetc", 400),
        ("/api/mailboxes/alice@uc.test/messages?folder=a%5Cb", 400),
        ("/api/mailboxes/alice@uc.test/messages?folder=", 400),
        ("/api/mailboxes/alice@uc.test/messages?limit=0", 400),
        ("/api/mailboxes/alice@uc.test/messages?limit=501", 400),
        ("/api/mailboxes/alice@uc.test/messages?limit=ten", 400),
        ("/api/mailboxes/alice@uc.test/messages?limit=1&limit=2", 400),
        ("/api/mailboxes/alice@uc.test/messages?before=0", 400),
        ("/api/mailboxes/alice@uc.test/messages?before=-1", 400),
        ("/api/mailboxes/alice@uc.test/messages?before=99999999999", 400),
        ("/api/mailboxes/alice@uc.test/messages?sort=date", 400),
        ("/api/mailboxes/alice@uc.test/messages/INBOX/999999", 404),
        ("/api/mailboxes/alice@uc.test/messages/INBOX/999999/raw", 404),
        ("/api/mailboxes/alice@uc.test/messages/Nope/1", 404),
        ("/api/mailboxes/alice@uc.test/messages/INBOX/abc", 400),
        ("/api/mailboxes/alice@uc.test/messages/INBOX/0", 400),
        ("/api/mailboxes/alice@uc.test/messages/..%2F..%2Fbank.test%2Fbob%2FINBOX/1", 400),
        ("/api/mailboxes/alice@uc.test/messages/..%2F..%2Fbank.test%2Fbob%2FINBOX/1/raw", 400),
        ("/api/mailboxes/nobody@uc.test/messages/INBOX/1/raw", 404),
    ];

    [Fact]
    public async Task Bad_input_is_a_400_and_an_unknown_thing_a_404_with_the_reason()
    {
        await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "alice@uc.test", "so INBOX exists"), "alice@uc.test");
        foreach (var (path, expected) in BadApiInputs)
        {
            var (status, json) = await Json(http, path);
            Assert.True((HttpStatusCode)expected == status, $"{path}: {status}, expected {expected}");
            Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()), path);
        }
        Assert.Empty(lab.Events(TraceKind.InternalError));
        Assert.Empty(lab.Store.ListFolders("bob@bank.test")); // nothing was made in bob's place by the paths aimed at it
    }

    private static readonly (string Path, int Status)[] BadPageInputs =
    [
        ("/mailboxes/nobody%40uc.test", 404),
        ("/mailboxes/alice%40uc.test?folder=..%2Fx", 400),
        ("/mailboxes/alice%40uc.test?folder=Nope", 404),
        ("/mailboxes/alice%40uc.test?before=x", 400),
        ("/mailboxes/alice%40uc.test/messages/INBOX/x", 400),
        ("/mailboxes/alice%40uc.test/messages/INBOX/999999", 404),
    ];

    [Fact]
    public async Task A_page_with_bad_input_answers_in_the_layout_with_the_status()
    {
        await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "alice@uc.test", "so INBOX exists"), "alice@uc.test");
        foreach (var (path, expected) in BadPageInputs)
        {
            var r = await http.GetAsync(path);
            Assert.True((HttpStatusCode)expected == r.StatusCode, $"{path}: {r.StatusCode}, expected {expected}");
            var html = await r.Content.ReadAsStringAsync();
            Assert.Contains("<p class=\"error\">", html);
            Assert.Contains("aria-current=\"page\">Mailboxes</a>", html);
        }
    }
}
