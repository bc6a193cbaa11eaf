using System.Net;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 6: the same mailbox read with POP3 (RFC 1939: RETR, DELE, QUIT removes the message) and
/// with IMAP (RFC 9051: SELECT, FETCH, STORE a flag; the mail and its flags stay on the server).
/// </summary>
internal sealed class Pop3ImapDemo : IExerciseDemo
{
    private const int Messages = 3;

    public int Number => 6;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var user = ctx.User("uc");
        string marker = "ex6-" + Guid.NewGuid().ToString("N")[..8];

        ctx.Step($"Setup: {Messages} messages to {user.Address} through uc's MSA");
        for (int i = 1; i <= Messages; i++)
        {
            await Submission.SendAsync(ctx, "uc", Submission.Message(user.Address, user.Address, $"{marker} message {i}",
                $"Message {i} of {Messages} for exercise 6."), ct);
            await ctx.WaitForMessageAsync(user.Address, $"{marker} message {i}", TimeSpan.FromSeconds(30), ct);
        }
        ctx.Out.WriteLine($"   {Directory.GetFiles(ctx.Maildir(user.Address)).Length} files in {ctx.Maildir(user.Address)}");

        var pop3s = ctx.EndPoint("uc", "POP3", "implicit");
        ctx.Step($"POP3 over implicit TLS ({pop3s}): log in, RETR 1, DELE 1, QUIT (openssl s_client -connect {pop3s})");
        using (var pop = new Pop3Client(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer, Timeout = 30_000 })
        {
            if (ctx.Student is not null) pop.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
            await pop.ConnectAsync(pop3s.Address.ToString(), pop3s.Port, SecureSocketOptions.SslOnConnect, ct);
            await pop.AuthenticateAsync(user.Address, user.Password, ct);
            int count = await pop.GetMessageCountAsync(ct);
            if (count == 0) throw new DemoException($"the POP3 maildrop of {user.Address} is empty");
            var first = await pop.GetMessageAsync(0, ct);
            ctx.Out.WriteLine($"   downloaded: \"{first.Subject}\"");
            await pop.DeleteMessageAsync(0, ct);
            await pop.DisconnectAsync(true, ct); // QUIT: the UPDATE state removes the marked message
        }
        ctx.Out.WriteLine($"   after QUIT: {Directory.GetFiles(ctx.Maildir(user.Address)).Length} files in {ctx.Maildir(user.Address)}");

        var imaps = ctx.EndPoint("uc", "IMAP", "implicit");
        ctx.Step($"IMAP over implicit TLS ({imaps}): LOGIN, SELECT INBOX, FETCH (envelopes, then a body), STORE +FLAGS (\\Seen \\Flagged), LOGOUT");
        using (var imap = await ConnectImapAsync(ctx, imaps, SecureSocketOptions.SslOnConnect, ct))
        {
            await imap.AuthenticateAsync(user.Address, user.Password, ct);
            var inbox = imap.Inbox;
            await inbox.OpenAsync(FolderAccess.ReadWrite, ct);
            var summaries = await inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Flags, ct);
            foreach (var s in summaries) ctx.Out.WriteLine($"   {s.Index + 1}: \"{s.Envelope?.Subject}\" flags {s.Flags}");
            if (summaries.Count == 0) throw new DemoException($"{user.Address}'s INBOX is empty over IMAP");
            var read = await inbox.GetMessageAsync(0, ct); // FETCH 1 (BODY.PEEK[]): the content, left on the server
            ctx.Out.WriteLine($"   read: \"{read.Subject}\"");
            await inbox.AddFlagsAsync(0, MessageFlags.Seen | MessageFlags.Flagged, false, ct);
            await imap.DisconnectAsync(true, ct);
        }

        var imap143 = ctx.EndPoint("uc", "IMAP", "starttls");
        ctx.Step($"IMAP again, with STARTTLS ({imap143}): the messages and the flag are still on the server");
        using (var imap = await ConnectImapAsync(ctx, imap143, SecureSocketOptions.StartTls, ct))
        {
            await imap.AuthenticateAsync(user.Address, user.Password, ct);
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, ct);
            await imap.Inbox.CloseAsync(false, ct);
            await imap.Inbox.OpenAsync(FolderAccess.ReadWrite, ct);
            var flags = await imap.Inbox.FetchAsync(0, 0, MessageSummaryItems.Flags, ct);
            ctx.Out.WriteLine($"   INBOX holds {imap.Inbox.Count} messages; message 1 flags: {flags[0].Flags}");
            if (flags[0].Flags is not { } f || !f.HasFlag(MessageFlags.Flagged))
                throw new DemoException("the \\Flagged flag set in the previous session is gone");
            await imap.DisconnectAsync(true, ct);
        }
    }

    private static async Task<ImapClient> ConnectImapAsync(DemoContext ctx, IPEndPoint ep, SecureSocketOptions tls, CancellationToken ct)
    {
        var client = new ImapClient(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer, Timeout = 30_000 };
        if (ctx.Student is not null) client.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
        await client.ConnectAsync(ep.Address.ToString(), ep.Port, tls, ct);
        return client;
    }
}
