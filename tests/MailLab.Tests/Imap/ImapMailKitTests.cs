using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Imap;

/// <summary>MailKit's ImapClient against the running lab over real sockets, with the lab CA.</summary>
public sealed class ImapMailKitTests : IAsyncLifetime
{
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = ImapLab.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lists_selects_and_fetches_headers_and_bodies(bool implicitTls)
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("first", "Body one."));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("second", "Body two."));
        using var client = await ImapLab.ConnectAsync(lab, implicitTls);
        Assert.True(client.IsSecure);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Idle));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.UidPlus));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Move));

        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0]);
        Assert.Equal(["Drafts", "INBOX", "Junk", "Sent", "Trash"], folders.Select(f => f.FullName).Order());
        var sent = client.GetFolder(SpecialFolder.Sent)!;
        Assert.Equal("Sent", sent.FullName);

        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, inbox.Count);
        var summaries = await inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Size | MessageSummaryItems.Flags);
        Assert.Equal(["first", "second"], summaries.Select(s => s.Envelope!.Subject));
        Assert.Equal("Bob Sender", ((MailboxAddress)summaries[0].Envelope!.From[0]).Name);
        Assert.Equal("bob@bank.test", ((MailboxAddress)summaries[0].Envelope!.From[0]).Address);
        var message = await inbox.GetMessageAsync(summaries[1].UniqueId);
        Assert.Equal("Body two.", message.TextBody!.Trim());
        await client.DisconnectAsync(true);
        Assert.Contains(lab.Events(TraceKind.MailboxAccess), e => e.Role == TraceRole.IMAP && e.Field("Action") == "examine");
    }

    [Fact]
    public async Task Bodystructure_of_a_multipart_message_and_its_parts()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Multipart);
        using var client = await ImapLab.ConnectAsync(lab);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summary = Assert.Single(await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.BodyStructure | MessageSummaryItems.UniqueId));
        var body = Assert.IsType<BodyPartMultipart>(summary.Body!);
        Assert.Equal("mixed", body.ContentType.MediaSubtype);
        Assert.Equal(2, body.BodyParts.Count);
        var text = Assert.IsType<BodyPartText>(body.BodyParts[0]);
        Assert.Equal("utf-8", text.ContentType.Charset);
        Assert.Equal(2u, text.Lines);
        var attachment = Assert.IsType<BodyPartBasic>(body.BodyParts[1]);
        Assert.Equal("data.bin", attachment.FileName);
        Assert.Equal("base64", attachment.ContentTransferEncoding, ignoreCase: true);

        var part = (MimePart)await client.Inbox.GetBodyPartAsync(summary.UniqueId, attachment);
        using var decoded = new MemoryStream();
        await part.Content!.DecodeToAsync(decoded);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, decoded.ToArray());
        var textPart = (TextPart)await client.Inbox.GetBodyPartAsync(summary.UniqueId, text);
        Assert.Equal("See the attachment.\nSecond line.", textPart.Text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Flags_search_append_copy_move_and_expunge()
    {
        for (var i = 0; i < 4; i++)
        {
            await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple(i % 2 == 0 ? "even " + i : "odd " + i));
        }
        using var client = await ImapLab.ConnectAsync(lab);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await inbox.SearchAsync(SearchQuery.SubjectContains("odd"));
        Assert.Equal([2u, 4u], uids.Select(u => u.Id));
        await inbox.AddFlagsAsync(uids, MessageFlags.Flagged, silent: false);
        Assert.Equal([2u, 4u], (await inbox.SearchAsync(SearchQuery.Flagged)).Select(u => u.Id));
        Assert.Equal([1u, 3u], (await inbox.SearchAsync(SearchQuery.Not(SearchQuery.Flagged).And(SearchQuery.NotSeen))).Select(u => u.Id));

        var sent = client.GetFolder(SpecialFolder.Sent)!;
        var appended = await sent.AppendAsync(new AppendRequest(MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ImapTestMail.Simple("appended"))))) { Flags = MessageFlags.Seen });
        Assert.Equal(1u, appended!.Value.Id);

        var trash = client.GetFolder(SpecialFolder.Trash)!;
        var copied = await inbox.CopyToAsync(new UniqueId(1), trash);
        Assert.Equal(1u, copied!.Value.Id);
        var moved = await inbox.MoveToAsync(new UniqueId(3), trash);
        Assert.Equal(2u, moved!.Value.Id);
        Assert.Equal(3, inbox.Count);

        await inbox.AddFlagsAsync(new UniqueId(1), MessageFlags.Deleted, silent: true);
        await inbox.ExpungeAsync();
        Assert.Equal(2, inbox.Count);
        Assert.Equal([2u, 4u], (await inbox.SearchAsync(SearchQuery.All)).Select(u => u.Id));
        await trash.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, trash.Count);
        Assert.Equal(["even 0", "even 2"], (await trash.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(s => s.Envelope!.Subject));
    }

    [Fact]
    public async Task Idle_hears_of_a_message_delivered_by_SMTP_meanwhile()
    {
        using var client = await ImapLab.ConnectAsync(lab);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);
        var arrived = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        inbox.CountChanged += (_, _) => arrived.TrySetResult(inbox.Count);
        using var done = new CancellationTokenSource();
        var idle = client.IdleAsync(done.Token);

        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using (var smtp = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false })
        {
            await smtp.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
            await smtp.AuthenticateAsync("alice@uc.test", "lab-alice");
            var m = new MimeMessage();
            m.From.Add(MailboxAddress.Parse("alice@uc.test"));
            m.To.Add(MailboxAddress.Parse("alice@uc.test"));
            m.Subject = "during idle";
            m.Body = new TextPart("plain") { Text = "ping" };
            await smtp.SendAsync(m);
            await smtp.DisconnectAsync(true);
        }
        Assert.Equal(1, await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        done.Cancel();
        await idle;
        var summary = Assert.Single(await inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope));
        Assert.Equal("during idle", summary.Envelope!.Subject);
    }

    [Fact]
    public async Task Two_sessions_on_one_mailbox_see_each_others_changes()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("shared 1"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("shared 2"));
        using var a = await ImapLab.ConnectAsync(lab);
        using var b = await ImapLab.ConnectAsync(lab, implicitTls: true);
        await a.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);

        var flagged = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var expunged = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Inbox.MessageFlagsChanged += (_, e) => { if (e.Flags.HasFlag(MessageFlags.Seen)) flagged.TrySetResult(e.UniqueId?.Id ?? 0); };
        b.Inbox.MessageExpunged += (_, e) => expunged.TrySetResult(e.Index);

        await a.Inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Seen, silent: true);
        await b.NoOpAsync();
        Assert.Equal(2u, await flagged.Task.WaitAsync(TimeSpan.FromSeconds(5)));

        await a.Inbox.AddFlagsAsync(new UniqueId(1), MessageFlags.Deleted, silent: true);
        await a.Inbox.ExpungeAsync();
        await b.NoOpAsync();
        Assert.Equal(0, await expunged.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, b.Inbox.Count);
        var left = Assert.Single(await b.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.UniqueId));
        Assert.Equal("shared 2", left.Envelope!.Subject);
    }

    [Fact]
    public async Task Keywords_and_recent_as_MailKit_sees_them()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("tag me"));
        using var a = await ImapLab.ConnectAsync(lab);
        using var b = await ImapLab.ConnectAsync(lab, implicitTls: true);
        await a.Inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(1, a.Inbox.Recent);
        Assert.True(a.Inbox.PermanentFlags.HasFlag(MessageFlags.UserDefined)); // PERMANENTFLAGS has \*
        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(0, b.Inbox.Recent); // RFC 3501 §2.3.2: only one session is told

        await a.Inbox.AddFlagsAsync(new UniqueId(1), MessageFlags.Flagged, new HashSet<string> { "$label1", "$Forwarded" }, silent: false);
        var seen = Assert.Single(await b.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags | MessageSummaryItems.UniqueId));
        Assert.Equal(MessageFlags.Flagged, seen.Flags!.Value & ~MessageFlags.Recent);
        Assert.Equal(["$Forwarded", "$label1"], seen.Keywords.Order(StringComparer.Ordinal));
        Assert.Equal([new UniqueId(1)], await b.Inbox.SearchAsync(SearchQuery.HasKeyword("$label1")));
        var own = Assert.Single(await a.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags));
        Assert.True(own.Flags!.Value.HasFlag(MessageFlags.Recent));
    }
}
